"""The department's figures: open work, deadlines, trends and partners' response times, aggregated in SQL.

Every function here returns only the rows a page shows (a page of a list, one row per month, one per status):
counting, grouping, percentiles and paging all happen in the database, whatever its size. Plain rules with no
Flask: the dashboard, the partner scorecard, the monthly report and the exports call them with a session, the
filters and the current time.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Float, Integer, Select, String, and_, case, cast, exists, func, literal, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from coop.domain.workflow import FINAL
from coop.models import (
    CooperationRequest,
    Direction,
    EventKind,
    Partner,
    PartnerKind,
    RequestEvent,
    RequestType,
    Status,
    User,
    request_officer,
)
from coop.models.deadlines import Deadline, DeadlineState

S = Status
OPEN_STATUSES = tuple(sorted(frozenset(Status) - FINAL))
PERCENTILES = (0.5, 0.9)
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


def _request_conditions(filters: StatisticsFilters) -> list:
    """Conditions on cooperation_request for every filter but the period."""
    request = CooperationRequest
    conditions = []
    if filters.direction:
        conditions.append(request.direction == filters.direction)
    if filters.request_type_id:
        conditions.append(request.request_type_id == filters.request_type_id)
    if filters.partner_id:
        conditions.append(request.partner_id == filters.partner_id)
    if filters.partner_kind:
        conditions.append(request.partner_id.in_(select(Partner.id).where(Partner.kind == filters.partner_kind)))
    if filters.officer_id:
        conditions.append(exists().where(request_officer.c.request_id == request.id,
                                         request_officer.c.user_id == filters.officer_id))
    return conditions


def _is_open():
    return CooperationRequest.status.in_(OPEN_STATUSES)


# ---------------------------------------------------------------- open work


# Stages that group the open statuses for the table by partner; IN_EXECUTION belongs to its direction's stage.
STAGES = ("preparation", "with_partner", "paused", "incoming", "answered")


def _stage_condition(stage: str):
    request = CooperationRequest
    outgoing = request.direction == Direction.OUTGOING
    return {
        "preparation": request.status.in_([S.DRAFT, S.LEGAL_CHECK, S.AWAITING_APPROVAL, S.APPROVED, S.TRANSLATION]),
        "with_partner": or_(request.status.in_([S.SENT, S.FORWARDED, S.ACKNOWLEDGED, S.PARTIALLY_ANSWERED]),
                            and_(request.status == S.IN_EXECUTION, outgoing)),
        "paused": request.status.in_([S.ADDITIONAL_INFO_REQUESTED, S.POSTPONED]),
        "incoming": or_(request.status.in_([S.RECEIVED, S.REGISTERED, S.ASSESSED, S.CONSULTATION]),
                        and_(request.status == S.IN_EXECUTION, ~outgoing)),
        "answered": request.status.in_([S.ANSWERED, S.EVIDENCE_REVIEWED]),
    }[stage]


@dataclass(frozen=True)
class PartnerOpenRow:
    partner_id: int
    code: str
    name_ru: str
    name_en: str
    kind: PartnerKind
    stages: dict[str, int]
    total: int
    overdue: int

    def name(self, language: str) -> str:
        return self.name_en if language == "en" and self.name_en else self.name_ru


def open_by_partner(session: Session, filters: StatisticsFilters, kind: PartnerKind, now: datetime,
                    page: int = 1, per_page: int = 15) -> Page:
    """Open requests of partners of `kind`, by stage, most open first: one page of partners."""
    request = CooperationRequest
    conditions = [_is_open(), Partner.kind == kind, *_request_conditions(replace(filters, partner_kind=None))]
    stage_columns = [func.sum(case((_stage_condition(stage), 1), else_=0)).label(stage) for stage in STAGES]
    grouped = (
        select(request.partner_id, *stage_columns, func.count().label("total"))
        .join(Partner, Partner.id == request.partner_id)
        .where(*conditions)
        .group_by(request.partner_id)
        .subquery()
    )
    # The number of partners comes with the page (a window over the grouped rows): one pass, not two.
    rows = session.execute(
        select(grouped, Partner.code, Partner.name_ru, Partner.name_en, Partner.kind,
               _overdue_per_partner(filters, now).label("overdue"), func.count().over().label("partners"))
        .join(Partner, Partner.id == grouped.c.partner_id)
        .order_by(grouped.c.total.desc(), Partner.code)
        .limit(per_page).offset((max(1, page) - 1) * per_page)
    ).all()
    if not rows and page > 1:
        # Past the last page (an old link): show the last one.
        total = session.scalar(select(func.count()).select_from(grouped))
        return open_by_partner(session, filters, kind, now, _page_bounds(page, per_page, total), per_page)
    total = rows[0].partners if rows else 0
    items = [PartnerOpenRow(row.partner_id, row.code, row.name_ru, row.name_en, row.kind,
                            {stage: getattr(row, stage) for stage in STAGES}, row.total, row.overdue or 0)
             for row in rows]
    return Page(items, max(1, page), per_page, total)


def _overdue_per_partner(filters: StatisticsFilters, now: datetime):
    """A correlated subquery: how many of the partner's open requests have a deadline past at `now`."""
    request = CooperationRequest
    return (select(func.count(func.distinct(Deadline.request_id)))
            .join(request, request.id == Deadline.request_id)
            .where(request.partner_id == Partner.id, Deadline.state == DeadlineState.OPEN, Deadline.due_at < now,
                   _is_open(), *_request_conditions(replace(filters, partner_kind=None)))
            .correlate(Partner)
            .scalar_subquery())


