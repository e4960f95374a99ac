"""Our reference numbers: in order, per series, never reused, and safe when many are created at once."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from coop.domain.references import allocate_reference
from coop.domain.requests import EditConflict, create_request, update_request
from coop.extensions import db
from coop.models import CooperationRequest, Direction, ReferenceCounter, RequestEvent

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
WORKERS = 8
CREATIONS_EACH = 12


def test_references_of_a_series_follow_each_other(app):
    numbers = [allocate_reference(db.session, Direction.OUTGOING, 2026) for _ in range(3)]
    assert numbers == ["OUT-2026-00001", "OUT-2026-00002", "OUT-2026-00003"]


def test_each_direction_and_year_has_its_own_series(app):
    assert allocate_reference(db.session, Direction.OUTGOING, 2026) == "OUT-2026-00001"
    assert allocate_reference(db.session, Direction.INCOMING, 2026) == "IN-2026-00001"
    assert allocate_reference(db.session, Direction.OUTGOING, 2027) == "OUT-2027-00001"
    assert allocate_reference(db.session, Direction.OUTGOING, 2026) == "OUT-2026-00002"
    db.session.commit()
    counters = dict(db.session.execute(select(ReferenceCounter.series, ReferenceCounter.last_value)).all())
    assert counters == {"OUT-2026": 2, "IN-2026": 1, "OUT-2027": 1}


def test_a_rolled_back_creation_gives_its_number_back(app):
    assert allocate_reference(db.session, Direction.OUTGOING, 2026) == "OUT-2026-00001"
    db.session.commit()
    assert allocate_reference(db.session, Direction.OUTGOING, 2026) == "OUT-2026-00002"
    db.session.rollback()  # the save failed: nothing was created, so no number was used
    assert allocate_reference(db.session, Direction.OUTGOING, 2026) == "OUT-2026-00002"


def test_numbers_beyond_five_digits_keep_growing(app):
    db.session.add(ReferenceCounter(series="IN-2026", last_value=99999))
    assert allocate_reference(db.session, Direction.INCOMING, 2026) == "IN-2026-100000"


def test_parallel_creations_get_distinct_references_without_gaps(app, dept):
    """Many officers creating requests at the same moment, each in a transaction of their own.

    Every fourth creation fails after taking its number and is rolled back: its number must be reused,
    so the committed references are exactly 1..N with no duplicate and no gap.
    """
    ids = {"officer": dept.officer.id, "type": dept.disclosure.id, "partner": dept.meta.id}
    db.session.commit()  # the test itself holds no transaction (on SQLite it would hold the write lock)
    start = threading.Barrier(WORKERS)

    def create_many(worker: int) -> list[str]:
        created = []
        with app.app_context():
            from coop.models import User

            actor = db.session.get(User, ids["officer"])
            db.session.commit()
            start.wait()
            for attempt in range(CREATIONS_EACH):
                fields = {"direction": Direction.OUTGOING, "title": f"Worker {worker} #{attempt}",
                          "request_type_id": ids["type"], "partner_id": ids["partner"]}
                request = create_request(db.session, actor, fields, NOW)
                if attempt % 4 == 3:
                    db.session.rollback()  # e.g. a later step of the save failed
                    continue
                db.session.commit()
                created.append(request.reference)
            db.session.remove()
        return created

    with ThreadPoolExecutor(WORKERS) as pool:
        results = list(pool.map(create_many, range(WORKERS)))
    references = [reference for created in results for reference in created]
    expected_count = WORKERS * (CREATIONS_EACH - CREATIONS_EACH // 4)
    assert len(references) == expected_count
    assert len(set(references)) == expected_count, "a reference was given twice"
    assert sorted(references) == [f"OUT-2026-{number:05d}" for number in range(1, expected_count + 1)]
    stored = db.session.scalar(select(func.count(CooperationRequest.id)))
    assert stored == expected_count
    assert db.session.get(ReferenceCounter, "OUT-2026").last_value == expected_count


def test_two_saves_racing_from_the_same_version_cannot_both_win(app, dept):
    """Two officers press Save at once on the same version: one is saved, the other told of the conflict."""
    request = dept.new_request(facts="Original")
    request_id, officer_ids = request.id, (dept.officer.id, dept.colleague.id)
    db.session.commit()
    start = threading.Barrier(2)

    def save(officer_id: int) -> str:
        with app.app_context():
            from coop.models import User

            actor = db.session.get(User, officer_id)
            item = db.session.get(CooperationRequest, request_id)
            db.session.commit()
            start.wait()
            try:
                update_request(db.session, item, actor, {"facts": f"Facts by {actor.username}"}, 1, NOW)
                db.session.commit()
                return "saved"
            except EditConflict:
                db.session.rollback()
                return "conflict"
            finally:
                db.session.remove()

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(save, officer_ids))
    assert outcomes == ["conflict", "saved"]
    db.session.expire_all()
    saved = db.session.get(CooperationRequest, request_id)
    assert saved.version == 2 and saved.facts in {"Facts by officer", "Facts by colleague"}
    changes = db.session.scalars(select(RequestEvent).where(RequestEvent.field == "facts")).all()
    assert len(changes) == 1


@pytest.mark.parametrize("direction, prefix", [(Direction.OUTGOING, "OUT"), (Direction.INCOMING, "IN")])
def test_the_reference_names_the_direction(app, direction, prefix):
    assert allocate_reference(db.session, direction, 2026).startswith(f"{prefix}-2026-")
