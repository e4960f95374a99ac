"""Finding requests: the list's filters, parsed from query arguments, and the SELECT they make.

Plain rules with no Flask: the web list and the API both parse a mapping of query arguments with
`parse_filters` and build their query with `search_requests` on top of `visible_requests(user)`.
"""

import re
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, case, exists, func, or_, select
from sqlalchemy.orm import Session, contains_eager, joinedload, selectinload

from coop.domain.access import visible_requests
from coop.domain.identifiers import IdentifierError, parse_identifier
from coop.domain.text_search import contains_ignoring_case, unicode_lower
from coop.domain.workflow import FINAL, MAIN_PATH, SIDE_EXITS
from coop.models import (
    Case,
    CooperationRequest,
    Deadline,
    DeadlineState,
    Direction,
    Identifier,
    IdentifierKind,
    Partner,
    PartnerKind,
    PartnerReference,
    RequestType,
    Status,
    Urgency,
    User,
    request_officer,
)

# Status groups offered beside the single statuses.
STATUS_GROUPS = {
    "open": frozenset(Status) - FINAL,
    "finished": FINAL,
}
# Sort keys the list accepts; a leading "-" sorts descending.
SORT_KEYS = ("reference", "title", "partner", "type", "status", "urgency", "case", "created", "sent", "deadline")
DEFAULT_SORT = "-created"
PAGE_SIZES = (25, 50, 100)
DEFAULT_PAGE_SIZE = 50
MAX_TEXT_LENGTH = 200
# Dates outside these years are typing errors (and would overflow date arithmetic).
FIRST_YEAR, LAST_YEAR = 1990, 2100

_PHONE_LIKE = re.compile(r"^\+?[\d\s().\-]{7,}$")
_STATUS_ORDER = {status: index for index, status in
                 enumerate([*MAIN_PATH[Direction.OUTGOING], *MAIN_PATH[Direction.INCOMING], *sorted(SIDE_EXITS)])}
_URGENCY_ORDER = {Urgency.EMERGENCY: 0, Urgency.URGENT: 1, Urgency.NORMAL: 2}


@dataclass(frozen=True)
class FilterProblem:
    """A query argument that could not be used; `code` names why, for a message in the user's language."""

    field: str
    code: str  # invalid_choice, invalid_number, invalid_date, reversed_range, unknown, too_long
    value: str


@dataclass(frozen=True)
class RequestFilters:
    """What the request list is narrowed to, sorted by and paged at. Empty values mean "any"."""

    direction: Direction | None = None
    partner_kind: PartnerKind | None = None
    partner: str | None = None  # the partner's code
    request_type: str | None = None  # the request type's code
    status: str | None = None  # a Status value, or a key of STATUS_GROUPS
    officer: str | None = None  # a user id, or "me"
    case: str | None = None  # the criminal case's number, as written
    urgency: Urgency | None = None
    overdue: bool = False
    created_from: date | None = None
    created_to: date | None = None
    sent_from: date | None = None
    sent_to: date | None = None
    text: str = ""
    sort: str = DEFAULT_SORT
    page: int = 1
    per_page: int = DEFAULT_PAGE_SIZE

    def query_args(self, **overrides) -> dict[str, str]:
        """The filters as query arguments, defaults left out (for links that keep the current view)."""
        current = replace(self, **overrides)
        args = {}
        for field in fields(self):
            value = getattr(current, field.name)
            if value == field.default or value is None:
                continue
            if isinstance(value, bool):
                args[field.name] = "1"
            elif isinstance(value, date):
                args[field.name] = value.isoformat()
            else:
                args[field.name] = str(value)
        return args

    @property
    def narrowed(self) -> bool:
        """Is any filter set (other than sorting and paging)?"""
        return bool(self.query_args(sort=DEFAULT_SORT, page=1, per_page=DEFAULT_PAGE_SIZE))

    def sort_link(self, key: str) -> dict[str, str]:
        """Query arguments that sort by `key`, reversing the order when already sorted by it."""
        sort = f"-{key}" if self.sort == key else key
        return self.query_args(sort=sort, page=1)

    @property
    def sort_key(self) -> str:
        return self.sort.lstrip("-")

    @property
    def sort_descending(self) -> bool:
        return self.sort.startswith("-")

    def without(self, *names: str) -> "RequestFilters":
        """These filters with the named ones reset to their defaults."""
        defaults = {field.name: field.default for field in fields(self) if field.name in names}
        return replace(self, **defaults)


