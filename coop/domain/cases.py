"""Criminal cases: creating and editing them, and what their requests have in common.

Plain rules with no Flask and no commit: the view or command owns the transaction.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coop.domain.access import visible_requests
from coop.domain.identifiers import key_condition
from coop.domain.text_search import contains_ignoring_case, unicode_lower
from coop.domain.workflow import FINAL
from coop.models import Case, CaseStatus, CooperationRequest, Identifier, IdentifierKind, User

# The fields a user edits on a case (the rest is bookkeeping).
CASE_FIELDS = ("number", "title", "offence", "summary", "status", "responsible_officer_id", "opened_on")


class CaseProblem(Exception):
    """A case change refused; `code` names why (duplicate_number, conflict), for a translated message."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def normalize_case_number(number: str) -> str:
    """A case number as stored: trimmed, inner spaces collapsed (the number itself is kept as written)."""
    return " ".join(number.split())


def case_number_taken(session: Session, number: str, except_case_id: int | None = None) -> bool:
    """Does another case already carry `number` (compared without regard to case and spacing)?"""
    query = select(Case.id).where(unicode_lower(Case.number) == normalize_case_number(number).lower())
    if except_case_id is not None:
        query = query.where(Case.id != except_case_id)
    return session.scalar(query.limit(1)) is not None


def create_case(session: Session, fields: dict, now: datetime) -> Case:
    """Add a new case from `fields` (see CASE_FIELDS); raise CaseProblem("duplicate_number")."""
    values = {name: fields.get(name) for name in CASE_FIELDS if name in fields}
    values["number"] = normalize_case_number(values["number"])
    if case_number_taken(session, values["number"]):
        raise CaseProblem("duplicate_number")
    values.setdefault("status", CaseStatus.OPEN)
    new_case = Case(**values, created_at=now, updated_at=now)
    session.add(new_case)
    _flush_or_duplicate(session)
    return new_case


def _flush_or_duplicate(session: Session) -> None:
    """Flush; a number taken meanwhile by a parallel save (the unique constraint) is a duplicate, not a crash."""
    try:
        session.flush()
    except IntegrityError as error:
        raise CaseProblem("duplicate_number") from error


def update_case(session: Session, case_id: int, fields: dict, expected_version: int, now: datetime) -> Case:
    """Apply `fields` to the case if nobody changed it since `expected_version` was read.

    Raises CaseProblem("conflict") when someone else saved it in between, ("duplicate_number") when the
    new number belongs to another case. The row is locked (PostgreSQL) so two saves cannot both pass.
    """
    stored = session.scalar(select(Case).where(Case.id == case_id).with_for_update())
    if stored is None:
        raise LookupError(case_id)
    if stored.version != expected_version:
        raise CaseProblem("conflict")
    values = {name: fields[name] for name in CASE_FIELDS if name in fields}
    if "number" in values:
        values["number"] = normalize_case_number(values["number"])
        if case_number_taken(session, values["number"], except_case_id=case_id):
            raise CaseProblem("duplicate_number")
    changed = False
    for name, value in values.items():
        if getattr(stored, name) != value:
            setattr(stored, name, value)
            changed = True
    if changed:
        stored.version += 1
        stored.updated_at = now
    _flush_or_duplicate(session)
    return stored


@dataclass(frozen=True)
class CaseFilters:
    """What the case list is narrowed to."""

    text: str = ""
    status: CaseStatus | None = None
    officer_id: int | None = None


def search_cases(filters: CaseFilters) -> Select:
    """The SELECT of cases matching `filters`, newest first."""
    query = select(Case)
    if filters.text:
        query = query.where(or_(*(contains_ignoring_case(column, filters.text.strip())
                                  for column in (Case.number, Case.title, Case.offence))))
    if filters.status:
        query = query.where(Case.status == filters.status)
    if filters.officer_id:
        query = query.where(Case.responsible_officer_id == filters.officer_id)
    return query.order_by(Case.opened_on.desc().nulls_last(), Case.id.desc())


@dataclass(frozen=True)
class CaseCounts:
    total: int = 0
    open: int = 0


