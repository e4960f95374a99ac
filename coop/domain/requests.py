"""Creating, editing and moving requests, and everything recorded about them.

Every change leaves a RequestEvent (who, when, what, why) and ends by letting the deadlines recompute.
Plain rules with no Flask and no commit: the view or command owns the transaction.
"""

import enum
from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from coop.domain import deadlines
from coop.domain.access import can_edit
from coop.domain.documents import StoredFile
from coop.domain.identifiers import ParsedIdentifier, describe
from coop.domain.references import allocate_reference
from coop.domain.workflow import MILESTONES, TransitionNotAllowed, check_transition, initial_status
from coop.models import (
    CooperationRequest,
    Direction,
    Document,
    DocumentKind,
    EventKind,
    Identifier,
    LegalBasis,
    Partner,
    PartnerReference,
    RequestEvent,
    RequestType,
    Role,
    Status,
    Urgency,
    User,
)

DEFAULT_ZONE = ZoneInfo("Asia/Almaty")

# The fields a user fills in and edits (direction, status, reference and milestones are not among them).
REQUEST_FIELDS = (
    "title", "request_type_id", "legal_basis_id", "partner_id", "case_id", "follows_id", "urgency",
    "emergency_justification", "restricted",
    "requesting_authority", "investigation_subject", "facts", "offence", "assistance_sought", "persons", "purpose",
    "data_period_from", "data_period_to", "requested_by", "requested_by_reasons", "confidentiality",
    "data_custodian", "follow_up_promised",
)
# Officers are a set of people, changed through `set_officers` (or "officer_ids" in an edit).
OFFICERS_FIELD = "officers"

# What a request must contain (DOMAIN.md); a preservation request has a checklist of its own.
CHECKLIST = ("requesting_authority", "investigation_subject", "facts", "offence", "assistance_sought", "persons",
             "purpose", "data_period", "requested_by", "requested_by_reasons", "confidentiality")
PRESERVATION_CHECKLIST = ("requesting_authority", "facts", "offence", "data_named", "persons", "data_period",
                          "data_custodian", "urgency_reasons", "follow_up_promised")


class RequestProblem(Exception):
    """A change refused by a rule; `code` names the rule and `field` the input at fault (if any)."""

    def __init__(self, code: str, field: str | None = None):
        super().__init__(code)
        self.code = code
        self.field = field


class EditConflict(RequestProblem):
    """Someone saved the request after the editor loaded it; `current_version` is what is stored now."""

    def __init__(self, current_version: int):
        super().__init__("conflict")
        self.current_version = current_version


def moment_of(day: date | None, now: datetime, zone: ZoneInfo = DEFAULT_ZONE) -> datetime:
    """When something dated `day` happened: `now` if undated or today, else the start of that day in `zone`."""
    if day is None or day == now.astimezone(zone).date():
        return now
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


# --- creating and editing ----------------------------------------------------------------------------------

def create_request(session: Session, actor: User, fields: dict, now: datetime,
                   zone: ZoneInfo = DEFAULT_ZONE) -> CooperationRequest:
    """Add a request from `fields` with the next reference of its series; the creator is assigned to it.

    `fields` holds "direction", any of REQUEST_FIELDS, and optionally "officers" (users assigned besides
    the creator), "received_at" (incoming: when it arrived, default `now`) and "partner_reference".
    """
    if actor.role not in (Role.OFFICER, Role.HEAD):
        raise RequestProblem("not_allowed")
    direction = Direction(fields["direction"])
    values = {name: _clean(fields.get(name)) for name in REQUEST_FIELDS if name in fields}
    values.setdefault("urgency", Urgency.NORMAL)
    values["restricted"] = bool(values.get("restricted"))
    values["follow_up_promised"] = bool(values.get("follow_up_promised"))
    request = CooperationRequest(direction=direction, status=initial_status(direction), created_by=actor,
                                 created_at=now, updated_at=now, version=1, **values)
    _check_rules(session, request)
    if direction == Direction.INCOMING:
        request.received_at = fields.get("received_at") or now
    request.officers = _unique_people([actor, *fields.get("officers", ())])
    request.reference = allocate_reference(session, direction, now.astimezone(zone).year)
    session.add(request)
    session.flush()
    session.add(RequestEvent(request=request, kind=EventKind.CREATED, at=now, actor=actor, to_status=request.status,
                             new_value=request.reference))
    if reference := _clean(fields.get("partner_reference")):
        _add_partner_reference(session, request, actor, reference, now, note=None)
    session.flush()
    deadlines.on_request_changed(session, request, now)
    return request


