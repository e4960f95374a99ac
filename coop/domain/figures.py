"""The running totals behind the dashboard, kept exact in the same transaction as every change to a request.

Counting a million requests at every dashboard view is too slow (a median of 185,000 replies needs them all
sorted) and a cache would show stale numbers. Instead each request *contributes* one to a few tally rows (its
status now; the local month it was sent, received, acknowledged, answered in, with the calendar days the partner
took), by partner and again by partner kind, once for everyone and once for each of its officers.

Open deadlines are projected the same way into `open_deadline`, with their request's partner, type, direction and
status, each officer's open requests into `officer_queue`, with their urgency and next deadline, and refused
requests into `refused_request`, with the reason the partner gave.

When a flush inserts, changes or deletes requests (or their officers, or a partner's kind), the listener reads
what those requests contributed before the flush and after it, and adds the difference to the tallies in the
same transaction: every write path is covered, whether it goes through the web, the API, the CLI or an import,
as long as it goes through the ORM session. Writes that bypass it (the benchmark's bulk generator, a migration)
call `rebuild` afterwards. Both sides of the difference are computed by the same Python function from stored
rows, so a request can never be subtracted from a row it was not added to.
"""

import gc
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, case, delete, event, func, insert, inspect, select
from sqlalchemy.orm import Session

from coop.domain.workflow import FINAL
from coop.models import (
    CooperationRequest,
    Deadline,
    DeadlineState,
    Direction,
    EventKind,
    Partner,
    PartnerKind,
    RequestEvent,
    Status,
    Urgency,
    request_officer,
)
from coop.models.figures import (
    ALL_OFFICERS,
    Measure,
    MonthlyKindTally,
    MonthlyTally,
    OfficerQueue,
    OpenDeadline,
    RefusedRequest,
    StatusTally,
)

DEFAULT_ZONE = "Asia/Almaty"
_zone_name = DEFAULT_ZONE  # the local zone whose months and days the tallies count (set by the application)
_CHUNK = 500  # ids per IN list
_REPLY_OUTCOMES = {Status.REFUSED: Measure.REFUSED, Status.NO_DATA: Measure.NO_DATA}


@dataclass(frozen=True)
class RequestFacts:
    """What a request's contribution to the tallies depends on."""

    partner_id: int
    partner_kind: PartnerKind
    request_type_id: int
    direction: Direction
    status: Status
    sent_at: datetime | None
    received_at: datetime | None
    acknowledged_at: datetime | None
    answered_at: datetime | None
    officer_ids: tuple[int, ...]


def calendar_days(start: datetime, end: datetime, zone_name: str) -> int:
    """Calendar days from `start` to `end`, as the partner's clock counts them: local date less local date."""
    zone = ZoneInfo(zone_name)
    return (end.astimezone(zone).date() - start.astimezone(zone).date()).days


@lru_cache(maxsize=4096)
def _month_start(zone_name: str, year: int, month: int) -> datetime:
    return datetime(year, month, 1, tzinfo=ZoneInfo(zone_name)).astimezone(UTC)


def month_start(moment: datetime, zone_name: str) -> datetime:
    """The first instant (UTC) of the local month holding `moment`."""
    local = moment.astimezone(ZoneInfo(zone_name))
    return _month_start(zone_name, local.year, local.month)