def parse_filters(args: Mapping[str, str]) -> tuple[RequestFilters, list[FilterProblem]]:
    """Filters from query arguments; a value that cannot be used is left out and reported."""
    problems: list[FilterProblem] = []
    values: dict = {}

    def text_of(name: str) -> str:
        return (args.get(name) or "").strip()

    def choose(name: str, allowed) -> None:
        raw = text_of(name)
        if not raw:
            return
        try:
            values[name] = allowed(raw)
        except ValueError:
            problems.append(FilterProblem(name, "invalid_choice", raw))

    choose("direction", Direction)
    choose("partner_kind", PartnerKind)
    choose("urgency", Urgency)
    choose("status", _status_or_group)
    choose("officer", _officer)
    choose("sort", _sort)
    for name in ("partner", "request_type"):
        if raw := text_of(name):
            values[name] = raw
    if raw := " ".join(text_of("case").split()):
        if len(raw) > 64:
            problems.append(FilterProblem("case", "unknown", raw[:20] + "…"))  # no case number is that long
        else:
            values["case"] = raw
    for name in ("page", "per_page"):
        if raw := text_of(name):
            _positive_number(name, raw, values, problems)
    if values.get("per_page") not in (None, *PAGE_SIZES):
        problems.append(FilterProblem("per_page", "invalid_choice", str(values.pop("per_page"))))
    values["overdue"] = text_of("overdue").lower() in {"1", "on", "true", "yes"}
    for name in ("created_from", "created_to", "sent_from", "sent_to"):
        if raw := text_of(name):
            try:
                day = date.fromisoformat(raw)
            except ValueError:
                day = None
            if day is None or not FIRST_YEAR <= day.year <= LAST_YEAR:
                problems.append(FilterProblem(name, "invalid_date", raw))
            else:
                values[name] = day
    for start, end in (("created_from", "created_to"), ("sent_from", "sent_to")):
        if values.get(start) and values.get(end) and values[start] > values[end]:
            problems.append(FilterProblem(end, "reversed_range", values.pop(end).isoformat()))
    text = " ".join(text_of("text").split())
    if len(text) > MAX_TEXT_LENGTH:
        problems.append(FilterProblem("text", "too_long", text[:20] + "…"))
        text = text[:MAX_TEXT_LENGTH]
    values["text"] = text
    return RequestFilters(**values), problems


def _status_or_group(raw: str) -> str:
    if raw in STATUS_GROUPS:
        return raw
    return Status(raw).value


def _officer(raw: str) -> str:
    if raw == "me" or _is_id(raw):
        return raw
    raise ValueError(raw)


def _is_id(raw: str) -> bool:
    """Plain ASCII digits within the range of a database id ("²" and "٣" are digits to Python, not here)."""
    return raw.isascii() and raw.isdigit() and 0 < int(raw) < 2**31


def _sort(raw: str) -> str:
    if raw.lstrip("-") not in SORT_KEYS or raw.count("-") > 1:
        raise ValueError(raw)
    return raw


def _positive_number(name: str, raw: str, values: dict, problems: list[FilterProblem]) -> None:
    if _is_id(raw):
        values[name] = int(raw)
    else:
        problems.append(FilterProblem(name, "invalid_number", raw))


