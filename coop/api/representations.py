"""What the API answers with: each resource as JSON, and the JSON Schema the OpenAPI document gives it.

Each `*_json` function and its `*_SCHEMA` sit side by side: change one, change the other (the fuzzer in
tests/api checks every answer against the schema).
"""

from datetime import date, datetime

from flask import url_for

from coop.domain.workflow import HEAD_ONLY, next_statuses
from coop.models import (
    ApiToken,
    Case,
    ClockUnit,
    CooperationRequest,
    Deadline,
    DeadlineKind,
    DeadlineState,
    Direction,
    Document,
    DocumentKind,
    EventKind,
    Identifier,
    IdentifierKind,
    LegalBasis,
    LegalBasisKind,
    Partner,
    PartnerKind,
    Reminder,
    ReminderKind,
    ReminderState,
    RequestEvent,
    RequestType,
    Role,
    Status,
    TokenScope,
    Urgency,
    User,
)

# Text fields of a request that only its full representation carries.
REQUEST_TEXT_FIELDS = (
    "emergency_justification", "requesting_authority", "investigation_subject", "facts", "offence",
    "assistance_sought", "persons", "purpose", "requested_by_reasons", "confidentiality", "data_custodian",
)
REQUEST_DATE_FIELDS = ("data_period_from", "data_period_to", "requested_by")
REQUEST_MOMENTS = ("sent_at", "received_at", "acknowledged_at", "answered_at", "closed_at", "created_at",
                   "updated_at")


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def nullable(schema: dict) -> dict:
    """`schema`, or null."""
    return {"anyOf": [schema, {"type": "null"}]}


STRING = {"type": "string"}
NULLABLE_STRING = {"type": ["string", "null"]}
DATE = {"type": "string", "format": "date"}
DATE_TIME = {"type": "string", "format": "date-time"}
NULLABLE_DATE = {"type": ["string", "null"], "format": "date"}
NULLABLE_DATE_TIME = {"type": ["string", "null"], "format": "date-time"}
INTEGER = {"type": "integer"}


def _object(properties: dict, description: str | None = None) -> dict:
    schema = {"type": "object", "properties": properties, "required": list(properties)}
    if description:
        schema["description"] = description
    return schema


# --- people, partners, types, legal bases, cases -------------------------------------------------------------

def person_json(user: User) -> dict:
    return {"id": user.id, "username": user.username, "full_name": user.full_name}


PERSON_SCHEMA = _object({"id": INTEGER, "username": STRING, "full_name": STRING})


def partner_brief_json(partner: Partner) -> dict:
    return {"id": partner.id, "code": partner.code, "kind": partner.kind.value, "name_ru": partner.name_ru,
            "name_en": partner.name_en}


PARTNER_BRIEF_SCHEMA = _object({
    "id": INTEGER, "code": STRING, "kind": {"type": "string", "enum": [kind.value for kind in PartnerKind]},
    "name_ru": STRING, "name_en": STRING,
})

PARTNER_DETAIL_FIELDS = (
    "name_kk", "time_zone", "accepted_languages", "channels", "weekend_days", "holiday_calendar",
    "dual_criminality_notes", "use_limitations", "legal_entity", "governing_law", "request_portal",
    "discloses_directly", "requires_formal_assistance", "preservation_extension", "emergency_channel",
    "emergency_criteria", "notifies_user", "known_limits", "notes",
)


def partner_json(partner: Partner, full: bool = False) -> dict:
    """A partner; `full` adds what it takes to work with it (contacts, instruments, provider's policy)."""
    data = partner_brief_json(partner) | {"active": partner.active,
                                          "url": url_for("api.partner", code=partner.code)}
    if full:
        data |= {name: getattr(partner, name) for name in PARTNER_DETAIL_FIELDS}
        data["preservation_days"] = partner.preservation_days
        data["contacts"] = [{"role": contact.role.value, "name": contact.name, "email": contact.email,
                             "phone": contact.phone, "address": contact.address,
                             "office_hours": contact.office_hours} for contact in partner.contacts]
        data["instruments"] = [{"legal_basis": instrument.legal_basis.code, "signed_on": _iso(instrument.signed_on),
                                "in_force_on": _iso(instrument.in_force_on), "notes": instrument.notes}
                               for instrument in sorted(partner.instruments, key=lambda item: item.legal_basis.code)]
        data["version"] = partner.version
    return data