def contributions(facts: RequestFacts | None, zone_name: str, into: Counter | None = None) -> Counter:
    """The tally rows `facts` adds one to, as (table, key...) tuples (counted into `into` when given)."""
    found: Counter = Counter() if into is None else into
    if facts is None:
        return found
    zone = ZoneInfo(zone_name)
    milestones = []  # (measure, local moment, days)
    if facts.sent_at is not None:
        sent = facts.sent_at.astimezone(zone)
        milestones.append((Measure.SENT, sent, 0))
        if facts.acknowledged_at is not None:
            acknowledged = facts.acknowledged_at.astimezone(zone)
            milestones.append((Measure.ACKNOWLEDGE, acknowledged, (acknowledged.date() - sent.date()).days))
        if facts.answered_at is not None:
            answered = facts.answered_at.astimezone(zone)
            milestones.append((Measure.REPLIED, answered, 0))
            milestones.append((Measure.ANSWER, answered, (answered.date() - sent.date()).days))
            if facts.status in _REPLY_OUTCOMES:
                milestones.append((_REPLY_OUTCOMES[facts.status], answered, 0))
    if facts.received_at is not None:
        milestones.append((Measure.RECEIVED, facts.received_at.astimezone(zone), 0))
    what = (facts.request_type_id, facts.direction)
    by_month = [(measure, _month_start(zone_name, local.year, local.month), days)
                for measure, local, days in milestones]
    for officer_id in (ALL_OFFICERS, *facts.officer_ids):
        found[(StatusTally, officer_id, facts.status, facts.partner_id, *what)] += 1
        for measure, month, days in by_month:
            found[(MonthlyTally, officer_id, measure, month, facts.partner_id, *what, days)] += 1
            found[(MonthlyKindTally, officer_id, measure, month, facts.partner_kind, *what, days)] += 1
    return found


# ---------------------------------------------------------------- reading requests


_FACT_COLUMNS = (CooperationRequest.id, CooperationRequest.partner_id, Partner.kind, CooperationRequest.request_type_id,
                 CooperationRequest.direction, CooperationRequest.status, CooperationRequest.sent_at,
                 CooperationRequest.received_at, CooperationRequest.acknowledged_at, CooperationRequest.answered_at)


def _facts_select():
    return select(*_FACT_COLUMNS).join(Partner, Partner.id == CooperationRequest.partner_id)


def _facts_of_rows(connection: Connection, rows, officers_of) -> dict[int, RequestFacts]:
    """Facts from request rows, with their officers read by the condition `officers_of` on request_id."""
    officers: dict[int, list[int]] = {}
    for request_id, user_id in connection.execute(
            select(request_officer.c.request_id, request_officer.c.user_id).where(officers_of)
            .order_by(request_officer.c.request_id, request_officer.c.user_id)):
        officers.setdefault(request_id, []).append(user_id)
    return {row[0]: RequestFacts(*row[1:], officer_ids=tuple(officers.get(row[0], ()))) for row in rows}


def read_facts(connection: Connection, ids: Iterable[int]) -> dict[int, RequestFacts]:
    """The stored facts of the requests `ids` (those that exist)."""
    ordered = sorted(set(ids))
    found: dict[int, RequestFacts] = {}
    for index in range(0, len(ordered), _CHUNK):
        chunk = ordered[index:index + _CHUNK]
        rows = connection.execute(_facts_select().where(CooperationRequest.id.in_(chunk))).all()
        found.update(_facts_of_rows(connection, rows, request_officer.c.request_id.in_(chunk)))
    return found


def _all_facts(connection: Connection, batch: int) -> Iterator[dict[int, RequestFacts]]:
    last_id = 0
    while True:
        rows = connection.execute(_facts_select().where(CooperationRequest.id > last_id)
                                  .order_by(CooperationRequest.id).limit(batch)).all()
        if not rows:
            return
        first_id, last_id = rows[0][0], rows[-1][0]
        yield _facts_of_rows(connection, rows, request_officer.c.request_id.between(first_id, last_id))


# ---------------------------------------------------------------- writing tallies


_TALLIES = (StatusTally, MonthlyTally, MonthlyKindTally)


@lru_cache(maxsize=16)
def _upsert_statement(model, dialect_name: str, paramstyle: str) -> str:
    """INSERT ... ON CONFLICT (key) DO UPDATE SET count = count + excluded.count, in the driver's own SQL."""
    table = model.__table__.name
    keys = [column.name for column in model.__table__.primary_key.columns]
    mark = "?" if paramstyle == "qmark" else "%s"
    columns = ", ".join(f'"{name}"' for name in (*keys, "count"))
    return (f'INSERT INTO "{table}" ({columns}) VALUES ({", ".join([mark] * (len(keys) + 1))}) '
            f'ON CONFLICT ({", ".join(keys)}) DO UPDATE SET count = "{table}".count + excluded.count')


