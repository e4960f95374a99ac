"""The tables a user can download: each returns its title, its translated header and a row source.

Row sources are callables run once the download starts; lists of requests are streamed from the database in
batches (`yield_per`: a server-side cursor on PostgreSQL), aggregate tables are as small as the partner list.
"""

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased

from coop.domain import statistics
from coop.domain.reference_data import name_in
from coop.domain.request_search import next_deadline_column, parse_filters, search_requests
from coop.domain.statistics import STAGES, StatisticsFilters, officer_names_column
from coop.labels import DIRECTION_LABELS, PARTNER_KIND_LABELS, status_label, urgency_label
from coop.models import Case, CooperationRequest, Partner, PartnerKind, RequestType, Status, Urgency, User

Table = tuple[str, list[str], Callable[[], Iterable[Sequence]]]
BATCH = 1000
ALL = 100_000  # "every row" for aggregate tables, which have at most one row per partner


def stage_labels() -> dict[str, str]:
    return {
        "preparation": _("In preparation"),
        "with_partner": _("Awaiting the partner"),
        "paused": _("Information requested or postponed"),
        "incoming": _("Incoming, in our work"),
        "answered": _("Answered, not closed"),
    }




def _streamed(session: Session, statement: Select | None) -> Iterator:
    if statement is None:
        return iter(())
    return iter(session.execute(statement.execution_options(yield_per=BATCH)))


def _request_rows(session: Session, statement: Select | None, language: str, with_kind: bool) -> Iterator[list]:
    for row in _streamed(session, statement):
        request_row = statistics.RequestRow(*row) if not with_kind else statistics.RequestRow(*row[:-1], row[-1])
        values = [request_row.reference, request_row.title, request_row.partner_name(language),
                  str(DIRECTION_LABELS[request_row.direction]), status_label(request_row.status),
                  request_row.officers or "", request_row.at]
        yield values


def _request_header(date_header: str) -> list[str]:
    return [_("Reference"), _("Title"), _("Partner"), _("Direction"), _("Status"), _("Officers"), date_header]


def overdue_table(session, filters: StatisticsFilters, now: datetime, zone: ZoneInfo, language: str) -> Table:
    statement = statistics.overdue_select(filters, now)
    return (_("Overdue"), _request_header(_("Due")),
            lambda: _request_rows(session, statement, language, with_kind=True))


def due_soon_table(session, filters: StatisticsFilters, now: datetime, zone: ZoneInfo, language: str) -> Table:
    statement = statistics.due_soon_select(filters, now)
    return (_("Due this week"), _request_header(_("Due")),
            lambda: _request_rows(session, statement, language, with_kind=True))


def approvals_table(session, filters: StatisticsFilters, now: datetime, zone: ZoneInfo, language: str) -> Table:
    statement = statistics.awaiting_approval_select(filters)
    return (_("Awaiting approval"), _request_header(_("Submitted")),
            lambda: _request_rows(session, statement, language, with_kind=False))


def open_by_partner_table(session, filters: StatisticsFilters, now: datetime, zone: ZoneInfo,
                          language: str) -> Table:
    labels = stage_labels()
    header = [_("Partner"), _("Code"), _("Partner kind"), *[labels[stage] for stage in STAGES], _("Open"),
              _("Overdue")]

    def rows():
        for kind in PartnerKind:
            if filters.partner_kind and kind != filters.partner_kind:
                continue
            page = statistics.open_by_partner(session, filters, kind, now, per_page=ALL)
            for item in page.items:
                yield [item.name(language), item.code, str(PARTNER_KIND_LABELS[item.kind]),
                       *[item.stages[stage] for stage in STAGES], item.total, item.overdue]

    return _("Open requests by partner"), header, rows


def open_by_status_table(session, filters: StatisticsFilters, now: datetime, zone: ZoneInfo,
                         language: str) -> Table:
    return (_("Open requests by status"), [_("Status"), _("Open")],
            lambda: ([status_label(status), count] for status, count in statistics.open_by_status(session, filters)))


def trend_table(session, filters: StatisticsFilters, now: datetime, zone: ZoneInfo, language: str) -> Table:
    return (_("Requests per month"), [_("Month"), _("Sent"), _("Received")],
            lambda: ([row.month.strftime("%m.%Y"), row.sent, row.received]
                     for row in statistics.monthly_trend(session, filters, zone)))


def _times_header() -> list[str]:
    return [_("Acknowledged"), _("Median days to acknowledge"), _("90th percentile days to acknowledge"),
            _("Replies"), _("Median days to answer"), _("90th percentile days to answer")]


