"""Importing the requests a department already tracks in a spreadsheet.

Three steps, each a plain function (no Flask, no commit):
1. `import_matching.guess_mapping` proposes which column holds which of coop's fields, from Russian or
   English headings (`import_matching` also knows the words registers use for partners, statuses ...);
2. `prepare_rows` reads every row through a mapping and lists what is wrong with it (unknown country, bad
   date, missing field ...) and which rows coop already has; `rehearse` then runs the ready rows through the
   request rules inside a savepoint that is rolled back, so the preview shows what the import would refuse;
3. `import_row` writes one row through `coop.domain.requests` (and `coop.domain.cases` for a new case).

A row is known again on a later import by its key: a hash of its own number in the register when it has
one, else of its direction, partner, type, date and title. The key is stored on the request (`import_key`).
"""

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coop.domain import deadlines
from coop.domain.cases import create_case, normalize_case_number
from coop.domain.import_matching import AMBIGUOUS, Lookups, Vocabulary, normalize
from coop.domain.requests import DEFAULT_ZONE, RequestProblem, add_note, create_request, moment_of
from coop.domain.spreadsheets import Sheet, cell_text
from coop.domain.workflow import FINAL, FLOWS, is_sent
from coop.models import (
    Case,
    CooperationRequest,
    Direction,
    EventKind,
    Partner,
    RequestEvent,
    RequestType,
    Status,
    Urgency,
    User,
)

# Dates before this are typing errors in a register of cybercrime requests.
EARLIEST_YEAR = 1991
TEXT_LIMIT = 20000


@dataclass(frozen=True)
class ImportField:
    """A field of coop a column can fill: `kind` says how its cells are read."""

    name: str
    kind: str  # text, date, partner, request_type, legal_basis, status, direction, urgency, case, officer
    max_length: int | None = None


IMPORT_FIELDS = (
    ImportField("external_number", "text", 64),
    ImportField("direction", "direction"),
    ImportField("partner", "partner"),
    ImportField("request_type", "request_type"),
    ImportField("title", "text", 300),
    ImportField("status", "status"),
    ImportField("sent_on", "date"),
    ImportField("received_on", "date"),
    ImportField("answered_on", "date"),
    ImportField("legal_basis", "legal_basis"),
    ImportField("case_number", "case", 64),
    ImportField("partner_reference", "text", 120),
    ImportField("urgency", "urgency"),
    ImportField("officer", "officer"),
    ImportField("requested_by", "date"),
    ImportField("offence", "text", TEXT_LIMIT),
    ImportField("facts", "text", TEXT_LIMIT),
    ImportField("assistance_sought", "text", TEXT_LIMIT),
    ImportField("notes", "text", TEXT_LIMIT),
)
FIELDS_BY_NAME = {item.name: item for item in IMPORT_FIELDS}


# --- reading the rows --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RowProblem:
    """What is wrong with a cell (or a row): `code` names it for a message in the reader's language.

    Codes: missing, unknown, ambiguous, bad_date, date_in_future, date_too_old, too_long,
    direction_mismatch, status_not_in_direction, answered_without_answer, answered_before_sent,
    and "rule" for a refusal of the request rules (`value` then holds the rule's code).
    """

    field: str
    code: str
    value: str = ""


@dataclass
class PreparedRow:
    """One row of the sheet, read: what it says, what coop would store, and what stands in the way."""

    number: int
    values: dict[str, str]
    problems: list[RowProblem] = field(default_factory=list)
    fields: dict = field(default_factory=dict)  # for create_request
    direction: Direction | None = None
    status: Status | None = None
    sent_on: date | None = None
    received_on: date | None = None
    answered_on: date | None = None
    new_case_number: str | None = None
    notes: str | None = None
    key: str | None = None
    duplicate_of: int | None = None  # an earlier row of the file with the same key
    existing: tuple[int, str] | None = None  # (id, reference) of the request already imported from it

    @property
    def state(self) -> str:
        """ready, problems, imported (coop has it already) or duplicate (repeats an earlier row)."""
        if self.existing is not None:
            return "imported"
        if self.duplicate_of is not None:
            return "duplicate"
        return "problems" if self.problems else "ready"