def _conversions(model, dialect) -> list[tuple[int, dict, object]]:
    """The key columns whose values the driver cannot take as they are: (position, remembered, conversion)."""
    found = []
    for position, column in enumerate(model.__table__.primary_key.columns):
        process = column.type._cached_bind_processor(dialect)
        if process is not None:
            found.append((position, {}, process))
    return found


def apply(connection: Connection, delta: Counter) -> None:
    """Add `delta` (from `contributions`) to the tallies; in key order, so that concurrent writers never deadlock.

    Written through the driver's executemany, each distinct key value (a month, a status) converted once: the
    rebuild writes millions of rows, and SQLAlchemy's per-row parameter handling was most of its time."""
    dialect = connection.dialect
    keyed: dict[type, list[tuple]] = {model: [] for model in _TALLIES}
    for key, amount in delta.items():
        if amount:
            keyed[key[0]].append((key[1:], amount))
    for model in _TALLIES:  # always the same order of tables, and of rows within each (keys are unique)
        conversions = _conversions(model, dialect)
        rows = []
        for values, amount in sorted(keyed[model]):
            row = [*values, amount]
            for position, remembered, process in conversions:
                value = row[position]
                if value not in remembered:
                    remembered[value] = process(value)
                row[position] = remembered[value]
            rows.append(tuple(row))
        if len(rows) >= _COPY_FROM and dialect.name == "postgresql":
            _copy_and_upsert(connection, model, rows)
        elif rows:
            connection.exec_driver_sql(_upsert_statement(model, dialect.name, dialect.paramstyle), rows)


_COPY_FROM = 5_000  # rows; fewer go by executemany (a write path adds a few dozen)


def _copy_and_upsert(connection: Connection, model, rows: list[tuple]) -> None:
    """PostgreSQL, many rows (the rebuild): COPY them into a temporary table, then one INSERT ... SELECT ... ON
    CONFLICT; executemany would send them one statement at a time."""
    table = model.__table__.name
    keys = [column.name for column in model.__table__.primary_key.columns]
    names = ", ".join(f'"{name}"' for name in (*keys, "count"))
    staging = f"coop_staging_{table}"
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        cursor.execute(f'CREATE TEMPORARY TABLE IF NOT EXISTS "{staging}" (LIKE "{table}") ON COMMIT DROP')
        cursor.execute(f'TRUNCATE "{staging}"')
        with cursor.copy(f'COPY "{staging}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(f'INSERT INTO "{table}" ({names}) SELECT {names} FROM "{staging}" ORDER BY {", ".join(keys)} '
                       f'ON CONFLICT ({", ".join(keys)}) DO UPDATE SET count = "{table}".count + excluded.count')
    finally:
        cursor.close()


def _project_open_deadlines(connection: Connection, *conditions) -> None:
    """Write the open_deadline rows of the open deadlines that `conditions` (on deadline) select."""
    connection.execute(insert(OpenDeadline).from_select(
        ["deadline_id", "request_id", "due_at", "partner_id", "request_type_id", "direction", "request_status"],
        select(Deadline.id, Deadline.request_id, Deadline.due_at, CooperationRequest.partner_id,
               CooperationRequest.request_type_id, CooperationRequest.direction, CooperationRequest.status)
        .join(CooperationRequest, CooperationRequest.id == Deadline.request_id)
        .where(Deadline.state == DeadlineState.OPEN, *conditions)))


