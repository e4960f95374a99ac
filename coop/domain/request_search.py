"""Finding requests: the list's filters, parsed from query arguments, and the SELECT they make.

Plain rules with no Flask: the web list and the API both parse a mapping of query arguments with
`parse_filters` and build their query with `search_requests` on top of `visible_requests(user)`; `find_page`
reads one page of it cheaply, however deep.
"""

import base64
import binascii
import json
import re
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, case, exists, func, or_, select, union
from sqlalchemy.orm import Session, contains_eager, joinedload, selectinload

from coop.domain.access import visible_requests
from coop.domain.identifiers import IdentifierError, parse_identifier
from coop.domain.reference_data import name_column
from coop.domain.text_search import contains_text, unicode_lower
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
from coop.models.requests import reference_search_key

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
# Control characters other than tab and line breaks (which whitespace rules already handle); the same set the
# forms refuse (coop.forms).
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_STATUS_ORDER = {status: index for index, status in
                 enumerate([*MAIN_PATH[Direction.OUTGOING], *MAIN_PATH[Direction.INCOMING], *sorted(SIDE_EXITS)])}
_URGENCY_ORDER = {Urgency.EMERGENCY: 0, Urgency.URGENT: 1, Urgency.NORMAL: 2}


@dataclass(frozen=True)
class FilterProblem:
    """A query argument that could not be used; `code` names why, for a message in the user's language."""

    field: str
    code: str  # invalid_choice, invalid_number, invalid_date, reversed_range, unknown, too_long, invalid_characters
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
    refused = set()
    for field in fields(RequestFilters):
        raw = args.get(field.name) or ""
        if _CONTROL_CHARACTERS.search(raw):
            # No reference, title or name has them (and PostgreSQL refuses NUL in text): shown, not searched.
            shown = _CONTROL_CHARACTERS.sub("\ufffd", raw)
            problems.append(FilterProblem(field.name, "invalid_characters",
                                          shown if len(shown) <= 40 else shown[:40] + "…"))
            refused.add(field.name)

    def text_of(name: str) -> str:
        return "" if name in refused else (args.get(name) or "").strip()

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
    """The id of the case numbered `number` (compared as case numbers are: ignoring letter case).

    An ASCII number (the usual kind) is compared with the database's own lower(), which its index of
    lower-case numbers serves: only a number with other letters needs Python's lower() on SQLite.
    """
    needle = number.lower()
    lowered = func.lower(Case.number) if needle.isascii() else unicode_lower(Case.number)
    return select(Case.id).where(lowered == needle)


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
    """Requests whose reference, title, partner references, criminal case number (the case's register number)
    or identifiers contain `text`, ignoring case.

    A partner's reference is also found by its letters and digits alone ("MLA 2026/15" finds "mla-2026-15"),
    through the index of its search key; identifiers by their canonical form, so "8 701 123 45 67" finds
    "+77011234567" and a profile link finds the handle. Each table is searched through its own text index, and
    the matching request ids are united, so no request is read that does not match.
    """
    needle = text.strip()
    request = CooperationRequest
    request_ids = [
        # Not correlated with the request list's own FROM: this is a list of ids of its own.
        select(request.id).where(contains_text([request.reference, request.title], needle)).correlate(None),
        select(PartnerReference.request_id).where(contains_text([PartnerReference.reference], needle)),
        select(Identifier.request_id).where(contains_text([Identifier.value, Identifier.normalized], needle)),
        select(request.id).where(request.case_id.in_(select(Case.id).where(contains_text([Case.number], needle))))
        .correlate(None),
    ]
    if key := reference_search_key(needle):
        request_ids.append(select(PartnerReference.request_id).where(PartnerReference.reference_key == key))
    if needle.startswith("@") and len(needle) > 1:  # handles are stored as "platform:handle"
        request_ids.append(select(Identifier.request_id)
                           .where(contains_text([Identifier.normalized], f":{needle[1:]}")))
    if forms := normalized_forms(text):
        # Every kind is named so that the (kind, normalized) index serves the look-up.
        request_ids.append(select(Identifier.request_id).where(Identifier.kind.in_(list(IdentifierKind)),
                                                               Identifier.normalized.in_(sorted(forms))))
    return request.id.in_(union(*request_ids))


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
    """Requests with an open deadline already past at `now` (found by the deadlines' (state, due) index)."""
    return CooperationRequest.id.in_(select(Deadline.request_id)
                                     .where(Deadline.state == DeadlineState.OPEN, Deadline.due_at < now))


