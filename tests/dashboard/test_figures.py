"""The tallies kept in each change's transaction always equal a recount from scratch (coop.domain.figures)."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, update

from coop.domain import figures
from coop.extensions import db
from coop.models import (
    CooperationRequest,
    Direction,
    EventKind,
    Measure,
    MonthlyKindTally,
    MonthlyTally,
    OfficerQueue,
    OpenDeadline,
    PartnerKind,
    RefusedRequest,
    RequestEvent,
    Status,
    StatusTally,
    Urgency,
)
from coop.models.deadlines import ClockUnit, Deadline, DeadlineKind, DeadlineState
from tests.factories import make_partner, make_request, make_request_type, make_user

START = datetime(2025, 12, 25, tzinfo=UTC)
ZONE = "Asia/Almaty"


def tallies() -> dict:
    """Every tally row that counts something, and every projected open deadline."""
    found = {}
    for model in (StatusTally, MonthlyTally, MonthlyKindTally):
        rows = db.session.execute(select(model).where(model.count != 0)).scalars()
        keys = [column.key for column in model.__table__.primary_key.columns]
        found[model.__tablename__] = {tuple(getattr(row, key) for key in keys): row.count for row in rows}
    found["open_deadline"] = set(db.session.execute(
        select(OpenDeadline.deadline_id, OpenDeadline.request_id, OpenDeadline.due_at, OpenDeadline.partner_id,
               OpenDeadline.request_type_id, OpenDeadline.direction, OpenDeadline.request_status)).all())
    found["officer_queue"] = set(db.session.execute(
        select(OfficerQueue.officer_id, OfficerQueue.request_id, OfficerQueue.urgency_rank,
               OfficerQueue.without_deadline, OfficerQueue.next_due_at)).all())
    found["refused_request"] = set(db.session.execute(
        select(RefusedRequest.request_id, RefusedRequest.partner_id, RefusedRequest.request_type_id,
               RefusedRequest.direction, RefusedRequest.reason)).all())
    return found


def recounted() -> dict:
    figures.rebuild(db.session.connection(), ZONE)
    db.session.expire_all()
    return tallies()


@pytest.fixture
def world(app):
    session = db.session
    return {
        "partners": [make_partner(session, "meta", PartnerKind.PROVIDER),
                     make_partner(session, "DE", PartnerKind.COUNTRY)],
        "types": [make_request_type(session, "direct_disclosure"),
                  make_request_type(session, "mla_incoming", Direction.INCOMING)],
        "officers": [make_user(session, "a.officer"), make_user(session, "b.officer")],
    }


moments = st.one_of(st.none(), st.integers(min_value=0, max_value=24 * 90).map(
    lambda hours: START + timedelta(hours=hours)))
_deadline_numbers = itertools.count()
steps = st.lists(st.tuples(
    st.sampled_from(["create", "move", "answer", "partner", "officers", "delete", "deadline", "close deadline",
                     "kind", "urgency", "refusal"]),
    st.integers(min_value=0, max_value=50), st.sampled_from(list(Status)), moments, moments,
    st.integers(min_value=0, max_value=3)), min_size=1, max_size=12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps)
def test_tallies_kept_in_each_flush_equal_a_recount(world, steps):
    session = db.session
    for action, pick, status, first, second, which in steps:
        requests = session.scalars(select(CooperationRequest).order_by(CooperationRequest.id)).all()
        request = requests[pick % len(requests)] if requests else None
        partner = world["partners"][which % 2]
        if action == "create" or request is None:
            make_request(session, Direction.OUTGOING if which % 2 else Direction.INCOMING, status, partner=partner,
                         request_type=world["types"][which % 2], officers=world["officers"][:which % 3],
                         sent_at=first, received_at=second, acknowledged_at=second)
        elif action == "move":
            request.status = status
        elif action == "answer":
            request.sent_at, request.answered_at = first, second
        elif action == "partner":
            request.partner, request.request_type = partner, world["types"][which % 2]
        elif action == "officers":
            request.officers = world["officers"][which % 2:which % 3 + 1]
        elif action == "delete":
            # Its deadlines go with it through the session: the database's cascade alone would leave them in the
            # identity map, and SQLite would give the next deadline the id of one of them.
            for deadline in session.scalars(select(Deadline).where(Deadline.request_id == request.id)):
                session.delete(deadline)
            session.delete(request)
        elif action == "deadline":
            session.add(Deadline(request_id=request.id, kind=DeadlineKind.ANSWER_EXPECTED,
                                 sequence=next(_deadline_numbers),
                                 unit=ClockUnit.CALENDAR_DAYS, due_at=first or START, state=DeadlineState.OPEN))
        elif action == "close deadline":
            for deadline in session.scalars(select(Deadline).where(Deadline.request_id == request.id)):
                deadline.state = DeadlineState.MET if which % 2 else deadline.state
                deadline.due_at = second or deadline.due_at
        elif action == "refusal":  # a reason in the history, with or without the status that goes with it
            session.add(RequestEvent(request=request, kind=EventKind.TRANSITION, from_status=request.status,
                                     to_status=Status.REFUSED, comment=f"Причина {which}" if which else None))
        elif action == "urgency":
            request.urgency = list(Urgency)[which % len(Urgency)]
        elif action == "kind":
            partner.kind = PartnerKind.COUNTRY if partner.kind == PartnerKind.PROVIDER else PartnerKind.PROVIDER
        session.flush()
    kept = tallies()
    assert kept == recounted()


def test_a_reply_is_counted_in_the_local_month_with_its_calendar_days(world):
    meta = world["partners"][0]
    # Sent 31.01 at 23:30 in Almaty; answered 2 hours later, on 01.02 local time.
    sent = datetime(2026, 1, 31, 18, 30, tzinfo=UTC)
    make_request(db.session, Direction.OUTGOING, Status.REFUSED, partner=meta, request_type=world["types"][0],
                 officers=[world["officers"][0]], sent_at=sent, answered_at=sent + timedelta(hours=2))

    rows = {(row.officer_id, row.measure, row.month_start, row.days): row.count
            for row in db.session.scalars(select(MonthlyTally))}

    january = figures.month_start(sent, ZONE)
    february = figures.month_start(sent + timedelta(hours=2), ZONE)
    assert january == datetime(2026, 1, 1, tzinfo=UTC) - timedelta(hours=5)
    assert february == datetime(2026, 2, 1, tzinfo=UTC) - timedelta(hours=5)
    officer = world["officers"][0].id
    for officer_id in (0, officer):
        assert rows[(officer_id, Measure.SENT, january, 0)] == 1
        assert rows[(officer_id, Measure.ANSWER, february, 1)] == 1
        assert rows[(officer_id, Measure.REPLIED, february, 0)] == 1
        assert rows[(officer_id, Measure.REFUSED, february, 0)] == 1
    assert len(rows) == 8


def test_deleting_a_request_takes_it_out_of_every_tally(world):
    request = make_request(db.session, Direction.OUTGOING, Status.SENT, partner=world["partners"][0],
                           request_type=world["types"][0], officers=world["officers"], sent_at=START)
    db.session.add(Deadline(request_id=request.id, kind=DeadlineKind.ANSWER_EXPECTED, sequence=0,
                            unit=ClockUnit.CALENDAR_DAYS, due_at=START, state=DeadlineState.OPEN))
    db.session.flush()
    assert tallies()["open_deadline"]

    db.session.delete(request)
    db.session.flush()

    assert tallies() == {"status_tally": {}, "monthly_tally": {}, "monthly_kind_tally": {}, "open_deadline": set(),
                         "officer_queue": set(), "refused_request": set()}


def test_the_rebuild_command_recounts_what_bulk_writes_left_out(world, app):
    request = make_request(db.session, Direction.OUTGOING, Status.SENT, partner=world["partners"][0],
                           request_type=world["types"][0], sent_at=START)
    key = (0, Status.CLOSED, request.partner_id, request.request_type_id, Direction.OUTGOING)
    request_id = request.id
    db.session.commit()  # and no new transaction on the session: on SQLite it would hold the write lock
    with db.engine.begin() as connection:  # around the session, as the benchmark's generator writes
        connection.execute(delete(StatusTally))
        connection.execute(update(CooperationRequest).where(CooperationRequest.id == request_id)
                           .values(status=Status.CLOSED))

    result = app.test_cli_runner().invoke(args=["figures", "rebuild"])

    assert result.exit_code == 0, result.output
    assert tallies()["status_tally"] == {key: 1}


def test_a_rebuild_in_small_batches_and_bulk_writes_counts_the_same(world, monkeypatch):
    officers, partners, types = world["officers"], world["partners"], world["types"]
    for number in range(6):
        make_request(db.session, Direction.OUTGOING, [Status.SENT, Status.ANSWERED, Status.REFUSED][number % 3],
                     partner=partners[number % 2], request_type=types[0], officers=officers[:number % 3],
                     sent_at=START + timedelta(days=number), acknowledged_at=START + timedelta(days=number + 1),
                     answered_at=None if number % 3 == 0 else START + timedelta(days=3 * number + 2))
    db.session.flush()
    kept = tallies()
    monkeypatch.setattr(figures, "_COPY_FROM", 1)  # PostgreSQL's COPY path even for a few rows

    figures.rebuild(db.session.connection(), ZONE, batch=2, keys_per_write=5)  # several writes add up
    db.session.expire_all()

    assert tallies() == kept
    assert kept["monthly_tally"]