PARTNER_SCHEMA = _object(PARTNER_BRIEF_SCHEMA["properties"] | {"active": {"type": "boolean"}, "url": STRING})
PARTNER_DETAIL_SCHEMA = _object(
    PARTNER_SCHEMA["properties"]
    | {name: NULLABLE_STRING for name in PARTNER_DETAIL_FIELDS}
    | {
        "preservation_days": {"type": ["integer", "null"]},
        "contacts": {"type": "array", "items": _object({
            "role": STRING, "name": STRING, "email": NULLABLE_STRING, "phone": NULLABLE_STRING,
            "address": NULLABLE_STRING, "office_hours": NULLABLE_STRING})},
        "instruments": {"type": "array", "items": _object({
            "legal_basis": STRING, "signed_on": NULLABLE_DATE, "in_force_on": NULLABLE_DATE,
            "notes": NULLABLE_STRING})},
        "version": INTEGER,
    })


def request_type_json(request_type: RequestType) -> dict:
    return {"id": request_type.id, "code": request_type.code, "name_ru": request_type.name_ru,
            "name_en": request_type.name_en, "name_kk": request_type.name_kk}


REQUEST_TYPE_BRIEF_SCHEMA = _object({"id": INTEGER, "code": STRING, "name_ru": STRING, "name_en": STRING,
                                     "name_kk": NULLABLE_STRING})


def request_type_full_json(request_type: RequestType) -> dict:
    return request_type_json(request_type) | {
        "direction": request_type.direction.value,
        "partner_kind": request_type.partner_kind.value if request_type.partner_kind else None,
        "is_preservation": request_type.is_preservation, "is_emergency": request_type.is_emergency,
        "active": request_type.active, "description": request_type.description,
    }


REQUEST_TYPE_SCHEMA = _object(REQUEST_TYPE_BRIEF_SCHEMA["properties"] | {
    "direction": {"type": "string", "enum": [direction.value for direction in Direction]},
    "partner_kind": {"type": ["string", "null"], "enum": [kind.value for kind in PartnerKind] + [None]},
    "is_preservation": {"type": "boolean"}, "is_emergency": {"type": "boolean"}, "active": {"type": "boolean"},
    "description": NULLABLE_STRING,
})


def legal_basis_json(basis: LegalBasis) -> dict:
    return {"id": basis.id, "code": basis.code, "name_ru": basis.name_ru, "name_en": basis.name_en,
            "name_kk": basis.name_kk}


LEGAL_BASIS_BRIEF_SCHEMA = REQUEST_TYPE_BRIEF_SCHEMA


def legal_basis_full_json(basis: LegalBasis) -> dict:
    return legal_basis_json(basis) | {"kind": basis.kind.value, "articles": basis.articles,
                                      "adopted_on": _iso(basis.adopted_on), "active": basis.active}


LEGAL_BASIS_SCHEMA = _object(LEGAL_BASIS_BRIEF_SCHEMA["properties"] | {
    "kind": {"type": "string", "enum": [kind.value for kind in LegalBasisKind]},
    "articles": NULLABLE_STRING, "adopted_on": NULLABLE_DATE, "active": {"type": "boolean"},
})


def case_json(case: Case) -> dict:
    return {"id": case.id, "number": case.number, "title": case.title}


CASE_SCHEMA = _object({"id": INTEGER, "number": STRING, "title": STRING})


# --- requests ----------------------------------------------------------------------------------------------

def allowed_statuses(item: CooperationRequest, user: User, editable: bool) -> list[str]:
    """The statuses `user` may move the request to now (what the request's page offers)."""
    if not editable:
        return []
    return [status.value for status in next_statuses(item.direction, item.status)
            if status not in HEAD_ONLY or user.role == Role.HEAD]


def request_summary_json(item: CooperationRequest, next_deadline: datetime | None = None) -> dict:
    """A request as the list shows it (needs partner, type, case and officers loaded)."""
    return {
        "id": item.id,
        "reference": item.reference,
        "direction": item.direction.value,
        "status": item.status.value,
        "title": item.title,
        "urgency": item.urgency.value,
        "restricted": item.restricted,
        "request_type": request_type_json(item.request_type),
        "partner": partner_brief_json(item.partner),
        "case": case_json(item.case) if item.case else None,
        "officers": [person_json(officer) for officer in item.officers],
        "sent_at": _iso(item.sent_at),
        "received_at": _iso(item.received_at),
        "answered_at": _iso(item.answered_at),
        "created_at": _iso(item.created_at),
        "updated_at": _iso(item.updated_at),
        "next_deadline_at": _iso(next_deadline),
        "version": item.version,
        "url": url_for("api.request_detail", request_id=item.id),
        "web_url": url_for("requests.detail", request_id=item.id),
    }


