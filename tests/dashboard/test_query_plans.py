"""The plans of the projection and next-deadline queries, on a database without planner statistics.

Without sqlite_stat1 SQLite plans from the shape of the query and its indexes alone, the same on 3 rows as on a
million; a department's database is never analysed unless coop does it. A plan that reads deadlines by state
instead of by request walks every open deadline for each request (the tallies' rebuild took more than 30 minutes
at a million requests). PostgreSQL plans by cost, so on a small table it rightly scans: there, with sequential
scans switched off, the test checks that indexes can serve the same statements (bench/writes.py --plans shows
PostgreSQL's plans on a million requests).
"""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select

from coop.domain import figures
from coop.domain.request_search import next_deadline_column, next_deadlines
from coop.extensions import db
from coop.models import CooperationRequest, Direction, Status
from coop.models.deadlines import ClockUnit, Deadline, DeadlineKind, DeadlineState
from tests.factories import make_request, make_user

NOW = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)


@pytest.fixture
def stored(app):
    """Open requests with an officer and open and met deadlines, committed, with no statistics."""
    officer = make_user(db.session, "a.karimova")
    requests = [make_request(db.session, Direction.OUTGOING, Status.SENT, officers=[officer]) for _ in range(3)]
    for number, request in enumerate(requests):
        for sequence, state in enumerate((DeadlineState.OPEN, DeadlineState.MET)):
            db.session.add(Deadline(request_id=request.id, kind=DeadlineKind.ANSWER_EXPECTED, sequence=sequence,
                                    due_at=NOW + timedelta(days=number + sequence), state=state,
                                    unit=ClockUnit.CALENDAR_DAYS))
    db.session.commit()
    connection = db.session.connection()
    if connection.dialect.name == "sqlite" and connection.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").first():
        connection.exec_driver_sql("DELETE FROM sqlite_stat1")
    db.session.commit()
    return [request.id for request in requests]


def plans_of(run) -> dict[str, str]:
    """Each INSERT or SELECT that `run()` sends, with its plan as one text."""
    sent: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, _context, executemany):
        if not executemany and statement.lstrip().startswith(("INSERT", "SELECT")):
            sent.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        run()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    connection = db.session.connection()
    sqlite = connection.dialect.name == "sqlite"
    if not sqlite:
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    found = {}
    for statement, parameters in sent:
        rows = connection.exec_driver_sql(("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN ") + statement,
                                          parameters).all()
        found[statement] = "\n".join(row[-1] if sqlite else row[0] for row in rows)
    return found


def plan_of(plans: dict[str, str], start: str) -> str:
    matching = [plan for statement, plan in plans.items() if statement.startswith(start)]
    assert len(matching) == 1, f"one statement starting {start!r} expected, got {len(matching)}"
    return matching[0]


def reads_by_request(plan: str, index: str, sqlite: bool) -> bool:
    """SQLite: `index` serves the request_id condition. PostgreSQL picks by cost (on three rows any index will
    do), so there: some index serves every table, none needs a full scan."""
    if sqlite:
        return f"{index} (request_id=?" in plan and "ix_deadline_state_due_at" not in plan
    return "Seq Scan" not in plan


def test_a_write_refreshes_its_projections_through_the_request_id_indexes(stored):
    sqlite = db.engine.dialect.name == "sqlite"
    plans = plans_of(lambda: figures._refresh_projections(db.session.connection(), set(), set(stored)))

    assert reads_by_request(plan_of(plans, "INSERT INTO open_deadline"), "ix_deadline_request_state_due_at", sqlite)
    assert reads_by_request(plan_of(plans, "INSERT INTO officer_queue"), "ix_open_deadline_request_id", sqlite)
    db.session.rollback()


def test_the_rebuild_groups_the_next_deadlines_instead_of_a_subquery_per_request(stored):
    plans = plans_of(lambda: figures.rebuild(db.session.connection()))

    plan = plan_of(plans, "INSERT INTO officer_queue")
    if db.engine.dialect.name == "sqlite":
        assert "CORRELATED" not in plan
        assert "open_deadline USING INDEX ix_open_deadline_request_id" in plan
    else:
        assert "Seq Scan" not in plan
    rows = db.session.execute(select(figures.OfficerQueue.request_id, figures.OfficerQueue.next_due_at)
                              .order_by(figures.OfficerQueue.request_id)).all()
    assert rows == [(request_id, NOW + timedelta(days=number)) for number, request_id in enumerate(stored)]
    db.session.rollback()