def _project_officer_queues(connection: Connection, request_ids: list[int] | None = None) -> None:
    """Write the officer_queue rows of the open requests among `request_ids` (all when None).

    Their next deadline comes from open_deadline (projected first), grouped by request over its request_id index
    and joined, rather than a subquery per row: without statistics SQLite planned that subquery on deadline's
    (state, due_at) index and walked every open deadline for each of 70,000 rows."""
    request = CooperationRequest
    next_due = select(OpenDeadline.request_id, func.min(OpenDeadline.due_at).label("due_at"))
    if request_ids is not None:
        next_due = next_due.where(OpenDeadline.request_id.in_(request_ids))
    next_due = next_due.group_by(OpenDeadline.request_id).subquery("next_due")
    urgency_rank = case((request.urgency == Urgency.EMERGENCY, 0), (request.urgency == Urgency.URGENT, 1), else_=2)
    chosen = [] if request_ids is None else [request.id.in_(request_ids)]
    connection.execute(insert(OfficerQueue).from_select(
        ["officer_id", "request_id", "urgency_rank", "without_deadline", "next_due_at"],
        select(request_officer.c.user_id, request.id, urgency_rank, next_due.c.due_at.is_(None), next_due.c.due_at)
        .join(request_officer, request_officer.c.request_id == request.id)
        .outerjoin(next_due, next_due.c.request_id == request.id)
        .where(request.status.not_in(sorted(FINAL)), *chosen)))


def project_refused_requests(connection: Connection, request_ids: list[int] | None = None) -> None:
    """Write the refused_request rows of the refused requests among `request_ids` (all when None), each with the
    comment of its latest transition to refused (read through the history's request_id index)."""
    request = CooperationRequest
    reason = (select(RequestEvent.comment)
              .where(RequestEvent.request_id == request.id, RequestEvent.kind == EventKind.TRANSITION,
                     RequestEvent.to_status == Status.REFUSED)
              .order_by(RequestEvent.id.desc()).limit(1)
              .correlate(request).scalar_subquery())
    chosen = [] if request_ids is None else [request.id.in_(request_ids)]
    connection.execute(insert(RefusedRequest).from_select(
        ["request_id", "partner_id", "request_type_id", "direction", "reason"],
        select(request.id, request.partner_id, request.request_type_id, request.direction, reason)
        .where(request.status == Status.REFUSED, *chosen)))


def _refresh_projections(connection: Connection, deadline_ids: set[int], request_ids: set[int]) -> None:
    """Bring open_deadline in line for changed deadlines and every deadline of changed requests, and
    officer_queue and refused_request for changed requests (`request_ids` holds the requests of the changed
    deadlines and of new history entries too).

    Each projection selects by request only, so that it reads deadline's (request_id, state, due_at) index: a
    condition "this deadline or that request" let SQLite choose (state, due_at) and read every open deadline."""
    # A deadline deleted in this flush is gone from `deadline`: its projection goes by its own id, first.
    ordered = sorted(deadline_ids)
    for index in range(0, len(ordered), _CHUNK):
        connection.execute(delete(OpenDeadline).where(OpenDeadline.deadline_id.in_(ordered[index:index + _CHUNK])))
    ordered = sorted(request_ids)
    for index in range(0, len(ordered), _CHUNK):
        some_requests = ordered[index:index + _CHUNK]
        connection.execute(delete(OpenDeadline).where(OpenDeadline.request_id.in_(some_requests)))
        _project_open_deadlines(connection, Deadline.request_id.in_(some_requests))
        connection.execute(delete(OfficerQueue).where(OfficerQueue.request_id.in_(some_requests)))
        _project_officer_queues(connection, some_requests)
        connection.execute(delete(RefusedRequest).where(RefusedRequest.request_id.in_(some_requests)))
        project_refused_requests(connection, some_requests)


