"""The department's figures: open work, deadlines, trends and partners' response times, aggregated in SQL.

Every function here returns only the rows a page shows (a page of a list, one row per month, one per status):
counting, grouping, percentiles and paging all happen in the database, whatever its size. Counts by status and
by month, and response times, are read from the tallies that `coop.domain.figures` keeps in step with every
change (a few thousand rows instead of a million requests), so the period is counted in whole local months;
lists of requests and deadlines are read from the requests themselves, a page at a time. Plain rules with no
Flask: the dashboard, the partner scorecard, the monthly report and the exports call them with a session, the
filters and the current time.
"""

from bisect import bisect_right
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Enum,
    Float,
    Integer,
    Select,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from coop.domain.reference_data import name_in
from coop.domain.workflow import FINAL
from coop.models import (
    ALL_OFFICERS,
    CooperationRequest,
    Direction,
    Measure,
    MonthlyKindTally,
    MonthlyTally,
    OpenDeadline,
    Partner,
    PartnerKind,
    RefusedRequest,
    RequestEvent,
    RequestType,
    Status,
    StatusTally,
    User,
    request_officer,
)
from coop.models.deadlines import Deadline

S = Status
OPEN_STATUSES = tuple(sorted(frozenset(Status) - FINAL))
PERCENTILES = (Fraction(1, 2), Fraction(9, 10))
DUE_SOON_DAYS = 7


# ---------------------------------------------------------------- filters and pages


@dataclass(frozen=True)
class StatisticsFilters:
    """What the figures are narrowed to. `start`/`end` bound the period (aware UTC, end excluded)."""

    start: datetime
    end: datetime
    direction: Direction | None = None
    request_type_id: int | None = None
    partner_kind: PartnerKind | None = None
    officer_id: int | None = None
    partner_id: int | None = None