def update_request(session: Session, request: CooperationRequest, actor: User, changes: dict,
                   submitted_version: int, now: datetime) -> list[RequestEvent]:
    """Apply `changes` if nobody saved the request since `submitted_version`; one CHANGED event per field.

    Raises EditConflict when the stored version differs: the check is a conditional UPDATE, so two
    saves racing from the same version cannot both pass. Returns the events (none if nothing changed).
    """
    _require_editor(actor, request)
    table = CooperationRequest.__table__
    claimed = session.execute(
        update(table).where(table.c.id == request.id, table.c.version == submitted_version)
        .values(version=table.c.version)  # takes the row (lock on PostgreSQL) only if still at that version
    ).rowcount
    if claimed != 1:
        raise EditConflict(session.scalar(select(table.c.version).where(table.c.id == request.id)))
    session.refresh(request)  # the values as stored now, under the lock: the "old" side of each change
    events = []
    for name in REQUEST_FIELDS:
        if name not in changes:
            continue
        new = _clean(changes[name])
        if name in ("restricted", "follow_up_promised"):
            new = bool(new)
        old = getattr(request, name)
        if old != new:
            setattr(request, name, new)
            events.append(_change_event(request, actor, now, name, old, new))
            session.add(events[-1])
    if "officer_ids" in changes:
        officers = list(session.scalars(select(User).where(User.id.in_(changes["officer_ids"] or []))))
        if event := _replace_officers(request, actor, officers, now):
            events.append(event)
            session.add(event)
    if not events:
        return []
    _check_rules(session, request)
    request.version = submitted_version + 1
    request.updated_at = now
    session.flush()
    deadlines.on_request_changed(session, request, now)
    return events


def set_officers(session: Session, request: CooperationRequest, actor: User, officers: Iterable[User],
                 now: datetime) -> RequestEvent | None:
    """Assign exactly `officers` to the request; the change is recorded (None if nothing changed)."""
    _require_editor(actor, request)
    event = _replace_officers(request, actor, list(officers), now)
    if event is not None:
        session.add(event)
        request.updated_at = now
        session.flush()
    deadlines.on_request_changed(session, request, now)
    return event


def _replace_officers(request: CooperationRequest, actor: User, officers: list[User],
                      now: datetime) -> RequestEvent | None:
    officers = _unique_people(officers)
    old_ids = sorted(officer.id for officer in request.officers)
    new_ids = sorted(officer.id for officer in officers)
    if old_ids == new_ids:
        return None
    request.officers = officers
    return RequestEvent(request=request, kind=EventKind.CHANGED, at=now, actor=actor, field=OFFICERS_FIELD,
                        old_value=",".join(map(str, old_ids)) or None, new_value=",".join(map(str, new_ids)) or None)


def _check_rules(session: Session, request: CooperationRequest) -> None:
    """Raise RequestProblem when the request's fields break a rule (not a form's concern: its meaning)."""
    if not request.title:
        raise RequestProblem("title_required", "title")
    request_type = session.get(RequestType, request.request_type_id) if request.request_type_id else None
    partner = session.get(Partner, request.partner_id) if request.partner_id else None
    if request_type is None:
        raise RequestProblem("type_required", "request_type_id")
    if partner is None:
        raise RequestProblem("partner_required", "partner_id")
    if request.legal_basis_id is not None and session.get(LegalBasis, request.legal_basis_id) is None:
        raise RequestProblem("unknown_legal_basis", "legal_basis_id")
    if request_type.direction != request.direction:
        raise RequestProblem("type_direction_mismatch", "request_type_id")
    if request_type.partner_kind is not None and request_type.partner_kind != partner.kind:
        raise RequestProblem("type_partner_mismatch", "partner_id")
    if request.urgency == Urgency.EMERGENCY and not request.emergency_justification:
        raise RequestProblem("emergency_justification_required", "emergency_justification")
    if request.data_period_from and request.data_period_to and request.data_period_from > request.data_period_to:
        raise RequestProblem("period_reversed", "data_period_to")
    if request.follows_id is not None:
        _check_follows(session, request)


def _check_follows(session: Session, request: CooperationRequest) -> None:
    if request.id is not None and request.follows_id == request.id:
        raise RequestProblem("follows_itself", "follows_id")
    seen = set()
    current = request.follows_id
    while current is not None and current not in seen:
        if request.id is not None and current == request.id:
            raise RequestProblem("follows_cycle", "follows_id")
        seen.add(current)
        current = session.scalar(select(CooperationRequest.follows_id).where(CooperationRequest.id == current))
    if session.get(CooperationRequest, request.follows_id) is None:
        raise RequestProblem("unknown_request", "follows_id")


# --- the workflow ------------------------------------------------------------------------------------------