def rebuild(connection: Connection, zone_name: str | None = None, batch: int = 20_000,
            keys_per_write: int = 400_000) -> None:
    """Recount every tally, and project the open deadlines, from the stored requests and deadlines (after bulk
    writes that bypassed the session, or a change of zone). Counts are gathered in memory over several batches
    of requests (up to `keys_per_write` distinct rows), so that each tally row is written about once."""
    zone_name = zone_name or _zone_name
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:  # the tallies' pages stay in memory while they are written (256 MB at most, this connection only)
        cache_size = connection.exec_driver_sql("PRAGMA cache_size").scalar()
        connection.exec_driver_sql("PRAGMA cache_size=-262144")
    collecting = gc.isenabled()
    gc.disable()  # millions of key tuples, none of them cyclic: the collector would scan them again and again
    try:
        # A database upgrading through the revision that created the tallies has no refused_request yet: the
        # revision that creates it projects it.
        projections = [OpenDeadline, OfficerQueue]
        if inspect(connection).has_table(RefusedRequest.__tablename__):
            projections.append(RefusedRequest)
        for model in (*_TALLIES, *projections):
            connection.execute(delete(model))
        delta: Counter = Counter()
        for facts in _all_facts(connection, batch):
            for one in facts.values():
                contributions(one, zone_name, into=delta)
            if len(delta) >= keys_per_write:
                apply(connection, delta)
                delta = Counter()
        apply(connection, delta)
        _project_open_deadlines(connection)
        _project_officer_queues(connection)
        if RefusedRequest in projections:
            project_refused_requests(connection)
    finally:
        if collecting:
            gc.enable()
        if sqlite:
            connection.exec_driver_sql(f"PRAGMA cache_size={int(cache_size)}")


# ---------------------------------------------------------------- the session listener


# A session whose info holds this key is a bulk load (the demo) that rebuilds every tally once, before it commits,
# instead of keeping them in step flush by flush.
PAUSED = "coop_figures_paused"


def _before_flush(session: Session, _flush_context, _instances) -> None:
    if session.info.get(PAUSED):
        return
    stored = {obj.id for obj in (*session.dirty, *session.deleted)
              if isinstance(obj, CooperationRequest) and obj.id is not None}
    # A partner moved to the other kind moves all its requests in the tallies by kind (a rare, deliberate edit).
    changed_kinds = [obj.id for obj in session.dirty if isinstance(obj, Partner) and obj.id is not None
                     and inspect(obj).attrs.kind.history.has_changes()]
    if changed_kinds:
        stored.update(session.connection().scalars(
            select(CooperationRequest.id).where(CooperationRequest.partner_id.in_(changed_kinds))))
    session.info["coop_figures_before"] = read_facts(session.connection(), stored) if stored else {}


def _after_flush(session: Session, _flush_context) -> None:
    if session.info.get(PAUSED):
        return
    before = session.info.pop("coop_figures_before", {})
    touched = set(before)
    touched.update(obj.id for obj in session.new if isinstance(obj, CooperationRequest))
    deadlines = {obj for obj in (*session.new, *session.dirty, *session.deleted) if isinstance(obj, Deadline)}
    # A refusal's reason is in its history: a new entry may bring it (even in a flush of its own).
    events = {obj.request_id for obj in session.new if isinstance(obj, RequestEvent) and obj.request_id is not None}
    if not (touched or deadlines or events):
        return
    connection = session.connection()
    _refresh_projections(connection, {deadline.id for deadline in deadlines if deadline.id is not None},
                         touched | events
                         | {deadline.request_id for deadline in deadlines if deadline.request_id is not None})
    after = read_facts(connection, touched)
    delta: Counter = Counter()
    for request_id in touched:
        delta.update(contributions(after.get(request_id), _zone_name))
        delta.subtract(contributions(before.get(request_id), _zone_name))
    apply(connection, delta)


def install(session_class, zone_name: str) -> None:
    """Keep the tallies of sessions of `session_class`, counting months in `zone_name`."""
    global _zone_name
    _zone_name = zone_name
    if not event.contains(session_class, "after_flush", _after_flush):
        event.listen(session_class, "before_flush", _before_flush)
        event.listen(session_class, "after_flush", _after_flush)