def period_of_local_days(first: date, last: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The instants bounding local days `first` .. `last` (both included) in `zone`."""
    return (datetime.combine(first, time.min, tzinfo=zone),
            datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone))


@dataclass(frozen=True)
class Page:
    """One page of a list that the database counted and cut."""

    items: Sequence
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def _page_bounds(page: int, per_page: int, total: int) -> int:
    """The page to show: `page`, or the last one when `page` is past the end."""
    return max(1, min(page, -(-total // per_page) or 1))


# ---------------------------------------------------------------- portable SQL pieces


class days_between(FunctionElement):
    """Days (fractional) from the first timestamp to the second, in SQL on either database."""

    type = Float()
    inherit_cache = True
    name = "days_between"


@compiles(days_between, "sqlite")
def _days_between_sqlite(element, compiler, **kw):
    start, end = element.clauses
    return f"(julianday({compiler.process(end, **kw)}) - julianday({compiler.process(start, **kw)}))"


@compiles(days_between, "postgresql")
def _days_between_postgresql(element, compiler, **kw):
    start, end = element.clauses
    return f"(EXTRACT(EPOCH FROM ({compiler.process(end, **kw)} - {compiler.process(start, **kw)})) / 86400.0)"


class joined_names(FunctionElement):
    """An aggregate joining text values with ", " (group_concat on SQLite, string_agg on PostgreSQL)."""

    type = String()
    inherit_cache = True
    name = "joined_names"


@compiles(joined_names, "sqlite")
def _joined_names_sqlite(element, compiler, **kw):
    (value,) = element.clauses
    return f"group_concat({compiler.process(value, **kw)}, ', ')"


@compiles(joined_names, "postgresql")
def _joined_names_postgresql(element, compiler, **kw):
    (value,) = element.clauses
    return f"string_agg({compiler.process(value, **kw)}, ', ' ORDER BY {compiler.process(value, **kw)})"


def officer_names_column():
    """A correlated subquery: the names of a request's officers, joined by commas."""
    return (select(joined_names(User.full_name))
            .select_from(request_officer.join(User, User.id == request_officer.c.user_id))
            .where(request_officer.c.request_id == CooperationRequest.id)
            .correlate(CooperationRequest)
            .scalar_subquery())


def _filter_conditions(rows, filters: StatisticsFilters, with_direction: bool = True) -> list:
    """Conditions for every filter but the period, on `rows`: requests, a tally or the open deadlines."""
    conditions = []
    if hasattr(rows, "officer_id"):  # a tally: its rows for everyone, or for the one officer
        conditions.append(rows.officer_id == (filters.officer_id or ALL_OFFICERS))
    elif filters.officer_id:
        request_id = rows.id if rows is CooperationRequest else rows.request_id
        conditions.append(exists().where(request_officer.c.request_id == request_id,
                                         request_officer.c.user_id == filters.officer_id))
    if filters.direction and with_direction:
        conditions.append(rows.direction == filters.direction)
    if filters.request_type_id:
        conditions.append(rows.request_type_id == filters.request_type_id)
    if filters.partner_id:
        conditions.append(rows.partner_id == filters.partner_id)
    if filters.partner_kind and hasattr(rows, "partner_kind"):
        conditions.append(rows.partner_kind == filters.partner_kind)
    elif filters.partner_kind:
        conditions.append(rows.partner_id.in_(select(Partner.id).where(Partner.kind == filters.partner_kind)))
    return conditions


def _monthly_tally(filters: StatisticsFilters, by_partner: bool = False):
    """The monthly tally that answers `filters`: the one by partner where partners matter, else the smaller one by
    partner kind."""
    return MonthlyTally if by_partner or filters.partner_id else MonthlyKindTally


def _in_months(tally, filters: StatisticsFilters) -> list:
    """The monthly tally rows of the months that start within the period."""
    return [tally.month_start >= filters.start, tally.month_start < filters.end]


# ---------------------------------------------------------------- open work


# Stages that group the open statuses for the table by partner; IN_EXECUTION belongs to its direction's stage.
STAGES = ("preparation", "with_partner", "paused", "incoming", "answered")


def _stage_condition(stage: str, rows=CooperationRequest):
    """Whether `rows` (requests, or a StatusTally) are in `stage`."""
    status = rows.status
    outgoing = rows.direction == Direction.OUTGOING
    return {
        "preparation": status.in_([S.DRAFT, S.LEGAL_CHECK, S.AWAITING_APPROVAL, S.APPROVED, S.TRANSLATION]),
        "with_partner": or_(status.in_([S.SENT, S.FORWARDED, S.ACKNOWLEDGED, S.PARTIALLY_ANSWERED]),
                            and_(status == S.IN_EXECUTION, outgoing)),
        "paused": status.in_([S.ADDITIONAL_INFO_REQUESTED, S.POSTPONED]),
        "incoming": or_(status.in_([S.RECEIVED, S.REGISTERED, S.ASSESSED, S.CONSULTATION]),
                        and_(status == S.IN_EXECUTION, ~outgoing)),
        "answered": status.in_([S.ANSWERED, S.EVIDENCE_REVIEWED]),
    }[stage]


@dataclass(frozen=True)
class PartnerOpenRow:
    partner_id: int
    code: str
    name_ru: str
    name_en: str
    name_kk: str | None
    kind: PartnerKind
    stages: dict[str, int]
    total: int
    overdue: int

    def name(self, language: str) -> str:
        return name_in(language, self.name_ru, self.name_en, self.name_kk)


def open_by_partner(session: Session, filters: StatisticsFilters, kind: PartnerKind, now: datetime,
                    page: int = 1, per_page: int = 15) -> Page:
    """Open requests of partners of `kind`, by stage, most open first: one page of partners."""
    tally = StatusTally
    conditions = [tally.status.in_(OPEN_STATUSES), Partner.kind == kind,
                  *_filter_conditions(tally, replace(filters, partner_kind=None))]
    stage_columns = [func.sum(case((_stage_condition(stage, tally), tally.count), else_=0)).label(stage)
                     for stage in STAGES]
    grouped = (
        select(tally.partner_id, *stage_columns, func.sum(tally.count).label("total"))
        .join(Partner, Partner.id == tally.partner_id)
        .where(*conditions)
        .group_by(tally.partner_id)
        .having(func.sum(tally.count) > 0)
        .subquery()
    )
    # The number of partners comes with the page (a window over the grouped rows): one pass, not two.
    rows = session.execute(
        select(grouped, Partner.code, Partner.name_ru, Partner.name_en, Partner.name_kk, Partner.kind,
               func.count().over().label("partners"))
        .join(Partner, Partner.id == grouped.c.partner_id)
        .order_by(grouped.c.total.desc(), Partner.code)
        .limit(per_page).offset((max(1, page) - 1) * per_page)
    ).all()
    if not rows and page > 1:
        # Past the last page (an old link): show the last one.
        total = session.scalar(select(func.count()).select_from(grouped))
        return open_by_partner(session, filters, kind, now, _page_bounds(page, per_page, total), per_page)
    total = rows[0].partners if rows else 0
    overdue = _overdue_by_partner(session, filters, now, [row.partner_id for row in rows])
    items = [PartnerOpenRow(row.partner_id, row.code, row.name_ru, row.name_en, row.name_kk, row.kind,
                            {stage: getattr(row, stage) for stage in STAGES}, row.total, overdue.get(row.partner_id, 0))
             for row in rows]
    return Page(items, max(1, page), per_page, total)


def _overdue_by_partner(session: Session, filters: StatisticsFilters, now: datetime,
                        partner_ids: list[int]) -> dict[int, int]:
    """{partner id: how many of its requests have a deadline past at `now`}, for the partners listed."""
    if not partner_ids:
        return {}
    deadline = OpenDeadline
    return dict(session.execute(
        select(deadline.partner_id, func.count(func.distinct(deadline.request_id)))
        .where(deadline.due_at < now, deadline.partner_id.in_(partner_ids),
               *_filter_conditions(deadline, replace(filters, partner_kind=None)))
        .group_by(deadline.partner_id)
    ).all())


def open_by_status(session: Session, filters: StatisticsFilters) -> list[tuple[Status, int]]:
    """How many requests are open in each status, in workflow order (statuses with none left out)."""
    tally = StatusTally
    rows = session.execute(
        select(tally.status, func.sum(tally.count))
        .where(tally.status.in_(OPEN_STATUSES), *_filter_conditions(tally, filters))
        .group_by(tally.status)
        .having(func.sum(tally.count) > 0)
    ).all()
    order = {status: index for index, status in enumerate(_WORKFLOW_ORDER)}
    return sorted(((status, count) for status, count in rows), key=lambda row: order.get(row[0], 99))


_WORKFLOW_ORDER = (S.DRAFT, S.LEGAL_CHECK, S.AWAITING_APPROVAL, S.APPROVED, S.TRANSLATION, S.SENT, S.FORWARDED,
                   S.ACKNOWLEDGED, S.RECEIVED, S.REGISTERED, S.ASSESSED, S.CONSULTATION, S.IN_EXECUTION,
                   S.ADDITIONAL_INFO_REQUESTED, S.POSTPONED, S.PARTIALLY_ANSWERED, S.ANSWERED, S.EVIDENCE_REVIEWED)


@dataclass(frozen=True)
class RequestRow:
    """A request as a dashboard list shows it."""

    id: int
    reference: str
    title: str
    status: Status
    direction: Direction
    partner_code: str
    partner_name_ru: str
    partner_name_en: str
    partner_name_kk: str | None
    officers: str | None
    at: datetime | None  # the date the list is about (deadline, submission ...)
    kind: str | None = None  # the deadline's kind, for deadline lists

    def partner_name(self, language: str) -> str:
        return name_in(language, self.partner_name_ru, self.partner_name_en, self.partner_name_kk)


def _request_row_columns():
    request = CooperationRequest
    return [request.id, request.reference, request.title, request.status, request.direction,
            Partner.code, Partner.name_ru, Partner.name_en, Partner.name_kk, officer_names_column()]


def awaiting_approval_select(filters: StatisticsFilters) -> Select:
    """Outgoing requests waiting for the head's approval, the longest waiting first (RequestRow columns)."""
    request = CooperationRequest
    submitted = (select(func.max(RequestEvent.at))
                 .where(RequestEvent.request_id == request.id, RequestEvent.to_status == S.AWAITING_APPROVAL)
                 .correlate(request).scalar_subquery())
    # The few requests awaiting approval are found by status; a type filter (a third of all requests for the
    # commonest type) is checked on them, "+ 0" keeping SQLite without statistics from searching by type.
    conditions = _filter_conditions(CooperationRequest, replace(filters, request_type_id=None))
    if filters.request_type_id:
        conditions.append(request.request_type_id + 0 == filters.request_type_id)
    return (select(*_request_row_columns(), func.coalesce(submitted, request.updated_at))
            .join(Partner, Partner.id == request.partner_id)
            .where(request.status == S.AWAITING_APPROVAL, *conditions)
            .order_by(request.updated_at, request.id))


def awaiting_approval(session: Session, filters: StatisticsFilters, page: int = 1, per_page: int = 10) -> Page:
    """One page of the requests waiting for the head's approval."""
    return _page_of_rows(session, awaiting_approval_select(filters), page, per_page)


def _page_of_rows(session: Session, statement: Select, page: int, per_page: int) -> Page:
    """Count what `statement` selects, then fetch one page of it as RequestRows."""
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    page = _page_bounds(page, per_page, total)
    rows = session.execute(statement.limit(per_page).offset((page - 1) * per_page)).all()
    return Page([RequestRow(*row) for row in rows], page, per_page, total)


# ---------------------------------------------------------------- deadlines


def _deadline_select(filters: StatisticsFilters, window: list) -> Select:
    """The open deadlines in `window` (conditions on open_deadline), the nearest first, as RequestRow columns."""
    deadline = OpenDeadline
    return (select(*_request_row_columns(), deadline.due_at, Deadline.kind)
            .select_from(deadline)
            .join(Deadline, Deadline.id == deadline.deadline_id)
            .join(CooperationRequest, CooperationRequest.id == deadline.request_id)
            .join(Partner, Partner.id == deadline.partner_id)
            .where(*window, *_filter_conditions(deadline, filters))
            .order_by(deadline.due_at, deadline.deadline_id))


def _overdue_window(now: datetime) -> list:
    return [OpenDeadline.due_at < now]


def _due_soon_window(now: datetime, days: int = DUE_SOON_DAYS) -> list:
    return [OpenDeadline.due_at >= now, OpenDeadline.due_at < now + timedelta(days=days)]


def overdue_select(filters: StatisticsFilters, now: datetime) -> Select:
    """Open deadlines already past at `now`, the oldest first (RequestRow columns)."""
    return _deadline_select(filters, _overdue_window(now))


def due_soon_select(filters: StatisticsFilters, now: datetime, days: int = DUE_SOON_DAYS) -> Select:
    """Open deadlines falling within the next `days` days, the nearest first (RequestRow columns)."""
    return _deadline_select(filters, _due_soon_window(now, days))


def open_deadlines_select(filters: StatisticsFilters) -> Select:
    """Every open deadline (of one partner, with `partner_id` set), the nearest first."""
    return _deadline_select(filters, [])


def _deadline_page(session: Session, filters: StatisticsFilters, window: list, page: int, per_page: int) -> Page:
    """One page of open deadlines: counted and cut in the narrow open_deadline rows, then only the page's
    deadlines are joined to their requests."""
    deadline = OpenDeadline
    conditions = [*window, *_filter_conditions(deadline, filters)]
    total = session.scalar(select(func.count()).select_from(deadline).where(*conditions))
    page = _page_bounds(page, per_page, total)
    shown = (select(deadline.deadline_id).where(*conditions).order_by(deadline.due_at, deadline.deadline_id)
             .limit(per_page).offset((page - 1) * per_page))
    rows = session.execute(_deadline_select(filters, window).where(deadline.deadline_id.in_(shown))).all()
    return Page([RequestRow(*row) for row in rows], page, per_page, total)


def overdue(session: Session, filters: StatisticsFilters, now: datetime, page: int = 1, per_page: int = 10) -> Page:
    """One page of the overdue deadlines, with the request and its officers."""
    return _deadline_page(session, filters, _overdue_window(now), page, per_page)


def due_soon(session: Session, filters: StatisticsFilters, now: datetime, page: int = 1, per_page: int = 10) -> Page:
    """One page of the deadlines due within a week."""
    return _deadline_page(session, filters, _due_soon_window(now), page, per_page)


def open_deadlines(session: Session, filters: StatisticsFilters, page: int = 1, per_page: int = 10) -> Page:
    """One page of the open deadlines (of one partner, with `partner_id` set)."""
    return _deadline_page(session, filters, [], page, per_page)


# ---------------------------------------------------------------- headline figures


@dataclass(frozen=True)
class Headline:
    open: int
    awaiting_approval: int
    overdue: int
    due_soon: int
    sent: int
    received: int
    answered: int
    refused: int


def headline(session: Session, filters: StatisticsFilters, now: datetime) -> Headline:
    """The figures at the top of the dashboard: open work now, and what moved in the period."""
    work = session.execute(
        select(func.sum(StatusTally.count),
               func.sum(case((StatusTally.status == S.AWAITING_APPROVAL, StatusTally.count), else_=0)))
        .where(StatusTally.status.in_(OPEN_STATUSES), *_filter_conditions(StatusTally, filters))
    ).one()
    tally = _monthly_tally(filters)
    moved = dict(session.execute(
        select(tally.measure, func.sum(tally.count))
        .where(tally.measure.in_([Measure.SENT, Measure.RECEIVED, Measure.REPLIED, Measure.REFUSED]),
               *_in_months(tally, filters), *_filter_conditions(tally, filters))
        .group_by(tally.measure)
    ).all())
    replies, refused = moved.get(Measure.REPLIED) or 0, moved.get(Measure.REFUSED) or 0
    deadline = OpenDeadline
    deadline_rows = session.execute(
        select(func.sum(case((deadline.due_at < now, 1), else_=0)),
               func.sum(case((deadline.due_at >= now, 1), else_=0)))
        .where(deadline.due_at < now + timedelta(days=DUE_SOON_DAYS), *_filter_conditions(deadline, filters))
    ).one()
    overdue_count, due_count = (value or 0 for value in deadline_rows)
    return Headline(open=work[0] or 0, awaiting_approval=work[1] or 0, overdue=overdue_count, due_soon=due_count,
                    sent=moved.get(Measure.SENT) or 0, received=moved.get(Measure.RECEIVED) or 0,
                    answered=replies - refused, refused=refused)


# ---------------------------------------------------------------- trend per month


@dataclass(frozen=True)
class MonthCount:
    month: date  # the first local day of the month
    sent: int
    received: int


def months_between(start: datetime, end: datetime, zone: ZoneInfo) -> list[tuple[date, datetime, datetime]]:
    """The local calendar months touching [start, end): (first day, first instant, end instant), clipped."""
    months = []
    local = start.astimezone(zone)
    month = date(local.year, local.month, 1)
    while True:
        month_start = datetime.combine(month, time.min, tzinfo=zone)
        if month_start >= end:
            break
        following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        month_end = datetime.combine(following, time.min, tzinfo=zone)
        months.append((month, max(month_start, start), min(month_end, end)))
        month = following
    return months


def monthly_trend(session: Session, filters: StatisticsFilters, zone: ZoneInfo) -> list[MonthCount]:
    """Requests sent (outgoing) and received (incoming) in each local month of the period."""
    months = [month for month, _, _ in months_between(filters.start, filters.end, zone)]
    tally = _monthly_tally(filters)
    rows = session.execute(
        select(tally.measure, tally.month_start, func.sum(tally.count))
        # The IN list lets the primary key serve (officer, measure, month); the OR alone reads every month.
        .where(tally.measure.in_([Measure.SENT, Measure.RECEIVED]),
               or_(and_(tally.measure == Measure.SENT, tally.direction == Direction.OUTGOING),
                   and_(tally.measure == Measure.RECEIVED, tally.direction == Direction.INCOMING)),
               *_in_months(tally, filters), *_filter_conditions(tally, filters))
        .group_by(tally.measure, tally.month_start)
    ).all()
    counts = {(measure, _local_month(month_start, zone)): count for measure, month_start, count in rows}
    return [MonthCount(month, counts.get((Measure.SENT, month), 0), counts.get((Measure.RECEIVED, month), 0))
            for month in months]


def _local_month(month_start: datetime, zone: ZoneInfo) -> date:
    """The local month a tally's `month_start` opens, as its first day."""
    return month_start.astimezone(zone).date().replace(day=1)


# ---------------------------------------------------------------- response times


@dataclass(frozen=True)
class Durations:
    """Days a partner took, over the requests it acknowledged (or answered) in the period."""

    count: int = 0
    median: float | None = None
    p90: float | None = None


@dataclass(frozen=True)
class ResponseTimes:
    key: object  # a partner id, a PartnerKind, a month ... or None for everyone
    acknowledge: Durations = field(default_factory=Durations)
    answer: Durations = field(default_factory=Durations)
    code: str | None = None
    name_ru: str | None = None
    name_en: str | None = None
    name_kk: str | None = None
    kind: PartnerKind | None = None

    def name(self, language: str) -> str:
        return name_in(language, self.name_ru, self.name_en, self.name_kk)


# What the partner's clock measures, in calendar days: from sending to the acknowledgement, and to the reply
# (answer, partial answer, refusal or "no data": any reply ends the wait). The tallies count each reply in the
# local month it came, by the days it took (coop.domain.figures).
METRICS = {"acknowledge": Measure.ACKNOWLEDGE, "answer": Measure.ANSWER}


def tally_histograms(session: Session, tally, group, conditions: list) -> dict[Measure, dict[object, dict]]:
    """{measure: {group value: {days: replies}}} of the replies each of METRICS counts in a monthly `tally`.

    One pass over the tally for both measures; a histogram has a row per distinct number of days (hundreds at
    most, however many replies), so the percentiles are read from it here (`histogram_percentiles`) and groups
    can be merged (everyone's figures from each kind's) without reading the tally again. Ranking in SQL needed
    a statement per measure and per grouping, each reading the same tally rows."""
    group_key = group if group is not None else literal(0)
    found: dict[Measure, dict[object, dict]] = {measure: {} for measure in METRICS.values()}
    # Enums come back as their stored strings, equal to the StrEnum members as keys: SQLAlchemy's conversion of
    # each row's enum was a fifth of the dashboard's time (35,000 conversions); Core rows, not the ORM's, likewise.
    for measure, group_value, days, count in session.connection().execute(
            select(_stored(tally.measure), _stored(group_key), tally.days, func.sum(tally.count))
            .where(tally.measure.in_(METRICS.values()), *conditions)
            .group_by(tally.measure, group_key, tally.days)):
        if count > 0:  # each (measure, group, days) comes once: a plain dict, no Counter built per row
            found[measure].setdefault(group_value, {})[days] = count
    return found


def _stored(column):
    """`column` as stored, without converting each value back to its enum."""
    return type_coerce(column, String) if isinstance(column.type, Enum) else column


def histogram_percentiles(histogram: Mapping[int, int], fractions: Sequence[Fraction] = PERCENTILES) -> tuple:
    """(count, value at each fraction) of the values `histogram` counts, like percentile_cont: the value at rank
    fraction x (count - 1), interpolated between its two neighbours."""
    values, cumulative, running = [], [], 0
    for value in sorted(histogram):
        running += histogram[value]
        values.append(value)
        cumulative.append(running)
    if not running:
        return (0, *(None for _ in fractions))

    def at_rank(rank: int) -> int:  # 0-based: the first value whose cumulative count passes the rank
        return values[min(bisect_right(cumulative, rank), len(values) - 1)]

    figures = []
    for fraction in fractions:
        position = fraction * (running - 1)
        rank = position.numerator // position.denominator
        low, high = at_rank(rank), at_rank(rank + 1)
        figures.append(low + float(position - rank) * (high - low))
    return (running, *figures)


def percentiles_by_group(session: Session, group, start_column, end_column, conditions: list,
                         fractions: Sequence[Fraction] = PERCENTILES) -> dict:
    """{group value: (count, value at each fraction)} of the days from `start_column` to `end_column`, read from
    the requests themselves (for figures the tallies cannot filter, such as what one user may see).

    PostgreSQL computes percentile_cont itself; on SQLite the rows are ranked by a window function and only the
    one or two rows around each rank are read, with the same linear interpolation, so the figures agree.
    """
    fractions = [float(fraction) for fraction in fractions]
    duration = days_between(start_column, end_column)
    group_key = group if group is not None else literal(0)
    if session.get_bind().dialect.name == "postgresql":
        statement = (select(group_key.label("g"), func.count(),
                            *[func.percentile_cont(fraction).within_group(duration) for fraction in fractions])
                     .where(*conditions).group_by(group_key))
        return {row[0]: (row[1], *row[2:]) for row in session.execute(statement)}

    ranked = (
        select(group_key.label("g"), duration.label("v"),
               (func.row_number().over(partition_by=group_key, order_by=duration) - 1).label("i"),
               func.count().over(partition_by=group_key).label("n"))
        .where(*conditions)
        .subquery()
    )
    columns = []
    for fraction in fractions:
        position = fraction * (ranked.c.n - 1)
        low_index = cast(position, Integer)
        low = func.max(case((ranked.c.i == low_index, ranked.c.v)))
        high = func.max(case((ranked.c.i == low_index + 1, ranked.c.v)))
        columns.append(low + (func.max(position) - func.max(low_index)) * (func.coalesce(high, low) - low))
    wanted = or_(*[ranked.c.i.in_([cast(fraction * (ranked.c.n - 1), Integer),
                                   cast(fraction * (ranked.c.n - 1), Integer) + 1]) for fraction in fractions])
    statement = select(ranked.c.g, func.max(ranked.c.n), *columns).where(wanted).group_by(ranked.c.g)
    return {row[0]: (row[1], *row[2:]) for row in session.execute(statement)}


def _response_conditions(tally, filters: StatisticsFilters) -> list:
    # Only sent requests are counted (a sending time is what makes a partner's clock run), whatever the direction.
    return [*_in_months(tally, filters), *_filter_conditions(tally, filters, with_direction=False)]


def _durations(histogram: Mapping[int, int] | None) -> Durations:
    if not histogram:
        return Durations()
    count, median, p90 = histogram_percentiles(histogram)
    return Durations(count, median, p90)


def response_times_overall(session: Session, filters: StatisticsFilters) -> ResponseTimes:
    """How long partners took in the period, all together."""
    return response_times_by_kind(session, filters)[0]


def response_times_by_kind(session: Session, filters: StatisticsFilters) -> list[ResponseTimes]:
    """How long partners took in the period: all together first, then countries and providers, each kind
    together (one pass over the tally: everyone's histogram is the sum of the kinds')."""
    tally = _monthly_tally(filters)
    group = tally.partner_kind if tally is MonthlyKindTally else Partner.kind
    conditions = _response_conditions(tally, filters)
    if tally is MonthlyTally:
        conditions.append(Partner.id == tally.partner_id)
    histograms = tally_histograms(session, tally, group, conditions)
    everyone = {measure: sum(map(Counter, by_kind.values()), Counter()) for measure, by_kind in histograms.items()}
    kinds = [kind for kind in PartnerKind if not filters.partner_kind or kind == filters.partner_kind]
    return [ResponseTimes(None, *(_durations(everyone[measure]) for measure in METRICS.values())),
            *(ResponseTimes(kind, *(_durations(histograms[measure].get(kind)) for measure in METRICS.values()),
                            kind=kind) for kind in kinds)]


def response_times_by_partner(session: Session, filters: StatisticsFilters, page: int = 1,
                              per_page: int = 15) -> Page:
    """Each partner's times in the period, partners with the most replies first: one page of partners."""
    tally = _monthly_tally(filters, by_partner=True)
    replied = (select(tally.partner_id, func.sum(tally.count).label("replies"))
               .where(tally.measure == Measure.REPLIED, *_response_conditions(tally, filters))
               .group_by(tally.partner_id).having(func.sum(tally.count) > 0).subquery())
    partners = session.execute(
        select(Partner.id, Partner.code, Partner.name_ru, Partner.name_en, Partner.name_kk, Partner.kind,
               func.count().over().label("total"))
        .join(replied, replied.c.partner_id == Partner.id)
        .order_by(replied.c.replies.desc(), Partner.code)
        .limit(per_page).offset((max(page, 1) - 1) * per_page)
    ).all()
    if not partners and page > 1:
        # Past the last page (an old link): show the last one.
        total = session.scalar(select(func.count()).select_from(replied))
        return response_times_by_partner(session, filters, _page_bounds(page, per_page, total), per_page)
    if not partners:
        return Page([], 1, per_page, 0)
    total = partners[0].total
    conditions = [*_response_conditions(tally, filters), tally.partner_id.in_([row.id for row in partners])]
    histograms = tally_histograms(session, tally, tally.partner_id, conditions)
    items = [ResponseTimes(row.id, *(_durations(histograms[measure].get(row.id)) for measure in METRICS.values()),
                           row.code, row.name_ru, row.name_en, row.name_kk, row.kind)
             for row in partners]
    return Page(items, max(1, page), per_page, total)


def response_times_by_month(session: Session, filters: StatisticsFilters, zone: ZoneInfo) -> list[ResponseTimes]:
    """Times in each local month of the period (for one partner's scorecard: set `partner_id`)."""
    months = [month for month, _, _ in months_between(filters.start, filters.end, zone)]
    tally = _monthly_tally(filters)
    found = tally_histograms(session, tally, tally.month_start, _response_conditions(tally, filters))
    figures = {measure: {_local_month(month_start, zone): histogram for month_start, histogram in by_month.items()}
               for measure, by_month in found.items()}
    return [ResponseTimes(month, *(_durations(figures[measure].get(month)) for measure in METRICS.values()))
            for month in months]


# ---------------------------------------------------------------- one partner


@dataclass(frozen=True)
class PartnerSummary:
    total: int
    outgoing: int
    incoming: int
    open: int
    refused: int
    no_data: int
    answered: int
    stages: dict[str, int]


def partner_summary(session: Session, filters: StatisticsFilters) -> PartnerSummary:
    """One partner's requests of all time (with `partner_id` set): totals, outcomes and open stages."""
    tally = StatusTally
    is_open = tally.status.in_(OPEN_STATUSES)
    counts = [
        func.sum(tally.count),
        func.sum(case((tally.direction == Direction.OUTGOING, tally.count), else_=0)),
        func.sum(case((tally.direction == Direction.INCOMING, tally.count), else_=0)),
        func.sum(case((is_open, tally.count), else_=0)),
        func.sum(case((tally.status == S.REFUSED, tally.count), else_=0)),
        func.sum(case((tally.status == S.NO_DATA, tally.count), else_=0)),
        *[func.sum(case((and_(is_open, _stage_condition(stage, tally)), tally.count), else_=0)) for stage in STAGES],
    ]
    row = [value or 0 for value in session.execute(select(*counts).where(*_filter_conditions(tally, filters))).one()]
    replies = dict(session.execute(
        select(MonthlyTally.measure, func.sum(MonthlyTally.count))
        .where(MonthlyTally.measure.in_([Measure.REPLIED, Measure.REFUSED, Measure.NO_DATA]),
               *_filter_conditions(MonthlyTally, filters))
        .group_by(MonthlyTally.measure)
    ).all())
    # Answered: the partner's replies to our requests that were neither a refusal nor "no data".
    answered = ((replies.get(Measure.REPLIED) or 0) - (replies.get(Measure.REFUSED) or 0)
                - (replies.get(Measure.NO_DATA) or 0))
    total, outgoing, incoming, open_count, refused, no_data = row[:6]
    return PartnerSummary(total, outgoing, incoming, open_count, refused, no_data, answered,
                          stages=dict(zip(STAGES, row[6:], strict=True)))


@dataclass(frozen=True)
class Refusal:
    request_id: int
    reference: str
    title: str
    at: datetime
    reason: str | None
    request_type_ru: str
    request_type_en: str
    request_type_kk: str | None = None

    def request_type(self, language: str) -> str:
        return name_in(language, self.request_type_ru, self.request_type_en, self.request_type_kk)


def refusals(session: Session, filters: StatisticsFilters, page: int = 1, per_page: int = 10) -> Page:
    """The partner's refusals (with `partner_id` set), the latest first, with the reason recorded."""
    request = CooperationRequest
    conditions = [request.status == S.REFUSED, *_filter_conditions(CooperationRequest, filters)]
    total = session.scalar(select(func.count()).select_from(request).where(*conditions))
    page = _page_bounds(page, per_page, total)
    latest_first = (request.answered_at.desc().nulls_last(), request.id.desc())
    # The page's requests first; their reasons from the refused requests' projection.
    shown = select(request.id).where(*conditions).order_by(*latest_first).limit(per_page).offset((page - 1) * per_page)
    rows = session.execute(
        select(request.id, request.reference, request.title, func.coalesce(request.answered_at, request.closed_at),
               RefusedRequest.reason, RequestType.name_ru, RequestType.name_en, RequestType.name_kk)
        .join(RequestType, RequestType.id == request.request_type_id)
        .outerjoin(RefusedRequest, RefusedRequest.request_id == request.id)
        .where(request.id.in_(shown))
        .order_by(*latest_first)
    ).all()
    return Page([Refusal(*row) for row in rows], page, per_page, total)


def refusal_reasons(session: Session, filters: StatisticsFilters, limit: int = 8) -> list[tuple[str | None, int]]:
    """The reasons a partner gave most often for refusing (with `partner_id` set), from the refused requests'
    projection (coop.domain.figures) rather than each one's history."""
    refused = RefusedRequest
    rows = session.execute(
        select(refused.reason, func.count())
        .where(*_filter_conditions(refused, filters))
        .group_by(refused.reason)
        .order_by(func.count().desc(), refused.reason)
        .limit(limit)
    ).all()
    return [(comment, count) for comment, count in rows]