STATUS_ENUM = {"type": "string", "enum": [status.value for status in Status]}
REQUEST_SUMMARY_SCHEMA = _object({
    "id": INTEGER,
    "reference": STRING,
    "direction": {"type": "string", "enum": [direction.value for direction in Direction]},
    "status": STATUS_ENUM,
    "title": STRING,
    "urgency": {"type": "string", "enum": [urgency.value for urgency in Urgency]},
    "restricted": {"type": "boolean"},
    "request_type": REQUEST_TYPE_BRIEF_SCHEMA,
    "partner": PARTNER_BRIEF_SCHEMA,
    "case": nullable(CASE_SCHEMA),
    "officers": {"type": "array", "items": PERSON_SCHEMA},
    "sent_at": NULLABLE_DATE_TIME,
    "received_at": NULLABLE_DATE_TIME,
    "answered_at": NULLABLE_DATE_TIME,
    "created_at": DATE_TIME,
    "updated_at": DATE_TIME,
    "next_deadline_at": NULLABLE_DATE_TIME,
    "version": INTEGER,
    "url": STRING,
    "web_url": STRING,
})


def request_json(item: CooperationRequest, user: User, editable: bool,
                 next_deadline: datetime | None = None) -> dict:
    """A request with everything it says (needs the relations of `coop.api.request_views.FULL_REQUEST` loaded)."""
    data = request_summary_json(item, next_deadline)
    data |= {name: getattr(item, name) for name in REQUEST_TEXT_FIELDS}
    data |= {name: _iso(getattr(item, name)) for name in REQUEST_DATE_FIELDS}
    data |= {name: _iso(getattr(item, name)) for name in REQUEST_MOMENTS}
    data |= {
        "follow_up_promised": item.follow_up_promised,
        "legal_basis": legal_basis_json(item.legal_basis) if item.legal_basis else None,
        "follows": {"id": item.follows.id, "reference": item.follows.reference} if item.follows else None,
        "partner_references": [reference.reference for reference in item.partner_references],
        "identifiers": [{
            "kind": identifier.kind.value, "platform": identifier.platform, "value": identifier.value,
            "normalized": identifier.normalized, "observed_at": _iso(identifier.observed_at),
            "observed_zone": identifier.observed_zone, "note": identifier.note,
        } for identifier in item.identifiers],
        "editable": editable,
        "next_statuses": allowed_statuses(item, user, editable),
        "history_url": url_for("api.request_history", request_id=item.id),
    }
    return data


REQUEST_SCHEMA = _object(
    REQUEST_SUMMARY_SCHEMA["properties"]
    | {name: NULLABLE_STRING for name in REQUEST_TEXT_FIELDS}
    | {name: NULLABLE_DATE for name in REQUEST_DATE_FIELDS}
    | {name: NULLABLE_DATE_TIME for name in REQUEST_MOMENTS if name not in ("created_at", "updated_at")}
    | {
        "follow_up_promised": {"type": "boolean"},
        "legal_basis": nullable(LEGAL_BASIS_BRIEF_SCHEMA),
        "follows": nullable(_object({"id": INTEGER, "reference": STRING})),
        "partner_references": {"type": "array", "items": STRING},
        "identifiers": {"type": "array", "items": _object({
            "kind": {"type": "string", "enum": [kind.value for kind in IdentifierKind]},
            "platform": NULLABLE_STRING, "value": STRING, "normalized": STRING,
            "observed_at": NULLABLE_DATE_TIME, "observed_zone": NULLABLE_STRING, "note": NULLABLE_STRING,
        })},
        "editable": {"type": "boolean"},
        "next_statuses": {"type": "array", "items": STATUS_ENUM},
        "history_url": STRING,
    })


# --- history -----------------------------------------------------------------------------------------------

def event_json(event: RequestEvent) -> dict:
    """One entry of a request's history, with how the change came (web pages, API token, import)."""
    return {
        "id": event.id,
        "kind": event.kind.value,
        "at": _iso(event.at),
        "actor": person_json(event.actor) if event.actor else None,
        "from_status": event.from_status.value if event.from_status else None,
        "to_status": event.to_status.value if event.to_status else None,
        "field": event.field,
        "old_value": event.old_value,
        "new_value": event.new_value,
        "comment": event.comment,
        "channel": event.channel,
        "partner_reference": event.partner_reference,
        "document": {"id": event.document.id, "name": event.document.original_name} if event.document else None,
        "occurred_on": _iso(event.occurred_on),
        "via": event.via or "web",
        "via_detail": event.via_detail,
    }