def parse_day(value, today: date) -> date:
    """A cell as a date: a date cell, an Excel day number, or text such as 05.03.2025, 05.03.25, 2025-03-05."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 20000 <= value <= 80000:  # Excel's day numbers, 1954 to 2119
            return date(1899, 12, 30) + timedelta(days=int(value))
        raise ValueError(value)
    text = cell_text(value).replace("г.", "").replace("г", "").strip()
    text = re.split(r"[ T]", text, maxsplit=1)[0]
    for pattern in ("%d.%m.%Y", "%d.%m.%y", "%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%Y.%m.%d", "%d/%m/%y"):
        try:
            parsed = datetime.strptime(text, pattern).date()
        except ValueError:
            continue
        if pattern.endswith("%y") and parsed > today:
            parsed = parsed.replace(year=parsed.year - 100)  # "05.03.99" is 1999
        return parsed
    raise ValueError(value)


def _key(row: PreparedRow, partner: Partner | None, request_type: RequestType | None) -> str | None:
    """The row's stable key: its own number in the register, or its main fields."""
    direction = row.direction.value if row.direction else ""
    number = normalize(row.values.get("external_number", ""))
    if number:
        basis = f"number|{direction}|{number}"
    elif partner is not None and request_type is not None:
        day = row.sent_on or row.received_on
        basis = "|".join(["row", direction, partner.code, request_type.code, day.isoformat() if day else "",
                          normalize(row.values.get("title", ""))])
    else:
        return None
    return hashlib.sha256(basis.encode()).hexdigest()


def prepare_rows(session: Session, sheet: Sheet, mapping: dict[int, str], lookups: Lookups, today: date,
                 default_request_type: RequestType | None = None) -> list[PreparedRow]:
    """Every row of the sheet read through `mapping`, with its problems, and whether coop already has it."""
    columns_of: dict[str, list[int]] = {}
    for index, name in sorted(mapping.items()):
        columns_of.setdefault(name, []).append(index)
    rows, first_with_key = [], {}
    for index, cells in enumerate(sheet.rows):
        row = _read_row(sheet.row_number(index), cells, columns_of, lookups, today, default_request_type)
        if row.key is not None:
            if row.key in first_with_key:
                row.duplicate_of = first_with_key[row.key]
            else:
                first_with_key[row.key] = row.number
        rows.append(row)
    _find_imported(session, rows)
    _find_cases(session, rows)
    return rows


def _raw(cells: list, columns: list[int]):
    """The first non-empty cell of the columns mapped to a field."""
    for column in columns:
        value = cells[column] if column < len(cells) else None
        if cell_text(value):
            return value
    return None


def _read_row(number: int, cells: list, columns_of: dict[str, list[int]], lookups: Lookups, today: date,
              default_request_type: RequestType | None) -> PreparedRow:
    raw = {name: _raw(cells, columns) for name, columns in columns_of.items()}
    row = PreparedRow(number, {name: cell_text(value) for name, value in raw.items() if cell_text(value)})
    problems = row.problems

    def text(name: str) -> str | None:
        value = row.values.get(name)
        limit = FIELDS_BY_NAME[name].max_length
        if value and limit and len(value) > limit:
            problems.append(RowProblem(name, "too_long", str(limit)))
            return None
        return value

    def found(name: str, vocabulary: Vocabulary):
        value = row.values.get(name)
        if not value:
            return None
        item = vocabulary.find(value)
        if item is None:
            problems.append(RowProblem(name, "unknown", value))
        elif item is AMBIGUOUS:
            problems.append(RowProblem(name, "ambiguous", value))
            return None
        return item

    def day(name: str) -> date | None:
        if name not in raw or not row.values.get(name):
            return None
        try:
            parsed = parse_day(raw[name], today)
        except ValueError:
            problems.append(RowProblem(name, "bad_date", row.values[name]))
            return None
        if parsed > today:
            problems.append(RowProblem(name, "date_in_future", row.values[name]))
        elif parsed.year < EARLIEST_YEAR:
            problems.append(RowProblem(name, "date_too_old", row.values[name]))
        else:
            return parsed
        return None

    partner = found("partner", lookups.partners)
    request_type = found("request_type", lookups.request_types)
    if request_type is None and not row.values.get("request_type"):
        request_type = default_request_type
    title = text("title")
    for name, value in (("partner", partner), ("request_type", request_type), ("title", title)):
        if value is None and not row.values.get(name):
            problems.append(RowProblem(name, "missing"))
    direction = found("direction", lookups.directions)
    if request_type is not None:
        if direction is not None and direction != request_type.direction:
            problems.append(RowProblem("direction", "direction_mismatch", row.values["direction"]))
        direction = request_type.direction
    row.direction = direction
    row.sent_on, row.received_on, row.answered_on = day("sent_on"), day("received_on"), day("answered_on")
    requested_by = day("requested_by")
    status = found("status", lookups.statuses)
    legal_basis = found("legal_basis", lookups.legal_bases)
    urgency = found("urgency", lookups.urgencies)
    officer = found("officer", lookups.officers)
    if direction is not None:
        row.status = _status_for(row, status, direction)
    row.key = _key(row, partner, request_type)
    row.notes = text("notes")
    case_number = text("case_number")
    row.new_case_number = normalize_case_number(case_number) if case_number else None
    row.fields = {
        "direction": direction,
        "title": title,
        "request_type_id": request_type.id if request_type else None,
        "partner_id": partner.id if partner else None,
        "legal_basis_id": legal_basis.id if legal_basis else None,
        "urgency": urgency or Urgency.NORMAL,
        "offence": text("offence"),
        "facts": text("facts"),
        "assistance_sought": text("assistance_sought"),
        "requested_by": requested_by,
        "partner_reference": text("partner_reference"),
        "officers": [officer] if officer else [],
    }
    text("external_number")
    return row