def change_status(session: Session, request: CooperationRequest, actor: User, target: Status, now: datetime,
                  reason: str | None = None, channel: str | None = None, partner_reference: str | None = None,
                  document: Document | None = None, occurred_on: date | None = None,
                  zone: ZoneInfo = DEFAULT_ZONE) -> RequestEvent:
    """Move the request to `target` if the workflow allows it; record who, when, why, and what went with it.

    Raises TransitionNotAllowed (the workflow's codes, and "status_changed" when someone moved the request
    meanwhile) or RequestProblem (a date in the future, a document of another request).
    """
    _require_editor(actor, request)
    current = request.status
    reason = _clean(reason)
    check_transition(request.direction, current, target, actor.role, reason)
    if occurred_on is not None and occurred_on > now.astimezone(zone).date():
        raise RequestProblem("date_in_future", "occurred_on")
    if document is not None and document.request_id != request.id:
        raise RequestProblem("foreign_document", "document_id")
    table = CooperationRequest.__table__
    claimed = session.execute(
        update(table).where(table.c.id == request.id, table.c.status == current)
        .values(status=table.c.status)  # takes the row only if nobody moved it since it was read
    ).rowcount
    if claimed != 1:
        raise TransitionNotAllowed("status_changed", current, target)
    request.status = target
    request.updated_at = now
    milestone = MILESTONES.get(target)
    # A milestone keeps the first time it was reached, except that a full answer follows a partial one.
    if milestone and (getattr(request, milestone) is None or target == Status.ANSWERED):
        setattr(request, milestone, moment_of(occurred_on, now, zone))
    partner_reference = _clean(partner_reference)
    if partner_reference and not _has_partner_reference(request, partner_reference):
        session.add(PartnerReference(request=request, reference=partner_reference, added_at=now))
    event = RequestEvent(request=request, kind=EventKind.TRANSITION, at=now, actor=actor, from_status=current,
                         to_status=target, comment=reason, channel=_clean(channel),
                         partner_reference=partner_reference, document=document, occurred_on=occurred_on)
    session.add(event)
    session.flush()
    deadlines.on_request_changed(session, request, now)
    return event


# --- notes, partner references, identifiers, documents -----------------------------------------------------

def add_note(session: Session, request: CooperationRequest, actor: User, text: str, now: datetime) -> RequestEvent:
    """Add a note to the request's history."""
    _require_editor(actor, request)
    text = _clean(text)
    if not text:
        raise RequestProblem("note_required", "text")
    event = RequestEvent(request=request, kind=EventKind.NOTE, at=now, actor=actor, comment=text)
    session.add(event)
    session.flush()
    deadlines.on_request_changed(session, request, now)
    return event


def add_partner_reference(session: Session, request: CooperationRequest, actor: User, reference: str,
                          now: datetime, note: str | None = None) -> PartnerReference:
    """Record a reference number the partner gave the request (one request may get several)."""
    _require_editor(actor, request)
    added = _add_partner_reference(session, request, actor, reference, now, note)
    session.flush()
    deadlines.on_request_changed(session, request, now)
    return added


def _add_partner_reference(session: Session, request: CooperationRequest, actor: User, reference: str,
                           now: datetime, note: str | None) -> PartnerReference:
    reference = _clean(reference)
    if not reference:
        raise RequestProblem("reference_required", "reference")
    if _has_partner_reference(request, reference):
        raise RequestProblem("duplicate_partner_reference", "reference")
    added = PartnerReference(request=request, reference=reference, note=_clean(note), added_at=now)
    session.add(added)
    session.add(RequestEvent(request=request, kind=EventKind.PARTNER_REFERENCE, at=now, actor=actor,
                             new_value=reference, comment=_clean(note)))
    return added


def _has_partner_reference(request: CooperationRequest, reference: str) -> bool:
    wanted = reference.casefold()
    return any(known.reference.casefold() == wanted for known in request.partner_references)


def add_identifier(session: Session, request: CooperationRequest, actor: User, parsed: ParsedIdentifier,
                   now: datetime, note: str | None = None) -> Identifier:
    """Name an identifier (already checked by `coop.domain.identifiers.parse_identifier`) in the request."""
    _require_editor(actor, request)
    for known in request.identifiers:
        if (known.kind, known.normalized, known.observed_at) == (parsed.kind, parsed.normalized, parsed.observed_at):
            raise RequestProblem("duplicate_identifier", "value")
    identifier = Identifier(request=request, kind=parsed.kind, platform=parsed.platform, value=parsed.value,
                            normalized=parsed.normalized, observed_at=parsed.observed_at,
                            observed_zone=parsed.observed_zone, note=_clean(note))
    session.add(identifier)
    session.add(RequestEvent(request=request, kind=EventKind.IDENTIFIER, at=now, actor=actor,
                             field=parsed.kind.value, new_value=describe(parsed), comment=_clean(note)))
    session.flush()
    deadlines.on_request_changed(session, request, now)
    return identifier