def next_deadline_column():
    """A correlated subquery: the earliest open deadline of each request (None when it has none)."""
    return (select(func.min(Deadline.due_at))
            .where(Deadline.request_id == CooperationRequest.id, Deadline.state == DeadlineState.OPEN)
            .correlate(CooperationRequest).scalar_subquery())


def _conditions(user: User, filters: RequestFilters, now: datetime, zone: ZoneInfo, counting: bool = False) -> list:
    """WHERE terms for `filters`; `counting`: in the form that suits a count rather than the list's order."""
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
        if counting:
            # Counted from the officer's own index, rather than by checking every request.
            conditions.append(request.id.in_(select(request_officer.c.request_id)
                                             .where(request_officer.c.user_id == officer_id)))
        else:
            # Checked request by request in the list's order: a page is found long before the officer's
            # tens of thousands of requests would have been read and sorted.
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


def _sort_column(key: str, language: str):
    """The expression the list sorts by for `key` (its ties are broken by the request's id)."""
    request = CooperationRequest
    if key == "deadline":
        return next_deadline_column()
    return {
        "reference": request.reference,
        "title": unicode_lower(request.title),
        "partner": name_column(Partner, language),
        "type": name_column(RequestType, language),
        "status": case(*[(request.status == status, rank) for status, rank in _STATUS_ORDER.items()], else_=99),
        "urgency": case(*[(request.urgency == urgency, rank) for urgency, rank in _URGENCY_ORDER.items()], else_=9),
        "case": Case.number,
        "created": request.created_at,
        "sent": request.sent_at,
    }[key]


# Sort keys whose value may be missing (sorted last).
_NULLABLE_SORT_KEYS = frozenset({"sent", "deadline", "case"})
# Sort keys whose value is a moment (a cursor writes it as ISO 8601 text).
_MOMENT_SORT_KEYS = frozenset({"created", "sent", "deadline"})


def _ordering(filters: RequestFilters, language: str, backwards: bool = False) -> list:
    """ORDER BY terms of the list (`backwards`: the exact reverse, last row first)."""
    key = filters.sort_key
    column = _sort_column(key, language)
    descending = filters.sort_descending != backwards
    primary = column.desc() if descending else column.asc()
    if key in _NULLABLE_SORT_KEYS:
        # NULLs last in the list (SQLite and PostgreSQL disagree otherwise), so first when reading it backwards.
        primary = primary.nulls_first() if backwards else primary.nulls_last()
    tie_breaker = CooperationRequest.id.desc() if descending else CooperationRequest.id.asc()
    return [primary, tie_breaker]


_SORT_JOINS = (("partner", CooperationRequest.partner, False), ("type", CooperationRequest.request_type, False),
               ("case", CooperationRequest.case, True))


def _sorted_matches(user: User, filters: RequestFilters, now: datetime, zone: ZoneInfo, language: str,
                    backwards: bool = False) -> Select:
    """The requests `user` may see that match `filters`, in the list's order (joining what it sorts by)."""
    query = (visible_requests(user).where(*_conditions(user, filters, now, zone))
             .order_by(*_ordering(filters, language, backwards)))
    for key, relationship, outer in _SORT_JOINS:
        if filters.sort_key == key:
            query = query.outerjoin(relationship) if outer else query.join(relationship)
    return query