def _status_for(row: PreparedRow, status: Status | None, direction: Direction) -> Status | None:
    """The status the row says (or implies from its dates), checked against the direction's workflow."""
    problems = row.problems
    if status is None and row.values.get("status"):
        return None  # already reported as unknown
    if status is None:
        status = Status.ANSWERED if row.answered_on else \
            (Status.SENT if row.sent_on else Status.DRAFT) if direction == Direction.OUTGOING else Status.RECEIVED
    flow = FLOWS[direction]
    if status not in flow and not any(status in targets for targets in flow.values()):
        problems.append(RowProblem("status", "status_not_in_direction", row.values.get("status", status.value)))
        return None
    if direction == Direction.OUTGOING and is_sent(status, direction) and row.sent_on is None \
            and not any(problem.field == "sent_on" for problem in problems):
        problems.append(RowProblem("sent_on", "missing"))
    if direction == Direction.INCOMING and row.received_on is None \
            and not any(problem.field == "received_on" for problem in problems):
        problems.append(RowProblem("received_on", "missing"))
    if row.answered_on and status not in ANSWER_STATUSES:
        problems.append(RowProblem("answered_on", "answered_without_answer", row.values.get("answered_on", "")))
    start = row.sent_on if direction == Direction.OUTGOING else row.received_on
    if row.answered_on and start and row.answered_on < start:
        problems.append(RowProblem("answered_on", "answered_before_sent", row.values.get("answered_on", "")))
    return status


# Statuses in which the partner (or we, for an incoming request) have answered.
ANSWER_STATUSES = frozenset({Status.PARTIALLY_ANSWERED, Status.ANSWERED, Status.EVIDENCE_REVIEWED, Status.CLOSED,
                             Status.REFUSED, Status.NO_DATA})


def _find_imported(session: Session, rows: list[PreparedRow]) -> None:
    keys = [row.key for row in rows if row.key]
    known: dict[str, tuple[int, str]] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        for key, request_id, reference in session.execute(
                select(CooperationRequest.import_key, CooperationRequest.id, CooperationRequest.reference)
                .where(CooperationRequest.import_key.in_(chunk))):
            known[key] = (request_id, reference)
    for row in rows:
        if row.key in known:
            row.existing = known[row.key]


def _find_cases(session: Session, rows: list[PreparedRow]) -> None:
    """Rows naming a case coop has get its id; the others keep the number of the case the import will open."""
    numbers = {row.new_case_number.lower() for row in rows if row.new_case_number}
    known: dict[str, int] = {}
    for chunk in _chunks(sorted(numbers), 500):
        known |= dict(session.execute(select(func.lower(Case.number), Case.id)
                                      .where(func.lower(Case.number).in_(chunk))).all())
    for row in rows:
        if row.new_case_number and row.new_case_number.lower() in known:
            row.fields["case_id"] = known[row.new_case_number.lower()]
            row.new_case_number = None


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def new_case_numbers(rows: list[PreparedRow]) -> list[str]:
    """The case numbers the ready rows name that coop does not know yet: the import opens these cases."""
    return sorted({row.new_case_number for row in rows if row.new_case_number and row.state == "ready"},
                  key=str.lower)