def request_counts(session: Session, user: User, case_ids: list[int]) -> dict[int, CaseCounts]:
    """How many requests `user` can see in each case, and how many of them are still open: one query."""
    if not case_ids:
        return {}
    open_flag = case((CooperationRequest.status.in_(sorted(FINAL)), 0), else_=1)
    query = (visible_requests(user)
             .with_only_columns(CooperationRequest.case_id, func.count(CooperationRequest.id), func.sum(open_flag))
             .where(CooperationRequest.case_id.in_(case_ids))
             .group_by(CooperationRequest.case_id))
    return {case_id: CaseCounts(total, int(open_count or 0)) for case_id, total, open_count in session.execute(query)}


@dataclass(frozen=True)
class SharedIdentifier:
    """An identifier (kind and normalised value) and the requests that name it."""

    kind: IdentifierKind
    value: str
    normalized: str
    requests: list[CooperationRequest]


def shared_identifiers(requests: list[CooperationRequest]) -> list[SharedIdentifier]:
    """Identifiers named in more than one of `requests` (their identifiers already loaded)."""
    named_in: dict[tuple[IdentifierKind, str], list[CooperationRequest]] = defaultdict(list)
    shown_as: dict[tuple[IdentifierKind, str], str] = {}
    for request in requests:
        for identifier in request.identifiers:
            key = (identifier.kind, identifier.normalized)
            if request not in named_in[key]:
                named_in[key].append(request)
            shown_as.setdefault(key, identifier.value)
    return sorted(
        (SharedIdentifier(kind, shown_as[(kind, normalized)], normalized, found)
         for (kind, normalized), found in named_in.items() if len(found) > 1),
        key=lambda shared: (-len(shared.requests), shared.kind.value, shared.normalized),
    )


@dataclass(frozen=True)
class ElsewhereMatch:
    """A request outside the case that names one of the case's identifiers."""

    request_id: int
    reference: str
    case_id: int | None
    case_number: str | None


@dataclass
class IdentifierElsewhere:
    """One identifier of the case, and the requests outside the case that name it too."""

    kind: IdentifierKind
    normalized: str
    matches: list[ElsewhereMatch] = field(default_factory=list)


def identifiers_elsewhere(session: Session, user: User, case_id: int,
                          requests: list[CooperationRequest]) -> list[IdentifierElsewhere]:
    """The case's identifiers that requests outside it also name (those `user` can see): one query."""
    keys = {(identifier.kind, identifier.normalized) for request in requests for identifier in request.identifiers}
    if not keys:
        return []
    # No ORDER BY in SQL: without statistics SQLite would rather walk every request in that order (1.4 s at
    # 1,000,000) than read the few that name these identifiers through their index; the newest come first here.
    query = (visible_requests(user)
             .with_only_columns(Identifier.kind, Identifier.normalized, CooperationRequest.id,
                                CooperationRequest.reference, Case.id, Case.number, CooperationRequest.created_at)
             .join(Identifier, Identifier.request_id == CooperationRequest.id)
             .outerjoin(Case, Case.id == CooperationRequest.case_id)
             .where(key_condition(keys),
                    or_(CooperationRequest.case_id.is_(None), CooperationRequest.case_id != case_id)))
    rows = sorted(session.execute(query), key=lambda row: (row[-1], row[2]), reverse=True)
    found: dict[tuple[IdentifierKind, str], IdentifierElsewhere] = {}
    for kind, normalized, request_id, reference, other_case_id, number, _created_at in rows:
        if (kind, normalized) not in keys:
            continue
        entry = found.setdefault((kind, normalized), IdentifierElsewhere(kind, normalized))
        if all(match.request_id != request_id for match in entry.matches):  # named twice (two IP times)
            entry.matches.append(ElsewhereMatch(request_id, reference, other_case_id, number))
    return sorted(found.values(), key=lambda entry: (-len(entry.matches), entry.kind.value, entry.normalized))


def opened_on_is_plausible(opened_on: date | None, today: date) -> bool:
    """A case cannot be opened in the future."""
    return opened_on is None or opened_on <= today