def open_by_status(session: Session, filters: StatisticsFilters) -> list[tuple[Status, int]]:
    """How many requests are open in each status, in workflow order (statuses with none left out)."""
    rows = session.execute(
        select(CooperationRequest.status, func.count())
        .where(_is_open(), *_request_conditions(filters))
        .group_by(CooperationRequest.status)
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
    officers: str | None
    at: datetime | None  # the date the list is about (deadline, submission ...)
    kind: str | None = None  # the deadline's kind, for deadline lists

    def partner_name(self, language: str) -> str:
        return self.partner_name_en if language == "en" and self.partner_name_en else self.partner_name_ru


def _request_row_columns():
    request = CooperationRequest
    return [request.id, request.reference, request.title, request.status, request.direction,
            Partner.code, Partner.name_ru, Partner.name_en, officer_names_column()]


def awaiting_approval_select(filters: StatisticsFilters) -> Select:
    """Outgoing requests waiting for the head's approval, the longest waiting first (RequestRow columns)."""
    request = CooperationRequest
    submitted = (select(func.max(RequestEvent.at))
                 .where(RequestEvent.request_id == request.id, RequestEvent.to_status == S.AWAITING_APPROVAL)
                 .correlate(request).scalar_subquery())
    return (select(*_request_row_columns(), func.coalesce(submitted, request.updated_at))
            .join(Partner, Partner.id == request.partner_id)
            .where(request.status == S.AWAITING_APPROVAL, *_request_conditions(filters))
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
    request = CooperationRequest
    return (select(*_request_row_columns(), Deadline.due_at, Deadline.kind)
            .select_from(Deadline)
            .join(request, request.id == Deadline.request_id)
            .join(Partner, Partner.id == request.partner_id)
            .where(Deadline.state == DeadlineState.OPEN, *window, *_request_conditions(filters))
            .order_by(Deadline.due_at, Deadline.id))


def overdue_select(filters: StatisticsFilters, now: datetime) -> Select:
    """Open deadlines already past at `now`, the oldest first (RequestRow columns)."""
    return _deadline_select(filters, [Deadline.due_at < now])


def due_soon_select(filters: StatisticsFilters, now: datetime, days: int = DUE_SOON_DAYS) -> Select:
    """Open deadlines falling within the next `days` days, the nearest first (RequestRow columns)."""
    return _deadline_select(filters, [Deadline.due_at >= now, Deadline.due_at < now + timedelta(days=days)])


def open_deadlines_select(filters: StatisticsFilters) -> Select:
    """Every open deadline (of one partner, with `partner_id` set), the nearest first."""
    return _deadline_select(filters, [])


def _deadline_page(session: Session, statement: Select, page: int, per_page: int) -> Page:
    return _page_of_rows(session, statement, page, per_page)


def overdue(session: Session, filters: StatisticsFilters, now: datetime, page: int = 1, per_page: int = 10) -> Page:
    """One page of the overdue deadlines, with the request and its officers."""
    return _deadline_page(session, overdue_select(filters, now), page, per_page)


def due_soon(session: Session, filters: StatisticsFilters, now: datetime, page: int = 1, per_page: int = 10) -> Page:
    """One page of the deadlines due within a week."""
    return _deadline_page(session, due_soon_select(filters, now), page, per_page)


def open_deadlines(session: Session, filters: StatisticsFilters, page: int = 1, per_page: int = 10) -> Page:
    """One page of the open deadlines (of one partner, with `partner_id` set)."""
    return _deadline_page(session, open_deadlines_select(filters), page, per_page)


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
    request = CooperationRequest
    conditions = _request_conditions(filters)
    in_period = _in_period
    work = session.execute(
        select(func.count(),
               func.sum(case((request.status == S.AWAITING_APPROVAL, 1), else_=0)))
        .where(_is_open(), *conditions)
    ).one()
    # One count per milestone column, each read from that column's index.
    sent = session.scalar(select(func.count()).where(in_period(request.sent_at, filters), *conditions))
    received = session.scalar(select(func.count()).where(in_period(request.received_at, filters), *conditions))
    replies = session.execute(
        select(func.sum(case((request.status == S.REFUSED, 0), else_=1)),
               func.sum(case((request.status == S.REFUSED, 1), else_=0)))
        .where(in_period(request.answered_at, filters), request.sent_at.is_not(None), *conditions)
    ).one()
    deadline_rows = session.execute(
        select(func.sum(case((Deadline.due_at < now, 1), else_=0)),
               func.sum(case((Deadline.due_at >= now, 1), else_=0)))
        .join(request, request.id == Deadline.request_id)
        .where(Deadline.state == DeadlineState.OPEN, Deadline.due_at < now + timedelta(days=DUE_SOON_DAYS),
               *conditions)
    ).one()
    overdue_count, due_count = (value or 0 for value in deadline_rows)
    return Headline(open=work[0] or 0, awaiting_approval=work[1] or 0, overdue=overdue_count, due_soon=due_count,
                    sent=sent, received=received, answered=replies[0] or 0, refused=replies[1] or 0)


def _in_period(column, filters: StatisticsFilters):
    return and_(column >= filters.start, column < filters.end)


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
    months = months_between(filters.start, filters.end, zone)
    if not months:
        return []
    request = CooperationRequest
    conditions = _request_conditions(filters)
    results = {}
    for direction, column in ((Direction.OUTGOING, request.sent_at), (Direction.INCOMING, request.received_at)):
        if filters.direction and filters.direction != direction:
            results[direction] = [0] * len(months)
            continue
        # One pass over the period: each row falls into the month whose bounds hold it.
        bucket = case(*[(column < month_end, index) for index, (_, _, month_end) in enumerate(months)])
        rows = session.execute(
            select(bucket.label("bucket"), func.count())
            .where(request.direction == direction, column >= filters.start, column < filters.end, *conditions)
            .group_by("bucket")
        ).all()
        counts = [0] * len(months)
        for index, count in rows:
            if index is not None:
                counts[index] = count
        results[direction] = counts
    return [MonthCount(month, results[Direction.OUTGOING][index], results[Direction.INCOMING][index])
            for index, (month, _, _) in enumerate(months)]


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
    kind: PartnerKind | None = None

    def name(self, language: str) -> str:
        return (self.name_en if language == "en" and self.name_en else self.name_ru) or ""


# What the partner's clock measures: from sending to the acknowledgement, and to the reply (answer,
# partial answer, refusal or "no data": any reply ends the wait).
METRICS = {
    "acknowledge": (CooperationRequest.sent_at, CooperationRequest.acknowledged_at),
    "answer": (CooperationRequest.sent_at, CooperationRequest.answered_at),
}


def percentiles_by_group(session: Session, group, start_column, end_column, conditions: list,
                         fractions: Sequence[float] = PERCENTILES) -> dict:
    """{group value: (count, value at each fraction)} of the days from `start_column` to `end_column`.

    PostgreSQL computes percentile_cont itself; on SQLite the rows are ranked by a window function and only the
    one or two rows around each rank are read, with the same linear interpolation, so the figures agree.
    """
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


def _response_conditions(filters: StatisticsFilters, metric: str) -> list:
    start_column, end_column = METRICS[metric]
    # Only outgoing requests are sent: a sending time is what makes a partner's clock run.
    return [start_column.is_not(None), end_column >= filters.start, end_column < filters.end,
            *_request_conditions(replace(filters, direction=None))]


def _durations(values) -> Durations:
    if not values:
        return Durations()
    count, median, p90 = values
    return Durations(count, median, p90)


def response_times_overall(session: Session, filters: StatisticsFilters) -> ResponseTimes:
    """How long partners took in the period, all together."""
    figures = {}
    for metric, (start_column, end_column) in METRICS.items():
        found = percentiles_by_group(session, None, start_column, end_column, _response_conditions(filters, metric))
        figures[metric] = _durations(found.get(0))
    return ResponseTimes(None, figures["acknowledge"], figures["answer"])


def response_times_by_kind(session: Session, filters: StatisticsFilters) -> list[ResponseTimes]:
    """How long countries and providers took in the period, each kind together."""
    figures = {}
    for metric, (start_column, end_column) in METRICS.items():
        # The partner's kind by a join in the ranked rows' FROM: one look-up per partner page, not a subquery per row.
        conditions = [*_response_conditions(filters, metric), Partner.id == CooperationRequest.partner_id]
        figures[metric] = percentiles_by_group(session, Partner.kind, start_column, end_column, conditions)
    kinds = [kind for kind in PartnerKind if not filters.partner_kind or kind == filters.partner_kind]
    return [ResponseTimes(kind, _durations(figures["acknowledge"].get(kind.value)),
                          _durations(figures["answer"].get(kind.value)), kind=kind) for kind in kinds]


def response_times_by_partner(session: Session, filters: StatisticsFilters, page: int = 1,
                              per_page: int = 15) -> Page:
    """Each partner's times in the period, partners with the most replies first: one page of partners."""
    request = CooperationRequest
    answer_conditions = _response_conditions(filters, "answer")
    replied = (select(request.partner_id, func.count().label("replies"))
               .where(*answer_conditions).group_by(request.partner_id).subquery())
    total = session.scalar(select(func.count()).select_from(replied))
    page = _page_bounds(page, per_page, total)
    partners = session.execute(
        select(Partner.id, Partner.code, Partner.name_ru, Partner.name_en, Partner.kind)
        .join(replied, replied.c.partner_id == Partner.id)
        .order_by(replied.c.replies.desc(), Partner.code)
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    ids = [row.id for row in partners]
    if not ids:
        return Page([], page, per_page, total)
    figures = {}
    for metric, (start_column, end_column) in METRICS.items():
        conditions = [*_response_conditions(filters, metric), request.partner_id.in_(ids)]
        figures[metric] = percentiles_by_group(session, request.partner_id, start_column, end_column, conditions)
    items = [ResponseTimes(row.id, _durations(figures["acknowledge"].get(row.id)),
                           _durations(figures["answer"].get(row.id)), row.code, row.name_ru, row.name_en, row.kind)
             for row in partners]
    return Page(items, page, per_page, total)


def response_times_by_month(session: Session, filters: StatisticsFilters, zone: ZoneInfo) -> list[ResponseTimes]:
    """Times in each local month of the period (for one partner's scorecard: set `partner_id`)."""
    months = months_between(filters.start, filters.end, zone)
    figures = {}
    for metric, (start_column, end_column) in METRICS.items():
        bucket = case(*[(end_column < month_end, index) for index, (_, _, month_end) in enumerate(months)])
        figures[metric] = percentiles_by_group(session, bucket, start_column, end_column,
                                               _response_conditions(filters, metric))
    return [ResponseTimes(month, _durations(figures["acknowledge"].get(index)),
                          _durations(figures["answer"].get(index)))
            for index, (month, _, _) in enumerate(months)]


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
    request = CooperationRequest
    conditions = _request_conditions(filters)
    counts = [
        func.count(),
        func.sum(case((request.direction == Direction.OUTGOING, 1), else_=0)),
        func.sum(case((request.direction == Direction.INCOMING, 1), else_=0)),
        func.sum(case((_is_open(), 1), else_=0)),
        func.sum(case((request.status == S.REFUSED, 1), else_=0)),
        func.sum(case((request.status == S.NO_DATA, 1), else_=0)),
        func.sum(case((request.answered_at.is_not(None) & request.status.not_in([S.REFUSED, S.NO_DATA]), 1),
                      else_=0)),
        *[func.sum(case((and_(_is_open(), _stage_condition(stage)), 1), else_=0)) for stage in STAGES],
    ]
    row = [value or 0 for value in session.execute(select(*counts).where(*conditions)).one()]
    return PartnerSummary(*row[:7], stages=dict(zip(STAGES, row[7:], strict=True)))


@dataclass(frozen=True)
class Refusal:
    request_id: int
    reference: str
    title: str
    at: datetime
    reason: str | None
    request_type_ru: str
    request_type_en: str

    def request_type(self, language: str) -> str:
        return self.request_type_en if language == "en" and self.request_type_en else self.request_type_ru


def refusals(session: Session, filters: StatisticsFilters, page: int = 1, per_page: int = 10) -> Page:
    """The partner's refusals (with `partner_id` set), the latest first, with the reason recorded."""
    request = CooperationRequest
    conditions = [request.status == S.REFUSED, *_request_conditions(filters)]
    total = session.scalar(select(func.count()).select_from(request).where(*conditions))
    page = _page_bounds(page, per_page, total)
    reason = (select(RequestEvent.comment)
              .where(RequestEvent.request_id == request.id, RequestEvent.kind == EventKind.TRANSITION,
                     RequestEvent.to_status == S.REFUSED)
              .order_by(RequestEvent.id.desc()).limit(1)
              .correlate(request).scalar_subquery())
    rows = session.execute(
        select(request.id, request.reference, request.title, func.coalesce(request.answered_at, request.closed_at),
               reason, RequestType.name_ru, RequestType.name_en)
        .join(RequestType, RequestType.id == request.request_type_id)
        .where(*conditions)
        .order_by(request.answered_at.desc().nulls_last(), request.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    return Page([Refusal(*row) for row in rows], page, per_page, total)


def refusal_reasons(session: Session, filters: StatisticsFilters, limit: int = 8) -> list[tuple[str | None, int]]:
    """The reasons a partner gave most often for refusing (with `partner_id` set)."""
    request = CooperationRequest
    rows = session.execute(
        select(RequestEvent.comment, func.count())
        .join(request, request.id == RequestEvent.request_id)
        .where(RequestEvent.kind == EventKind.TRANSITION, RequestEvent.to_status == S.REFUSED,
               *_request_conditions(filters))
        .group_by(RequestEvent.comment)
        .order_by(func.count().desc(), RequestEvent.comment)
        .limit(limit)
    ).all()
    return [(comment, count) for comment, count in rows]