def test_the_next_deadline_of_listed_requests_is_read_by_request(stored):
    sqlite = db.engine.dialect.name == "sqlite"
    plans = plans_of(lambda: (
        next_deadlines(db.session, stored),
        db.session.execute(select(CooperationRequest.id, next_deadline_column())
                           .where(CooperationRequest.id.in_(stored))).all()))

    for plan in plans.values():
        assert reads_by_request(plan, "ix_deadline_request_state_due_at", sqlite), plan
    assert len(plans) == 2


def test_the_heads_list_of_networks_reads_its_networks_requests_by_case(app):
    from coop.domain import networks
    from coop.models import Identifier, IdentifierKind
    from tests.factories import make_case

    for number in range(20):  # a page of networks: the IN list the planner weighs against other indexes
        request = make_request(db.session, Direction.OUTGOING, Status.SENT, case=make_case(db.session))
        phone = f"+7701123{number // 2:04d}"
        request.identifiers.append(Identifier(kind=IdentifierKind.PHONE, value=phone, normalized=phone))
    db.session.commit()
    connection = db.session.connection()
    sqlite = connection.dialect.name == "sqlite"
    if sqlite and connection.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").first():
        connection.exec_driver_sql("DELETE FROM sqlite_stat1")
    plans = plans_of(lambda: networks.largest_networks(db.session))

    joined = [plan for statement, plan in plans.items() if "JOIN cooperation_request" in statement]
    assert len(joined) == 3  # partners, the oldest unanswered request, open deadlines
    for plan in joined:
        # Not every unanswered request of the department through the index on answered_at (100 ms at 1M).
        assert ("cooperation_request USING COVERING INDEX" in plan and "(case_id=?" in plan) if sqlite \
            else "Seq Scan" not in plan, plan


def test_a_case_pages_identifiers_elsewhere_are_read_through_the_identifier_index(app):
    from coop.domain.cases import identifiers_elsewhere
    from coop.models import Identifier, IdentifierKind
    from tests.factories import make_case

    head = make_user(db.session, "head")
    case, other = make_case(db.session), make_case(db.session)
    requests = [make_request(db.session, Direction.OUTGOING, Status.SENT, case=owner) for owner in (case, other)]
    for request in requests:
        request.identifiers.append(Identifier(kind=IdentifierKind.PHONE, value="+77011234567",
                                              normalized="+77011234567"))
    db.session.commit()
    plans = plans_of(lambda: identifiers_elsewhere(db.session, head, case.id, requests[:1]))

    [plan] = [plan for statement, plan in plans.items() if "JOIN identifier" in statement]
    if db.engine.dialect.name == "sqlite":  # not every request in the order of creation (1.4 s at 1M)
        assert "identifier USING INDEX ix_identifier_kind_normalized" in plan and "SCAN" not in plan, plan
    else:
        assert "Seq Scan" not in plan, plan


def test_a_request_pages_duplicate_warning_reads_its_identifiers_through_their_index(app):
    from coop.domain.identifiers import matches_for_identifiers
    from coop.models import Identifier, IdentifierKind

    head = make_user(db.session, "head")
    requests = [make_request(db.session, Direction.OUTGOING, Status.SENT) for _ in range(2)]
    keys = [(IdentifierKind.PHONE, "+77011234567"), (IdentifierKind.ACCOUNT, "telegram:kz_ops")]
    for request in requests:
        for kind, normalized in keys:
            request.identifiers.append(Identifier(kind=kind, value=normalized, normalized=normalized))
    db.session.commit()
    plans = plans_of(lambda: matches_for_identifiers(db.session, head, keys, requests[0].id))

    read = [plan for statement, plan in plans.items() if " identifier " in statement.replace("\n", " ")]
    assert len(read) == 2  # the visible requests, the counts
    for plan in read:  # two keys: a row-value IN let SQLite scan the whole index (1.2 s at 1M)
        if db.engine.dialect.name == "sqlite":
            assert "USING INDEX ix_identifier_kind_normalized (kind=? AND normalized=?)" in plan, plan
            assert "SCAN identifier" not in plan and "SCAN cooperation_request" not in plan, plan
        else:
            assert "Seq Scan" not in plan, plan