def unknown_references(session: Session, filters: RequestFilters) -> list[FilterProblem]:
    """Problems for a partner, type, case or officer named in `filters` that does not exist."""
    checks = []
    if filters.partner:
        checks.append(("partner", filters.partner, select(Partner.id).where(Partner.code == filters.partner)))
    if filters.request_type:
        checks.append(("request_type", filters.request_type,
                       select(RequestType.id).where(RequestType.code == filters.request_type)))
    if filters.case:
        checks.append(("case", filters.case, _case_ids(filters.case)))
    if filters.officer and filters.officer != "me":
        checks.append(("officer", filters.officer, select(User.id).where(User.id == int(filters.officer))))
    return [FilterProblem(name, "unknown", value) for name, value, query in checks
            if session.scalar(query.limit(1)) is None]


def _case_ids(number: str) -> Select:
    """The id of the case numbered `number` (compared as case numbers are: ignoring letter case)."""
    return select(Case.id).where(unicode_lower(Case.number) == number.lower())


def phone_number_e164(text: str, region: str = "KZ") -> str | None:
    """`text` as an E.164 phone number when it reads as one ("8 701 123 45 67" -> "+77011234567")."""
    if not _PHONE_LIKE.match(text):
        return None
    try:
        return parse_identifier(IdentifierKind.PHONE, text, default_region=region).normalized
    except IdentifierError:
        return None


def normalized_forms(text: str) -> set[str]:
    """The canonical forms `text` has as an identifier (a phone, e-mail, IP address, profile link, domain)."""
    forms = set()
    if phone := phone_number_e164(text):
        forms.add(phone)
    for kind in (IdentifierKind.EMAIL, IdentifierKind.DOMAIN):
        with suppress(IdentifierError):
            forms.add(parse_identifier(kind, text).normalized)
    with suppress(IdentifierError):
        # An IP address is stored with its time, but is found by the address alone.
        forms.add(parse_identifier(IdentifierKind.IP, text, observed_at=datetime(2000, 1, 1), zone="UTC").normalized)
    if "/" in text:
        with suppress(IdentifierError):
            forms.add(parse_identifier(IdentifierKind.ACCOUNT, text).normalized)
    return forms


def text_condition(text: str):
    """Requests whose reference, title, partner references or identifiers contain `text`, ignoring case.

    Identifiers are also matched by their canonical form, so "8 701 123 45 67" finds "+77011234567"
    and a profile link finds the handle.
    """
    needle = text.strip()

    def contains(column):
        return contains_ignoring_case(column, needle)

    identifier_matches = [contains(Identifier.value), contains(Identifier.normalized)]
    if needle.startswith("@") and len(needle) > 1:  # handles are stored as "platform:handle"
        identifier_matches.append(contains_ignoring_case(Identifier.normalized, f":{needle[1:]}"))
    if forms := normalized_forms(text):
        identifier_matches.append(Identifier.normalized.in_(sorted(forms)))
    return or_(
        contains(CooperationRequest.reference),
        contains(CooperationRequest.title),
        exists().where(PartnerReference.request_id == CooperationRequest.id, contains(PartnerReference.reference)),
        exists().where(Identifier.request_id == CooperationRequest.id, or_(*identifier_matches)),
    )