# --- writing -----------------------------------------------------------------------------------------------

def import_row(session: Session, actor: User, row: PreparedRow, source: str, now: datetime,
               zone: ZoneInfo = DEFAULT_ZONE) -> CooperationRequest:
    """Create the row's request as an officer would, in the status the register gives, marked as imported.

    Raises RequestProblem when a request rule refuses it, IntegrityError when another import took its key.
    """
    fields = dict(row.fields)
    if row.new_case_number:
        fields["case_id"] = _case_for(session, row.new_case_number, fields["title"], now).id
    if row.direction == Direction.INCOMING:
        fields["received_at"] = moment_of(row.received_on, now, zone)
    request = create_request(session, actor, fields, now, zone)
    request.import_key = row.key
    _place_in_status(session, request, actor, row, now, zone)
    if row.notes:
        add_note(session, request, actor, row.notes, now)
    number = row.values.get("external_number")
    detail = f"{source} #{row.number}" + (f" ({number})" if number else "")
    for event in request.events:
        event.via, event.via_detail = "import", detail[:300]
    session.flush()
    return request


def _case_for(session: Session, number: str, title: str, now: datetime) -> Case:
    """The case with this number, opened now if this import is the first to name it."""
    case = session.scalar(select(Case).where(func.lower(Case.number) == number.lower()))
    return case or create_case(session, {"number": number, "title": title[:300]}, now)


def _place_in_status(session: Session, request: CooperationRequest, actor: User, row: PreparedRow,
                     now: datetime, zone: ZoneInfo) -> None:
    """Put a request that already went its way outside coop in the status the register gives, with its dates.

    Not a move of the workflow (whose steps happened before coop knew the request): one history entry
    records the status it was imported in, and the milestones take the register's dates.
    """
    target = row.status or request.status
    if row.direction == Direction.OUTGOING and row.sent_on and is_sent(target, Direction.OUTGOING):
        request.sent_at = moment_of(row.sent_on, now, zone)
    if row.answered_on and target in ANSWER_STATUSES:
        request.answered_at = moment_of(row.answered_on, now, zone)
    if target in FINAL:
        last_day = row.answered_on or row.sent_on or row.received_on
        request.closed_at = moment_of(last_day, now, zone) if last_day else now
    if target != request.status:
        session.add(RequestEvent(request=request, kind=EventKind.TRANSITION, at=now, actor=actor,
                                 from_status=request.status, to_status=target,
                                 occurred_on=row.answered_on or row.sent_on or row.received_on))
        request.status = target
    session.flush()
    deadlines.on_request_changed(session, request, now)


def rehearse(session: Session, actor: User, rows: list[PreparedRow], source: str, now: datetime,
             zone: ZoneInfo = DEFAULT_ZONE, progress: Callable[[int], None] | None = None) -> None:
    """Try every ready row through the request rules and undo it all; a refusal becomes the row's problem.

    `progress` is called with 1 after each row (a progress bar's update).
    """
    rehearsal = session.begin_nested()
    try:
        for row in rows:
            if progress is not None:
                progress(1)
            if row.state != "ready":
                continue
            attempt = session.begin_nested()
            try:
                import_row(session, actor, row, source, now, zone)
            except RequestProblem as problem:
                row.problems.append(RowProblem(row_field(problem.field), "rule", problem.code))
            except IntegrityError:
                row.problems.append(RowProblem("external_number", "rule", "taken_meanwhile"))
            finally:
                if attempt.is_active:
                    attempt.rollback()
    finally:
        rehearsal.rollback()


# The request rules name fields as the domain does; a row names them as the mapping does.
_DOMAIN_FIELDS = {"partner_id": "partner", "request_type_id": "request_type", "legal_basis_id": "legal_basis",
                  "case_id": "case_number", "reference": "partner_reference"}


def row_field(domain_field: str | None) -> str:
    return _DOMAIN_FIELDS.get(domain_field or "", domain_field or "")