def remove_identifier(session: Session, request: CooperationRequest, actor: User, identifier: Identifier,
                      now: datetime) -> RequestEvent:
    """Take an identifier off the request (the history keeps what it was)."""
    _require_editor(actor, request)
    if identifier.request_id != request.id:
        raise RequestProblem("foreign_identifier")
    event = RequestEvent(request=request, kind=EventKind.IDENTIFIER, at=now, actor=actor,
                         field=identifier.kind.value, old_value=describe(identifier))
    session.add(event)
    request.identifiers.remove(identifier)
    session.flush()
    deadlines.on_request_changed(session, request, now)
    return event


def copy_identifiers(session: Session, source: CooperationRequest, target: CooperationRequest, actor: User,
                     now: datetime) -> int:
    """Name in `target` every identifier of `source` it does not name yet (a follow-up asks about the same)."""
    _require_editor(actor, target)
    known = {(item.kind, item.normalized, item.observed_at) for item in target.identifiers}
    copied = 0
    for item in source.identifiers:
        if (item.kind, item.normalized, item.observed_at) in known:
            continue
        session.add(Identifier(request=target, kind=item.kind, platform=item.platform, value=item.value,
                               normalized=item.normalized, observed_at=item.observed_at,
                               observed_zone=item.observed_zone, note=item.note))
        session.add(RequestEvent(request=target, kind=EventKind.IDENTIFIER, at=now, actor=actor,
                                 field=item.kind.value, new_value=describe(item), comment=source.reference))
        copied += 1
    session.flush()
    deadlines.on_request_changed(session, target, now)
    return copied


def attach_document(session: Session, request: CooperationRequest, actor: User, stored: StoredFile,
                    kind: DocumentKind, now: datetime, dated: date | None = None,
                    note: str | None = None) -> Document:
    """Attach a stored file to the request (refused if this very content is already attached)."""
    _require_editor(actor, request)
    for known in request.documents:
        if known.sha256 == stored.sha256:
            raise RequestProblem("duplicate_document", "file")
    document = Document(request=request, kind=kind, original_name=stored.original_name, sha256=stored.sha256,
                        size=stored.size, content_type=stored.content_type, dated=dated, note=_clean(note),
                        uploaded_by=actor, uploaded_at=now)
    session.add(document)
    session.flush()
    session.add(RequestEvent(request=request, kind=EventKind.DOCUMENT, at=now, actor=actor, field=kind.value,
                             new_value=stored.original_name, document=document, comment=_clean(note),
                             occurred_on=dated))
    session.flush()
    deadlines.on_request_changed(session, request, now)
    return document


# --- what is missing ---------------------------------------------------------------------------------------

def contents_checklist(request: CooperationRequest) -> list[tuple[str, bool]]:
    """Each item the request should contain (DOMAIN.md), and whether it does, in the order to show them."""
    preservation = request.request_type is not None and request.request_type.is_preservation
    items = PRESERVATION_CHECKLIST if preservation else CHECKLIST
    present = {
        "requesting_authority": bool(request.requesting_authority),
        "investigation_subject": bool(request.investigation_subject),
        "facts": bool(request.facts),
        "offence": bool(request.offence),
        "assistance_sought": bool(request.assistance_sought),
        "data_named": bool(request.assistance_sought),
        "persons": bool(request.persons) or bool(request.identifiers),
        "purpose": bool(request.purpose),
        "data_period": bool(request.data_period_from and request.data_period_to),
        "requested_by": request.requested_by is not None,
        "requested_by_reasons": bool(request.requested_by_reasons),
        "urgency_reasons": bool(request.requested_by_reasons),
        "confidentiality": bool(request.confidentiality),
        "data_custodian": bool(request.data_custodian),
        "follow_up_promised": bool(request.follow_up_promised),
        "emergency_justification": bool(request.emergency_justification),
    }
    if request.urgency == Urgency.EMERGENCY:
        items = (*items, "emergency_justification")
    return [(item, present[item]) for item in items]


def missing_contents(request: CooperationRequest) -> list[str]:
    """The codes of the checklist items the request still lacks."""
    return [item for item, done in contents_checklist(request) if not done]


# --- helpers -----------------------------------------------------------------------------------------------

def _require_editor(actor: User, request: CooperationRequest) -> None:
    if not can_edit(actor, request):
        raise RequestProblem("not_allowed")


def _clean(value):
    """Text trimmed, and empty text stored as nothing; other values unchanged."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _unique_people(people: Iterable[User]) -> list[User]:
    unique: dict[int, User] = {}
    for person in people:
        unique.setdefault(person.id, person)
    return list(unique.values())


def history_value(value) -> str | None:
    """A field value as the history stores it: ids, ISO dates, enum values, "true"/"false"."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def _change_event(request: CooperationRequest, actor: User, now: datetime, name: str, old, new) -> RequestEvent:
    return RequestEvent(request=request, kind=EventKind.CHANGED, at=now, actor=actor, field=name,
                        old_value=history_value(old), new_value=history_value(new))