def _local_day_start(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def _date_range(column, start: date | None, end: date | None, zone: ZoneInfo) -> list:
    """Conditions for `column` falling on local days `start` .. `end`, both included."""
    conditions = []
    if start:
        conditions.append(column >= _local_day_start(start, zone))
    if end:
        conditions.append(column < _local_day_start(end + timedelta(days=1), zone))
    return conditions


def overdue_condition(now: datetime):
    """Requests with an open deadline already past at `now`."""
    return exists().where(Deadline.request_id == CooperationRequest.id, Deadline.state == DeadlineState.OPEN,
                          Deadline.due_at < now)


def next_deadline_column():
    """A correlated subquery: the earliest open deadline of each request (None when it has none)."""
    return (select(func.min(Deadline.due_at))
            .where(Deadline.request_id == CooperationRequest.id, Deadline.state == DeadlineState.OPEN)
            .correlate(CooperationRequest).scalar_subquery())


def _conditions(user: User, filters: RequestFilters, now: datetime, zone: ZoneInfo) -> list:
    request = CooperationRequest
    conditions = []
    if filters.direction:
        conditions.append(request.direction == filters.direction)
    if filters.partner_kind:
        conditions.append(request.partner_id.in_(select(Partner.id).where(Partner.kind == filters.partner_kind)))
    if filters.partner:
        conditions.append(request.partner_id.in_(select(Partner.id).where(Partner.code == filters.partner)))
    if filters.request_type:
        conditions.append(request.request_type_id.in_(
            select(RequestType.id).where(RequestType.code == filters.request_type)))
    if filters.status in STATUS_GROUPS:
        conditions.append(request.status.in_(sorted(STATUS_GROUPS[filters.status])))
    elif filters.status:
        conditions.append(request.status == Status(filters.status))
    if filters.officer:
        officer_id = user.id if filters.officer == "me" else int(filters.officer)
        conditions.append(exists().where(request_officer.c.request_id == request.id,
                                         request_officer.c.user_id == officer_id))
    if filters.case:
        conditions.append(request.case_id.in_(_case_ids(filters.case)))
    if filters.urgency:
        conditions.append(request.urgency == filters.urgency)
    if filters.overdue:
        conditions.append(overdue_condition(now))
    conditions += _date_range(request.created_at, filters.created_from, filters.created_to, zone)
    conditions += _date_range(request.sent_at, filters.sent_from, filters.sent_to, zone)
    if filters.text:
        conditions.append(text_condition(filters.text))
    return conditions


def _ordering(filters: RequestFilters, language: str) -> list:
    request = CooperationRequest
    key = filters.sort_key
    sort_columns = {
        "reference": request.reference,
        "title": unicode_lower(request.title),
        "partner": Partner.name_en if language == "en" else Partner.name_ru,
        "type": RequestType.name_en if language == "en" else RequestType.name_ru,
        "status": case(*[(request.status == status, rank) for status, rank in _STATUS_ORDER.items()], else_=99),
        "urgency": case(*[(request.urgency == urgency, rank) for urgency, rank in _URGENCY_ORDER.items()], else_=9),
        "case": Case.number,
        "created": request.created_at,
        "sent": request.sent_at,
        "deadline": next_deadline_column(),
    }
    column = sort_columns[key]
    primary = column.desc() if filters.sort_descending else column.asc()
    if key in {"sent", "deadline", "case"}:
        primary = primary.nulls_last()  # SQLite and PostgreSQL disagree on where NULLs go otherwise
    tie_breaker = request.id.desc() if filters.sort_descending else request.id.asc()
    return [primary, tie_breaker]


def search_requests(user: User, filters: RequestFilters, now: datetime, zone: ZoneInfo,
                    language: str = "ru") -> Select:
    """The SELECT of the requests `user` may see that match `filters`, sorted, with what the list shows.

    Partner, type and case are joined only to sort by them; otherwise they are loaded with the rows, so
    the count of a large list reads the requests alone.
    """
    query = visible_requests(user).where(*_conditions(user, filters, now, zone)).order_by(*_ordering(filters, language))
    options = [selectinload(CooperationRequest.officers)]
    for key, relationship, outer in (("partner", CooperationRequest.partner, False),
                                     ("type", CooperationRequest.request_type, False),
                                     ("case", CooperationRequest.case, True)):
        if filters.sort_key == key:
            query = query.outerjoin(relationship) if outer else query.join(relationship)
            options.append(contains_eager(relationship))
        else:
            options.append(joinedload(relationship))
    return query.options(*options)


def next_deadlines(session: Session, request_ids: list[int]) -> dict[int, datetime]:
    """The earliest open deadline of each of `request_ids` that has one, in one query."""
    if not request_ids:
        return {}
    rows = session.execute(
        select(Deadline.request_id, func.min(Deadline.due_at))
        .where(Deadline.request_id.in_(request_ids), Deadline.state == DeadlineState.OPEN)
        .group_by(Deadline.request_id)
    )
    return {request_id: due_at for request_id, due_at in rows}