NULLABLE_STATUS = {"type": ["string", "null"], "enum": [status.value for status in Status] + [None]}
EVENT_SCHEMA = _object({
    "id": INTEGER,
    "kind": {"type": "string", "enum": [kind.value for kind in EventKind]},
    "at": DATE_TIME,
    "actor": nullable(PERSON_SCHEMA),
    "from_status": NULLABLE_STATUS,
    "to_status": NULLABLE_STATUS,
    "field": NULLABLE_STRING,
    "old_value": NULLABLE_STRING,
    "new_value": NULLABLE_STRING,
    "comment": NULLABLE_STRING,
    "channel": NULLABLE_STRING,
    "partner_reference": NULLABLE_STRING,
    "document": nullable(_object({"id": INTEGER, "name": STRING})),
    "occurred_on": NULLABLE_DATE,
    "via": {"type": "string", "enum": ["web", "api", "import", "cli"]},
    "via_detail": NULLABLE_STRING,
})


# --- the caller --------------------------------------------------------------------------------------------

def me_json(user: User, token: ApiToken | None) -> dict:
    return person_json(user) | {
        "role": user.role.value,
        "token": {"name": token.name, "prefix": token.prefix, "scope": token.scope.value,
                  "expires_at": _iso(token.expires_at)} if token else None,
    }


ME_SCHEMA = _object(PERSON_SCHEMA["properties"] | {
    "role": {"type": "string", "enum": [role.value for role in Role]},
    "token": nullable(_object({"name": STRING, "prefix": STRING,
                               "scope": {"type": "string", "enum": [scope.value for scope in TokenScope]},
                               "expires_at": NULLABLE_DATE_TIME})),
})


def page_schema(item_schema: dict) -> dict:
    """A page of a list: its items, and where it stands."""
    return _object({
        "items": {"type": "array", "items": item_schema},
        "page": INTEGER,
        "per_page": INTEGER,
        "total": INTEGER,
        "pages": INTEGER,
        "next": NULLABLE_STRING,
        "prev": NULLABLE_STRING,
    })


def cursor_page_schema(item_schema: dict) -> dict:
    """A page of a list read by cursor or by number: with a cursor, nothing is counted (total, page and pages
    are null)."""
    schema = page_schema(item_schema)
    for name in ("page", "total", "pages"):
        schema["properties"][name] = {"type": ["integer", "null"]}
    schema["properties"]["next_cursor"] = NULLABLE_STRING
    schema["required"].append("next_cursor")
    return schema


ERROR_SCHEMA = _object({"error": {
    "type": "object",
    "required": ["status", "code", "message"],
    "properties": {
        "status": INTEGER,
        "code": STRING,
        "message": STRING,
        "fields": {"type": "object", "additionalProperties": {"type": "array", "items": STRING}},
    },
}})


# --- deadlines and reminders -------------------------------------------------------------------------------

def request_link_json(item: CooperationRequest) -> dict:
    return {"id": item.id, "reference": item.reference, "title": item.title,
            "url": url_for("api.request_detail", request_id=item.id)}


REQUEST_LINK_SCHEMA = _object({"id": INTEGER, "reference": STRING, "title": STRING, "url": STRING})


def deadline_json(deadline: Deadline, item: CooperationRequest, now: datetime) -> dict:
    """One clock of a request: when it falls due, whether it still runs."""
    return {
        "id": deadline.id,
        "kind": deadline.kind.value,
        "sequence": deadline.sequence,
        "state": deadline.state.value,
        "overdue": deadline.overdue(now),
        "unit": deadline.unit.value,
        "started_at": _iso(deadline.started_at),
        "due_at": _iso(deadline.due_at),
        "base_due_at": _iso(deadline.base_due_at),
        "paused_at": _iso(deadline.paused_at),
        "met_at": _iso(deadline.met_at),
        "ended_reason": deadline.ended_reason,
        "extensions": deadline.extensions,
        "request": request_link_json(item),
        "web_url": url_for("deadlines.detail", deadline_id=deadline.id),
    }