def _list_loaders(sort_key: str | None = None) -> list:
    """Loader options for what the list shows of each request; a relationship joined to sort by is reused."""
    options = [selectinload(CooperationRequest.officers)]
    for key, relationship, _outer in _SORT_JOINS:
        options.append(contains_eager(relationship) if key == sort_key else joinedload(relationship))
    return options


def search_requests(user: User, filters: RequestFilters, now: datetime, zone: ZoneInfo,
                    language: str = "ru") -> Select:
    """The SELECT of the requests `user` may see that match `filters`, sorted, with what the list shows.

    Partner, type and case are joined only to sort by them; otherwise they are loaded with the rows. For one
    page of a large list, `find_page` is much cheaper.
    """
    return _sorted_matches(user, filters, now, zone, language).options(*_list_loaders(filters.sort_key))


@dataclass(frozen=True)
class RequestPage:
    """One page of the request list: its requests, and the total that matched (the pagination's view of it)."""

    items: list[CooperationRequest]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return -(-self.total // self.per_page)  # rounded up; none when nothing matched

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None


def find_page(session: Session, user: User, filters: RequestFilters, now: datetime, zone: ZoneInfo,
              language: str = "ru") -> RequestPage:
    """The page of the list `filters` ask for, in two or three short queries whatever the page's depth.

    A deferred join: the page's ids first, skipping earlier rows over an index of the sort order where there
    is one (for the default order, newest first, no table row is read); then only those rows, with what the
    list shows. The total is counted over the filters alone (no join, no order), unless the page tells it.
    """
    ids, total = _page_ids_and_total(session, user, filters, now, zone, language)
    loaded = {item.id: item for item in session.scalars(
        select(CooperationRequest).where(CooperationRequest.id.in_(ids)).options(*_list_loaders()))} if ids else {}
    return RequestPage([loaded[request_id] for request_id in ids], total, filters.page, filters.per_page)


def _page_ids_and_total(session: Session, user: User, filters: RequestFilters, now: datetime, zone: ZoneInfo,
                        language: str) -> tuple[list[int], int]:
    per_page, offset = filters.per_page, (filters.page - 1) * filters.per_page

    def ids_in_order(backwards: bool = False) -> Select:
        return (_sorted_matches(user, filters, now, zone, language, backwards)
                .with_only_columns(CooperationRequest.id, maintain_column_froms=True))

    def count() -> int:
        return session.scalar(visible_requests(user).where(*_conditions(user, filters, now, zone, counting=True))
                              .with_only_columns(func.count(), maintain_column_froms=True))

    if filters.text:
        # A text search gathers all its matches to sort them: counting them in the same pass saves searching twice.
        rows = session.execute(ids_in_order().add_columns(func.count().over()).limit(per_page).offset(offset)).all()
        if rows:
            return [request_id for request_id, _total in rows], rows[0][1]
        return [], count() if offset else 0
    if offset == 0:
        ids = list(session.scalars(ids_in_order().limit(per_page)))
        return ids, len(ids) if len(ids) < per_page else count()
    total = count()
    if offset >= total:
        return [], total
    if offset > total // 2:
        # Past the middle, the page is reached sooner from the end: no page skips more than half the list.
        rows_after = max(total - offset - per_page, 0)
        from_end = session.scalars(ids_in_order(backwards=True).limit(min(per_page, total - offset))
                                   .offset(rows_after)).all()
        return list(reversed(from_end)), total
    return list(session.scalars(ids_in_order().limit(per_page).offset(offset))), total


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


# --- keyset pages (the API's cursors) ----------------------------------------------------------------------

MAX_CURSOR_LENGTH = 400


class CursorInvalid(ValueError):
    """A cursor that is not one coop wrote, or that belongs to another sort order."""


@dataclass(frozen=True)
class ListCursor:
    """Where a page of the list starts: just after the request `last_id`, whose sort value was `value`."""

    sort: str
    value: object  # a string, a number, an aware datetime, or None (a missing value, sorted last)
    last_id: int

    def encode(self) -> str:
        """The cursor as opaque URL-safe text."""
        value = self.value.isoformat() if isinstance(self.value, datetime) else self.value
        raw = json.dumps([self.sort, value, self.last_id], ensure_ascii=False, separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> "ListCursor":
        """The cursor `encode` wrote; raises CursorInvalid for anything else."""
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
            sort, value, last_id = json.loads(raw)
            _sort(sort)
        except (ValueError, TypeError, UnicodeDecodeError, binascii.Error):
            raise CursorInvalid(text) from None
        if not (isinstance(last_id, int) and not isinstance(last_id, bool) and 0 < last_id < 2**31):
            raise CursorInvalid(text)
        key = sort.lstrip("-")
        if value is None and key not in _NULLABLE_SORT_KEYS:
            raise CursorInvalid(text)
        if key in _MOMENT_SORT_KEYS and value is not None:
            try:
                value = datetime.fromisoformat(value) if isinstance(value, str) else None
            except ValueError:
                value = None
            if value is None or value.tzinfo is None:
                raise CursorInvalid(text)
        elif key in ("status", "urgency"):
            if not isinstance(value, int) or isinstance(value, bool):
                raise CursorInvalid(text)
        elif value is not None and not isinstance(value, str):
            raise CursorInvalid(text)
        return cls(sort, value, last_id)


def _after(column, cursor: ListCursor, descending: bool, nullable: bool):
    """Rows that come after the cursor's row in the list's order (id breaking ties, missing values last)."""
    request_id = CooperationRequest.id
    later_id = request_id < cursor.last_id if descending else request_id > cursor.last_id
    if cursor.value is None:  # among the rows without a value, at the end of the list
        return and_(column.is_(None), later_id)
    later_value = column < cursor.value if descending else column > cursor.value
    terms = [later_value, and_(column == cursor.value, later_id)]
    if nullable:
        terms.append(column.is_(None))
    return or_(*terms)


def find_keyset_page(session: Session, user: User, filters: RequestFilters, now: datetime, zone: ZoneInfo,
                     language: str = "ru", after: ListCursor | None = None
                     ) -> tuple[list[CooperationRequest], ListCursor | None]:
    """The `filters.per_page` requests that follow `after` in the list's order (the first ones without it), and
    the cursor of the page after them (None at the end).

    No OFFSET: the WHERE starts just after the cursor's row, so a page costs the same however deep, and
    requests added or removed meanwhile never make a page skip or repeat one.
    """
    if after is not None and after.sort != filters.sort:
        raise CursorInvalid(after.sort)
    column = _sort_column(filters.sort_key, language)
    query = (_sorted_matches(user, filters, now, zone, language)
             .with_only_columns(CooperationRequest.id, column, maintain_column_froms=True))
    if after is not None:
        query = query.where(_after(column, after, filters.sort_descending, filters.sort_key in _NULLABLE_SORT_KEYS))
    rows = session.execute(query.limit(filters.per_page + 1)).all()
    shown = rows[:filters.per_page]
    ids = [row[0] for row in shown]
    loaded = {item.id: item for item in session.scalars(
        select(CooperationRequest).where(CooperationRequest.id.in_(ids)).options(*_list_loaders()))} if ids else {}
    following = ListCursor(filters.sort, shown[-1][1], shown[-1][0]) if len(rows) > filters.per_page else None
    return [loaded[request_id] for request_id in ids], following


def cursor_after(session: Session, user: User, filters: RequestFilters, now: datetime, zone: ZoneInfo,
                 language: str, request_id: int) -> ListCursor:
    """The cursor of the page that follows the request `request_id` in the list (for a page read by number)."""
    column = _sort_column(filters.sort_key, language)
    value = session.scalar(_sorted_matches(user, filters, now, zone, language)
                           .with_only_columns(column, maintain_column_froms=True)
                           .where(CooperationRequest.id == request_id).order_by(None))
    return ListCursor(filters.sort, value, request_id)