def _times_values(times: statistics.ResponseTimes) -> list:
    return [times.acknowledge.count, times.acknowledge.median, times.acknowledge.p90,
            times.answer.count, times.answer.median, times.answer.p90]


def response_times_table(session, filters: StatisticsFilters, now: datetime, zone: ZoneInfo,
                         language: str) -> Table:
    header = [_("Partner"), _("Code"), _("Partner kind"), *_times_header()]

    def rows():
        page = statistics.response_times_by_partner(session, filters, per_page=ALL)
        for item in page.items:
            yield [item.name(language), item.code, str(PARTNER_KIND_LABELS[item.kind]), *_times_values(item)]

    return _("Response times by partner"), header, rows


def monthly_times_table(session, filters: StatisticsFilters, now: datetime, zone: ZoneInfo,
                        language: str) -> Table:
    return (_("Response times by month"), [_("Month"), *_times_header()],
            lambda: ([row.key.strftime("%m.%Y"), *_times_values(row)]
                     for row in statistics.response_times_by_month(session, filters, zone)))


def refusals_table(session, filters: StatisticsFilters, now: datetime, zone: ZoneInfo, language: str) -> Table:
    def rows():
        page = statistics.refusals(session, filters, per_page=ALL)
        for item in page.items:
            yield [item.reference, item.title, item.request_type(language), item.at, item.reason or ""]

    return (_("Refusals"), [_("Reference"), _("Title"), _("Request type"), _("Refused on"), _("Reason")], rows)


DASHBOARD_TABLES: Mapping[str, Callable[..., Table]] = {
    "overdue": overdue_table,
    "due_soon": due_soon_table,
    "awaiting_approval": approvals_table,
    "open_by_partner": open_by_partner_table,
    "open_by_status": open_by_status_table,
    "trend": trend_table,
    "response_times": response_times_table,
    "monthly_response_times": monthly_times_table,
    "refusals": refusals_table,
}


def request_list(session: Session, user: User, args: Mapping[str, str], now: datetime, zone: ZoneInfo,
                 language: str) -> Table:
    """The request list as filtered by `args` (the list's own query arguments), every page of it."""
    filters, _problems = parse_filters(args)
    found = search_requests(user, filters, now, zone, language)
    request = CooperationRequest
    partner, request_type, case = aliased(Partner), aliased(RequestType), aliased(Case)

    def of_request(column, entity, key):
        # A correlated look-up, so that it works whichever tables the list joined for its sorting.
        return select(column).where(entity.id == key).correlate(request).scalar_subquery()

    # The list's own SELECT (its visibility rule, filters and order) with plain columns instead of objects.
    statement = found.with_only_columns(
        request.reference, request.direction,
        of_request(request_type.name_ru, request_type, request.request_type_id),
        of_request(request_type.name_en, request_type, request.request_type_id),
        of_request(request_type.name_kk, request_type, request.request_type_id),
        of_request(partner.name_ru, partner, request.partner_id),
        of_request(partner.name_en, partner, request.partner_id),
        of_request(partner.name_kk, partner, request.partner_id),
        request.title, request.status, request.urgency, of_request(case.number, case, request.case_id),
        officer_names_column(), request.created_at, request.sent_at, request.acknowledged_at, request.answered_at,
        request.closed_at, next_deadline_column(), maintain_column_froms=True,
    )
    header = [_("Reference"), _("Direction"), _("Request type"), _("Partner"), _("Title"), _("Status"),
              _("Urgency"), _("Case"), _("Officers"), _("Created"), _("Sent"), _("Acknowledged"), _("Answered"),
              _("Closed"), _("Next deadline")]

    def rows():
        # Labels translated once, not once per row: a million rows would otherwise spend seconds in gettext.
        directions = {direction: str(label) for direction, label in DIRECTION_LABELS.items()}
        statuses = {status: status_label(status) for status in Status}
        urgencies = {urgency: urgency_label(urgency) for urgency in Urgency}
        for row in _streamed(session, statement):
            (reference, direction, type_ru, type_en, type_kk, partner_ru, partner_en, partner_kk, title, status,
             urgency, case_number, officers, created, sent, acknowledged, answered, closed, deadline) = row
            yield [reference, directions[direction], name_in(language, type_ru, type_en, type_kk),
                   name_in(language, partner_ru, partner_en, partner_kk), title, statuses[status],
                   urgencies[urgency], case_number, officers, created, sent, acknowledged, answered, closed,
                   deadline]

    return _("Requests"), header, rows