DEADLINE_SCHEMA = _object({
    "id": INTEGER,
    "kind": {"type": "string", "enum": [kind.value for kind in DeadlineKind]},
    "sequence": INTEGER,
    "state": {"type": "string", "enum": [state.value for state in DeadlineState]},
    "overdue": {"type": "boolean"},
    "unit": {"type": "string", "enum": [unit.value for unit in ClockUnit]},
    "started_at": NULLABLE_DATE_TIME,
    "due_at": DATE_TIME,
    "base_due_at": NULLABLE_DATE_TIME,
    "paused_at": NULLABLE_DATE_TIME,
    "met_at": NULLABLE_DATE_TIME,
    "ended_reason": NULLABLE_STRING,
    "extensions": INTEGER,
    "request": REQUEST_LINK_SCHEMA,
    "web_url": STRING,
})


def reminder_json(reminder: Reminder, deadline: Deadline, item: CooperationRequest) -> dict:
    """A reminder to the caller about one clock of a request."""
    return {
        "id": reminder.id,
        "kind": reminder.kind.value,
        "offset": reminder.offset_code,
        "due_at": _iso(reminder.due_at),
        "state": reminder.state.value,
        "snoozed_until": _iso(reminder.snoozed_until),
        "deadline": {"id": deadline.id, "kind": deadline.kind.value, "due_at": _iso(deadline.due_at),
                     "state": deadline.state.value},
        "request": request_link_json(item),
    }


REMINDER_SCHEMA = _object({
    "id": INTEGER,
    "kind": {"type": "string", "enum": [kind.value for kind in ReminderKind]},
    "offset": STRING,
    "due_at": DATE_TIME,
    "state": {"type": "string", "enum": [state.value for state in ReminderState]},
    "snoozed_until": NULLABLE_DATE_TIME,
    "deadline": _object({"id": INTEGER, "kind": DEADLINE_SCHEMA["properties"]["kind"], "due_at": DATE_TIME,
                         "state": DEADLINE_SCHEMA["properties"]["state"]}),
    "request": REQUEST_LINK_SCHEMA,
})


# --- what hangs off a request: notes, identifiers, documents -----------------------------------------------

def note_json(event: RequestEvent) -> dict:
    """A note of a request's history (an event of kind "note")."""
    return {"id": event.id, "at": _iso(event.at), "author": person_json(event.actor) if event.actor else None,
            "text": event.comment, "via": event.via or "web", "via_detail": event.via_detail}


NOTE_SCHEMA = _object({
    "id": INTEGER, "at": DATE_TIME, "author": nullable(PERSON_SCHEMA), "text": STRING,
    "via": {"type": "string", "enum": ["web", "api", "import", "cli"]}, "via_detail": NULLABLE_STRING,
})


def identifier_json(identifier: Identifier, also_in: list[CooperationRequest] = ()) -> dict:
    """An identifier named in a request; `also_in`: the other requests (visible to the caller) naming it."""
    return {
        "id": identifier.id, "kind": identifier.kind.value, "platform": identifier.platform,
        "value": identifier.value, "normalized": identifier.normalized,
        "observed_at": _iso(identifier.observed_at), "observed_zone": identifier.observed_zone,
        "note": identifier.note, "also_in": [request_link_json(item) for item in also_in],
    }


IDENTIFIER_SCHEMA = _object({
    "id": INTEGER, "kind": {"type": "string", "enum": [kind.value for kind in IdentifierKind]},
    "platform": NULLABLE_STRING, "value": STRING, "normalized": STRING, "observed_at": NULLABLE_DATE_TIME,
    "observed_zone": NULLABLE_STRING, "note": NULLABLE_STRING,
    "also_in": {"type": "array", "items": REQUEST_LINK_SCHEMA},
})


def document_json(document: Document) -> dict:
    """A document attached to a request (its content is downloaded from `download_url`)."""
    return {
        "id": document.id, "kind": document.kind.value, "name": document.original_name,
        "content_type": document.content_type, "size": document.size, "sha256": document.sha256,
        "dated": _iso(document.dated), "note": document.note,
        "uploaded_by": person_json(document.uploaded_by) if document.uploaded_by else None,
        "uploaded_at": _iso(document.uploaded_at),
        "download_url": url_for("api.download_document", request_id=document.request_id, document_id=document.id),
    }


DOCUMENT_SCHEMA = _object({
    "id": INTEGER, "kind": {"type": "string", "enum": [kind.value for kind in DocumentKind]}, "name": STRING,
    "content_type": STRING, "size": INTEGER, "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
    "dated": NULLABLE_DATE, "note": NULLABLE_STRING, "uploaded_by": nullable(PERSON_SCHEMA),
    "uploaded_at": DATE_TIME, "download_url": STRING,
})
