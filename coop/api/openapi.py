"""The OpenAPI 3.1 document of the API, built from the routes themselves.

Each view names its operation here with `@operation("key")`; `document()` walks the application's routes
under /api/v1 and describes each one, so a route without a description fails loudly instead of being left
out. The JSON document is always in English; the readable page (/api/v1/docs) shows it in the reader's
language, which is why the texts are translatable.
"""

import re

from flask import current_app, request
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from coop.api.errors import invalid
from coop.api.fields import MAX_ID, Field, object_schema
from coop.api.letter_representations import LETTER_SCHEMA, draft_fields
from coop.api.representations import (
    DEADLINE_SCHEMA,
    DOCUMENT_SCHEMA,
    ERROR_SCHEMA,
    EVENT_SCHEMA,
    IDENTIFIER_SCHEMA,
    LEGAL_BASIS_SCHEMA,
    ME_SCHEMA,
    NOTE_SCHEMA,
    PARTNER_DETAIL_SCHEMA,
    PARTNER_SCHEMA,
    REMINDER_SCHEMA,
    REQUEST_SCHEMA,
    REQUEST_SUMMARY_SCHEMA,
    REQUEST_TYPE_SCHEMA,
    cursor_page_schema,
    page_schema,
)
from coop.domain.request_search import MAX_CURSOR_LENGTH, PAGE_SIZES, SORT_KEYS, STATUS_GROUPS
from coop.labels import TRANSMISSION_LABELS
from coop.models import (
    DeadlineKind,
    DeadlineState,
    Direction,
    DocumentKind,
    IdentifierKind,
    LetterKind,
    LetterState,
    PartnerKind,
    ReminderState,
    Status,
    Urgency,
)

API_VERSION = "1.0.0"
BASE_PATH = "/api/v1"
TEXT_LIMIT = 20000

# --- the bodies a client sends -----------------------------------------------------------------------------

_URGENCIES = tuple(urgency.value for urgency in Urgency)
_CONTENT_FIELDS = [
    Field("urgency", "choice", _l("How urgent the request is."), choices=_URGENCIES, nullable=False),
    Field("emergency_justification", "string", _l("Required for an emergency: the threat to life or of serious "
                                                   "harm."), max_length=TEXT_LIMIT),
    Field("restricted", "boolean", _l("Only the assigned officers and the heads may see it."), nullable=False),
    Field("legal_basis", "string", _l("Code of the legal basis (see /legal-bases)."), max_length=64,
          example="budapest"),
    Field("case_number", "string", _l("Number of the national criminal case (the case must exist)."),
          max_length=64),
    Field("follows", "string", _l("Our reference of the request this one follows up."), max_length=32),
    Field("officers", "string_list", _l("User names of the officers assigned (the creator is always assigned)."),
          max_length=64),
    Field("requesting_authority", "string", _l("Requesting authority."), max_length=TEXT_LIMIT),
    Field("investigation_subject", "string", _l("Subject and nature of the investigation, and who conducts it."),
          max_length=TEXT_LIMIT),
    Field("facts", "string", _l("Summary of the facts."), max_length=TEXT_LIMIT),
    Field("offence", "string", _l("Offence and penalty."), max_length=TEXT_LIMIT),
    Field("assistance_sought", "string", _l("Assistance sought (for a preservation: the data to preserve)."),
          max_length=TEXT_LIMIT),
    Field("persons", "string", _l("Persons, items and accounts concerned."), max_length=TEXT_LIMIT),
    Field("purpose", "string", _l("Purpose."), max_length=TEXT_LIMIT),
    Field("data_period_from", "date", _l("Start of the period of the data sought.")),
    Field("data_period_to", "date", _l("End of the period of the data sought.")),
    Field("requested_by", "date", _l("The deadline we ask the partner for.")),
    Field("requested_by_reasons", "string", _l("Reasons for the deadline."), max_length=TEXT_LIMIT),
    Field("confidentiality", "string", _l("Confidentiality wishes and limits on use."), max_length=TEXT_LIMIT),
    Field("data_custodian", "string", _l("Custodian or location of the data (preservation)."),
          max_length=TEXT_LIMIT),
    Field("follow_up_promised", "boolean", _l("The request states that a request for assistance will follow."),
          nullable=False),
]
CREATE_FIELDS = [
    Field("direction", "choice", _l("Outgoing (we ask) or incoming (we are asked)."), required=True,
          choices=tuple(direction.value for direction in Direction)),
    Field("title", "string", _l("A short description the list shows."), required=True, max_length=300,
          example="Subscriber data of @fake_shop_kz"),
    Field("request_type", "string", _l("Code of the type of request (see /request-types)."), required=True,
          max_length=64, example="direct_disclosure"),
    Field("partner", "string", _l("Code of the partner: ISO 3166 code of a country, or the provider's code."),
          required=True, max_length=32, example="meta"),
    *_CONTENT_FIELDS,
    Field("received_on", "date", _l("Incoming requests: the day it arrived (default: today).")),
    Field("partner_reference", "string", _l("A reference number the partner gave the request."), max_length=120),
]
UPDATE_FIELDS = [
    Field("version", "integer", _l("The version the change starts from (from the request as read); a newer "
                                   "stored version makes the change fail with 409."), required=True,
          nullable=False),
    Field("title", "string", _l("A short description the list shows."), max_length=300, nullable=False),
    Field("request_type", "string", _l("Code of the type of request (see /request-types)."), max_length=64,
          nullable=False),
    Field("partner", "string", _l("Code of the partner: ISO 3166 code of a country, or the provider's code."),
          max_length=32, nullable=False),
    *_CONTENT_FIELDS,
]
STATUS_FIELDS = [
    Field("status", "choice", _l("The new status; the workflow decides which moves are allowed (see the "
                                 "request's next_statuses)."), required=True,
          choices=tuple(status.value for status in Status)),
    Field("expected_status", "choice", _l("The status the caller believes the request is in; if it moved "
                                          "meanwhile, the change fails with 409."),
          choices=tuple(status.value for status in Status)),
    Field("reason", "string", _l("Why (required to refuse, postpone, withdraw ...)."), max_length=TEXT_LIMIT),
    Field("channel", "choice", _l("How it was sent or received."), choices=tuple(TRANSMISSION_LABELS)),
    Field("partner_reference", "string", _l("A reference number the partner gave."), max_length=120),
    Field("occurred_on", "date", _l("When it happened, if not today.")),
]
LETTER_DRAFT_FIELDS = draft_fields(
    _l("Which letter: preservation, assistance, emergency, status_enquiry, extension or reply (the request's type "
       "decides which fit)."),
    _l("ru, en or kk; default: the first language the partner accepts that a template exists in, else English."),
    _l("Draft even though the record lacks checklist items (they are listed when refused)."))


NOTE_FIELDS = [
    Field("text", "string", _l("The note, as it will read in the request's history."), required=True,
          max_length=TEXT_LIMIT, example="Звонил в центральный орган: запрос в работе."),
]
IDENTIFIER_FIELDS = [
    Field("kind", "choice", _l("What the identifier is."), required=True,
          choices=tuple(kind.value for kind in IdentifierKind)),
    Field("value", "string", _l("The identifier as written: a link or handle, a phone number in any notation, an "
                                "e-mail, an IP address, a wallet or transaction."), required=True, max_length=500,
          example="https://instagram.com/fake_shop_kz"),
    Field("platform", "string", _l("The platform of an account handle (instagram, telegram ...), or the network of "
                                   "a wallet or transaction (bitcoin, tron ...)."), max_length=64),
    Field("observed_at", "local_date_time", _l("When it was seen, as the clock showed it in “zone” (required for "
                                               "an IP address)."), example="2026-11-28T14:05:09"),
    Field("zone", "string", _l("The IANA time zone of “observed_at” (default Asia/Almaty)."), max_length=64,
          example="Asia/Almaty"),
    Field("note", "string", _l("A note on the identifier."), max_length=300),
]
DOCUMENT_FIELDS = [
    Field("kind", "choice", _l("What the document is (default: the request letter)."),
          choices=tuple(kind.value for kind in DocumentKind), nullable=False),
    Field("dated", "date", _l("The date on the document: when it was sent or received."), nullable=False),
    Field("note", "string", _l("A note on the document."), max_length=300, nullable=False),
]


# --- query and path parameters -----------------------------------------------------------------------------

def _query(name: str, schema: dict, description) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def _page_parameters(default_size: int, sizes: tuple[int, ...] | None = None) -> list[dict]:
    size_schema = {"type": "integer", "enum": list(sizes)} if sizes else {"type": "integer", "minimum": 1,
                                                                           "maximum": 100}
    return [
        _query("page", {"type": "integer", "minimum": 1, "maximum": MAX_ID, "default": 1}, _l("Page number.")),
        _query("per_page", size_schema | {"default": default_size}, _l("Items per page.")),
    ]


REQUEST_ID = {"name": "request_id", "in": "path", "required": True,
              "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}, "description": _l("The request's id.")}
_DATE = {"type": "string", "format": "date"}
REQUEST_FILTERS = [
    _query("direction", {"type": "string", "enum": [item.value for item in Direction]}, _l("Direction.")),
    _query("partner_kind", {"type": "string", "enum": [item.value for item in PartnerKind]},
           _l("Countries or providers.")),
    _query("partner", {"type": "string", "maxLength": 32}, _l("Partner's code.")),
    _query("request_type", {"type": "string", "maxLength": 64}, _l("Code of the type of request.")),
    _query("status", {"type": "string", "enum": [item.value for item in Status] + list(STATUS_GROUPS)},
           _l("A status, or “open” / “finished” for any open or finished one.")),
    _query("officer", {"type": "string", "pattern": "^(me|[1-9][0-9]{0,8})$"},
           _l("Requests assigned to this user id, or to the caller (“me”).")),
    _query("case", {"type": "string", "maxLength": 64}, _l("Number of the criminal case.")),
    _query("urgency", {"type": "string", "enum": list(_URGENCIES)}, _l("Urgency.")),
    _query("overdue", {"type": "boolean"}, _l("Only requests with a deadline already past.")),
    _query("created_from", _DATE, _l("Created on or after this day (Almaty time).")),
    _query("created_to", _DATE, _l("Created on or before this day.")),
    _query("sent_from", _DATE, _l("Sent on or after this day.")),
    _query("sent_to", _DATE, _l("Sent on or before this day.")),
    _query("text", {"type": "string", "maxLength": 200}, _l("Text in the reference, title, partner's references "
                                                            "or identifiers (a phone number in any notation).")),
    _query("sort", {"type": "string", "enum": [*SORT_KEYS, *(f"-{key}" for key in SORT_KEYS)], "default": "-created"},
           _l("Sort key; a leading “-” sorts descending.")),
    _query("cursor", {"type": "string", "minLength": 1, "maxLength": MAX_CURSOR_LENGTH},
           _l("Where the page starts: the “next_cursor” of the previous page (opaque; keep the other arguments "
              "as they were). Pages read with cursors are as fast at the millionth request as at the first, and "
              "never skip or repeat a request while others are added.")),
    _query("page", {"type": "integer", "minimum": 1, "maximum": MAX_ID, "default": 1},
           _l("Page number. Deprecated: use “cursor” (a deep page number is slower, and its pages shift when "
              "requests are added)."), ) | {"deprecated": True},
    _query("per_page", {"type": "integer", "enum": list(PAGE_SIZES), "default": 50}, _l("Items per page.")),
]
DEADLINE_FILTERS = [
    _query("state", {"type": "string", "enum": [item.value for item in DeadlineState]}, _l("Only deadlines in "
                                                                                        "this state.")),
    _query("kind", {"type": "string", "enum": [item.value for item in DeadlineKind]}, _l("Only clocks of this "
                                                                                       "kind.")),
    _query("overdue", {"type": "boolean"}, _l("Only open deadlines already past (true), or all others (false).")),
    _query("due_from", _DATE, _l("Due on or after this day (Almaty time).")),
    _query("due_to", _DATE, _l("Due on or before this day.")),
    *_page_parameters(50),
]
LETTER_FILTERS = [
    _query("kind", {"type": "string", "enum": [item.value for item in LetterKind]}, _l("Only letters of this kind.")),
    _query("state", {"type": "string", "enum": [item.value for item in LetterState]}, _l("Only letters in this "
                                                                                        "state.")),
    _query("partner", {"type": "string", "maxLength": 32}, _l("Partner's code.")),
    _query("dated_from", _DATE, _l("Dated on or after this day.")),
    _query("dated_to", _DATE, _l("Dated on or before this day.")),
    *_page_parameters(50),
]
PARTNER_FILTERS = [
    _query("kind", {"type": "string", "enum": [item.value for item in PartnerKind]}, _l("Countries or providers.")),
    _query("active", {"type": "boolean"}, _l("Only partners in use (true) or no longer in use (false).")),
    _query("q", {"type": "string", "maxLength": 100}, _l("Text in the code or a name.")),
    *_page_parameters(50),
]


# --- identifiers and networks -----------------------------------------------------------------------------

def _object(properties: dict) -> dict:
    return {"type": "object", "properties": properties, "required": list(properties)}


_KIND = {"type": "string", "enum": [kind.value for kind in IdentifierKind]}
_TEXT, _NUMBER = {"type": "string"}, {"type": "integer"}
_MOMENT = {"type": ["string", "null"], "format": "date-time"}
_KEY = {"kind": _KIND, "normalized": _TEXT}
IDENTIFIER_ACROSS_REQUESTS_SCHEMA = _object(_KEY | {
    "first_seen": _MOMENT, "last_seen": _MOMENT,
    "hidden_requests": _NUMBER | {"description": _l("Requests naming it that the caller may not see (only "
                                                     "their number).")},
    "truncated": {"type": "boolean"},
    "appearances": {"type": "array", "items": _object({
        "request_id": _NUMBER, "reference": _TEXT, "direction": {"type": "string", "enum": [
            item.value for item in Direction]}, "status": {"type": "string", "enum": [item.value for item in Status]},
        "partner": _TEXT, "case_id": {"type": ["integer", "null"]}, "case_number": {"type": ["string", "null"]},
        "value": _TEXT, "observed_at": _MOMENT, "sent_or_received_at": _MOMENT, "answered_at": _MOMENT,
        "no_data": {"type": "boolean"},
        "answer_documents": {"type": "array", "items": _object({"id": _NUMBER, "name": _TEXT})}})},
    "companions": {"type": "array", "items": _object(_KEY | {"requests": _NUMBER})},
    "same_person": {"type": "array", "items": _object(_KEY | {"reason": _TEXT, "created_at": _MOMENT})},
})
NETWORK_SCHEMA = _object({
    "case_id": _NUMBER, "truncated": {"type": "boolean"},
    "cases": {"type": "array", "items": _object({"id": _NUMBER, "number": _TEXT, "title": _TEXT,
                                                 "requests": _NUMBER, "open_requests": _NUMBER})},
    "identifiers": {"type": "array", "items": _object(_KEY | {"case_ids": {"type": "array", "items": _NUMBER}})},
    "same_person": {"type": "array", "items": _object({"first": _object(_KEY), "second": _object(_KEY)})},
})
NETWORK_SUMMARY_SCHEMA = _object({
    "id": _NUMBER, "first_case_number": _TEXT, "cases": _NUMBER, "requests": _NUMBER, "shared_identifiers": _NUMBER,
    "partners": _NUMBER, "open_deadlines": _NUMBER,
    "oldest_unanswered": {"anyOf": [_object({"request_id": _NUMBER, "reference": _TEXT, "sent_at": _MOMENT}),
                                    {"type": "null"}]},
    "network": _TEXT,
})
IDENTIFIER_PARAMETERS = [
    {"name": "kind", "in": "query", "required": True, "schema": _KIND, "description": _l("Kind of identifier.")},
    {"name": "value", "in": "query", "required": True, "schema": {"type": "string", "minLength": 1,
                                                                   "maxLength": 500},
     "description": _l("The identifier in any notation (a phone number as typed, a profile link ...).")},
    _query("platform", {"type": "string", "maxLength": 32}, _l("Platform of an account, network of a wallet.")),
]


# --- the operations ----------------------------------------------------------------------------------------

def _json(schema: dict, description) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _items(item_schema: dict) -> dict:
    """A whole (short) list: {"items": [...]}."""
    return {"type": "object", "required": ["items"], "properties": {"items": {"type": "array",
                                                                              "items": item_schema}}}


def _body(fields: list[Field]) -> dict:
    return {"required": True, "content": {"application/json": {"schema": object_schema(fields)}}}


def _upload_schema() -> dict:
    schema = object_schema(DOCUMENT_FIELDS)
    schema["properties"] = {"file": {"type": "string", "format": "binary",
                                     "description": _l("The file (its name is kept as the document's name).")},
                            **schema["properties"]}
    schema["required"] = ["file"]
    return schema


_LOCATION = {"headers": {"Location": {"description": _l("Where the new item is found."),
                                      "schema": {"type": "string"}}}}


# Errors any call may meet; each operation adds its own.
COMMON_ERRORS = (400, 401, 429)
ERROR_DESCRIPTIONS = {
    400: _l("The request could not be understood (not JSON, a bad query argument, a missing CSRF token)."),
    401: _l("No valid token (or session)."),
    403: _l("Not allowed: a read-only token writing, a role without the right, a request the caller cannot "
            "change."),
    404: _l("Does not exist, or is not visible to the caller."),
    409: _l("Changed meanwhile (version or status): read it again."),
    413: _l("The file is larger than the limit."),
    415: _l("The body is not of the media type the operation takes."),
    422: _l("Fields not valid; “fields” says what is wrong with each."),
    429: _l("Too many requests."),
    500: _l("The stored file is missing or damaged (the administrator is told)."),
}

OPERATIONS = {
    "identifier": {
        "tags": ["networks"], "summary": _l("Read an identifier across requests"),
        "description": _l("Every request the caller may see that names this identifier (matched by its canonical "
                          "form), what each partner answered, the identifiers named with it and those marked as "
                          "the same person's; requests the caller may not see are only counted."),
        "parameters": IDENTIFIER_PARAMETERS,
        "responses": {200: _json(IDENTIFIER_ACROSS_REQUESTS_SCHEMA, _l("The identifier.")), 404: None},
    },
    "case_network": {
        "tags": ["networks"], "summary": _l("Read a case's network"),
        "description": _l("The cases connected to this one through identifiers of requests the caller may see, "
                          "and the identifiers that connect them."),
        "parameters": [{"name": "case_id", "in": "path", "required": True,
                        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                        "description": _l("The case's id.")}],
        "responses": {200: _json(NETWORK_SCHEMA, _l("The network.")), 404: None},
    },
    "networks": {
        "tags": ["networks"], "summary": _l("List the largest networks"),
        "description": _l("Networks of cases, the largest first. Heads and administrators only."),
        "parameters": _page_parameters(25),
        "responses": {200: _json(page_schema(NETWORK_SUMMARY_SCHEMA), _l("A page of networks.")), 403: None},
    },
    "me": {
        "tags": ["caller"], "summary": _l("Who is calling"),
        "description": _l("The user the token (or session) acts for, and the token's name and scope."),
        "responses": {200: _json(ME_SCHEMA, _l("The caller."))},
    },
    "openapi": {
        "tags": ["caller"], "summary": _l("This document"),
        "description": _l("The OpenAPI 3.1 description of the API."),
        "responses": {200: _json({"type": "object"}, _l("The OpenAPI document."))},
    },
    "docs": {
        "tags": ["caller"], "summary": _l("This document as a page"),
        "description": _l("The same description, as a page to read."),
        "responses": {200: {"description": _l("An HTML page."), "content": {"text/html": {"schema": {
            "type": "string"}}}}},
    },
    "partners": {
        "tags": ["partners"], "summary": _l("List partners"),
        "description": _l("Countries and online service providers, by code."),
        "parameters": PARTNER_FILTERS,
        "responses": {200: _json(page_schema(PARTNER_SCHEMA), _l("A page of partners."))},
    },
    "partner": {
        "tags": ["partners"], "summary": _l("Read a partner"),
        "description": _l("A partner with its contacts, instruments and, for a provider, its policy."),
        "parameters": [{"name": "code", "in": "path", "required": True,
                        "schema": {"type": "string", "minLength": 1, "maxLength": 32},
                        "description": _l("ISO 3166 code of a country, or the provider's code.")}],
        "responses": {200: _json(PARTNER_DETAIL_SCHEMA, _l("The partner.")), 404: None},
    },
    "request_types": {
        "tags": ["reference"], "summary": _l("List request types"),
        "description": _l("The types of request, with their direction and the kind of partner they fit."),
        "responses": {200: _json(_items(REQUEST_TYPE_SCHEMA), _l("All request types."))},
    },
    "legal_bases": {
        "tags": ["reference"], "summary": _l("List legal bases"),
        "description": _l("Treaties, conventions, reciprocity and provider policies a request may rest on."),
        "responses": {200: _json(_items(LEGAL_BASIS_SCHEMA), _l("All legal bases."))},
    },
    "requests": {
        "tags": ["requests"], "summary": _l("List requests"),
        "description": _l("The requests the caller may see, with the filters and sorting of the web list. To read "
                          "them all, follow “next” (or pass “next_cursor” as “cursor”) until it is null. A page "
                          "read with a cursor does not count the total (“total”, “page” and “pages” are null)."),
        "parameters": REQUEST_FILTERS,
        "responses": {200: _json(cursor_page_schema(REQUEST_SUMMARY_SCHEMA), _l("A page of requests."))},
    },
    "create_request": {
        "tags": ["requests"], "summary": _l("Create a request"),
        "description": _l("Creates a request with the next reference of its series, as the web form does. "
                          "Officers and heads only; needs a read-write token."),
        "requestBody": _body(CREATE_FIELDS),
        "responses": {201: _json(REQUEST_SCHEMA, _l("The request created.")) | {"headers": {"Location": {
            "description": _l("The request's URL in the API."), "schema": {"type": "string"}}}},
            403: None, 422: None},
    },
    "request_detail": {
        "tags": ["requests"], "summary": _l("Read a request"),
        "description": _l("Everything the request says, its identifiers and the statuses it may move to."),
        "parameters": [REQUEST_ID],
        "responses": {200: _json(REQUEST_SCHEMA, _l("The request.")), 404: None},
    },
    "update_request": {
        "tags": ["requests"], "summary": _l("Change a request"),
        "description": _l("Changes the fields sent, and only those; “version” must be the version read. Each "
                          "change is recorded in the history with the token's name."),
        "parameters": [REQUEST_ID],
        "requestBody": _body(UPDATE_FIELDS),
        "responses": {200: _json(REQUEST_SCHEMA, _l("The request as saved.")), 403: None, 404: None, 409: None,
                      422: None},
    },
    "change_status": {
        "tags": ["requests"], "summary": _l("Move a request to another status"),
        "description": _l("Applies the workflow: only allowed moves, a reason where one is required, approval "
                          "by a head."),
        "parameters": [REQUEST_ID],
        "requestBody": _body(STATUS_FIELDS),
        "responses": {200: _json(REQUEST_SCHEMA, _l("The request in its new status.")), 403: None, 404: None,
                      409: None, 422: None},
    },
    "request_history": {
        "tags": ["requests"], "summary": _l("Read a request's history"),
        "description": _l("Who did what and when, oldest first, with how each change came (web, API, import)."),
        "parameters": [REQUEST_ID, *_page_parameters(100)],
        "responses": {200: _json(page_schema(EVENT_SCHEMA), _l("A page of the history.")), 404: None},
    },
    "request_notes": {
        "tags": ["requests"], "summary": _l("Read a request's notes"),
        "description": _l("The notes written in the request's history, oldest first."),
        "parameters": [REQUEST_ID, *_page_parameters(100)],
        "responses": {200: _json(page_schema(NOTE_SCHEMA), _l("A page of notes.")), 404: None},
    },
    "add_note": {
        "tags": ["requests"], "summary": _l("Add a note to a request"),
        "description": _l("Writes a note in the request's history, as the web page does. Officers assigned and "
                          "heads; needs a read-write token."),
        "parameters": [REQUEST_ID],
        "requestBody": _body(NOTE_FIELDS),
        "responses": {201: _json(NOTE_SCHEMA, _l("The note added.")) | _LOCATION, 403: None, 404: None, 422: None},
    },
    "request_identifiers": {
        "tags": ["requests"], "summary": _l("Read a request's identifiers"),
        "description": _l("The accounts, phone numbers, addresses ... the request names, each with the other "
                          "requests (that the caller may see) naming the same one."),
        "parameters": [REQUEST_ID],
        "responses": {200: _json(_items(IDENTIFIER_SCHEMA), _l("The request's identifiers.")), 404: None},
    },
    "add_identifier": {
        "tags": ["requests"], "summary": _l("Name an identifier in a request"),
        "description": _l("Checks and normalises the identifier as the web form does (a phone number to E.164, a "
                          "profile link to its handle; an IP address needs its exact time and zone)."),
        "parameters": [REQUEST_ID],
        "requestBody": _body(IDENTIFIER_FIELDS),
        "responses": {201: _json(IDENTIFIER_SCHEMA, _l("The identifier added.")) | _LOCATION, 403: None,
                      404: None, 422: None},
    },
    "request_documents": {
        "tags": ["requests"], "summary": _l("List a request's documents"),
        "description": _l("The files attached to the request, with their SHA-256."),
        "parameters": [REQUEST_ID],
        "responses": {200: _json(_items(DOCUMENT_SCHEMA), _l("The request's documents.")), 404: None},
    },
    "upload_document": {
        "tags": ["requests"], "summary": _l("Attach a document to a request"),
        "description": _l("Uploads a file (multipart/form-data, field “file”) with the web page's checks: the size "
                          "limit, the allowed types, content matching its extension; stored under its SHA-256."),
        "parameters": [REQUEST_ID],
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": _upload_schema()}}},
        "responses": {201: _json(DOCUMENT_SCHEMA, _l("The document attached.")) | _LOCATION, 403: None, 404: None,
                      413: None, 415: None, 422: None},
    },
    "download_document": {
        "tags": ["requests"], "summary": _l("Download a document"),
        "description": _l("The file's content, always as an attachment, checked against its SHA-256 first."),
        "parameters": [REQUEST_ID, {"name": "document_id", "in": "path", "required": True,
                                    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                                    "description": _l("The document's id.")}],
        "responses": {200: {"description": _l("The file, as an attachment."), "content": {"*/*": {"schema": {
            "type": "string", "format": "binary"}}}}, 404: None, 500: None},
    },
    "request_deadlines": {
        "tags": ["deadlines"], "summary": _l("Read a request's deadlines"),
        "description": _l("Every clock of the request, open or ended, the soonest first."),
        "parameters": [REQUEST_ID],
        "responses": {200: _json(_items(DEADLINE_SCHEMA), _l("The request's deadlines.")), 404: None},
    },
    "deadlines": {
        "tags": ["deadlines"], "summary": _l("List deadlines"),
        "description": _l("The deadlines of the requests the caller may see, the soonest first."),
        "parameters": DEADLINE_FILTERS,
        "responses": {200: _json(page_schema(DEADLINE_SCHEMA), _l("A page of deadlines."))},
    },
    "reminders": {
        "tags": ["deadlines"], "summary": _l("List your reminders"),
        "description": _l("The caller's reminders, the latest first."),
        "parameters": [_query("state", {"type": "string", "enum": [item.value for item in ReminderState]},
                              _l("Only reminders in this state.")), *_page_parameters(50)],
        "responses": {200: _json(page_schema(REMINDER_SCHEMA), _l("A page of reminders."))},
    },
    "waiting_reminders": {
        "tags": ["deadlines"], "summary": _l("Reminders waiting for you"),
        "description": _l("What the reminders page shows: reminders due and not yet dealt with."),
        "responses": {200: _json(_items(REMINDER_SCHEMA), _l("The waiting reminders."))},
    },
    "reminder_done": {
        "tags": ["deadlines"], "summary": _l("Mark reminders done"),
        "description": _l("Marks done every reminder waiting for the caller about this deadline."),
        "parameters": [{"name": "deadline_id", "in": "path", "required": True,
                        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                        "description": _l("The deadline's id.")}],
        "responses": {200: _json({"type": "object", "required": ["done"], "properties": {"done": {
            "type": "integer", "description": _l("How many reminders were marked done.")}}},
            _l("Done.")), 403: None, 404: None},
    },
    "request_letters": {
        "tags": ["letters"], "summary": _l("List a request's letters"),
        "description": _l("The letters drafted for the request, the latest first, with their outgoing numbers."),
        "parameters": [REQUEST_ID],
        "responses": {200: _json(_items(LETTER_SCHEMA), _l("The request's letters.")), 404: None},
    },
    "draft_letter": {
        "tags": ["letters"], "summary": _l("Draft a letter"),
        "description": _l("Fills the template of the letter from the request, gives it the next outgoing number "
                          "and keeps it as a document of the request; the answer is the .docx. Refused, with the "
                          "list, while the record lacks checklist items, unless accept_gaps is true."),
        "parameters": [REQUEST_ID],
        "requestBody": _body(LETTER_DRAFT_FIELDS),
        "responses": {201: {"description": _l("The drafted letter (.docx)."), "content": {
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {
                "schema": {"type": "string", "format": "binary"}}},
            "headers": {"Location": {"description": _l("The request's letters in the API."),
                                     "schema": {"type": "string"}},
                        "X-Letter-Number": {"description": _l("The outgoing number (percent-encoded)."),
                                            "schema": {"type": "string"}}}},
            403: None, 404: None, 422: None},
    },
    "letters": {
        "tags": ["letters"], "summary": _l("The outgoing register"),
        "description": _l("Every letter of the requests the caller may see, the latest first."),
        "parameters": LETTER_FILTERS,
        "responses": {200: _json(page_schema(LETTER_SCHEMA), _l("A page of the register."))},
    },
}

TAGS = [
    {"name": "requests", "description": _l("Requests")},
    {"name": "deadlines", "description": _l("Deadlines and reminders")},
    {"name": "letters", "description": _l("Letters")},
    {"name": "networks", "description": _l("Identifiers and networks of cases")},
    {"name": "partners", "description": _l("Partners")},
    {"name": "reference", "description": _l("Reference lists")},
    {"name": "caller", "description": _l("The caller and this description")},
]


def operation(key: str):
    """Mark a view as the API operation `key` of OPERATIONS."""
    if key not in OPERATIONS:
        raise KeyError(f"no OpenAPI operation {key!r}")

    def decorator(view):
        view.openapi_operation = key
        return view

    return decorator


def refuse_unknown_arguments() -> None:
    """A 400 for a query argument the called operation does not document (a typo would otherwise pass unseen),
    or one that must be a number, a date, true/false or one of a list but is empty or padded with spaces."""
    view = current_app.view_functions.get(request.endpoint)
    key = getattr(view, "openapi_operation", None)
    if key is None:
        return
    documented = {parameter["name"]: parameter["schema"] for parameter in OPERATIONS[key].get("parameters", ())
                  if parameter["in"] == "query"}
    problems = {}
    for name, value in request.args.items(multi=True):
        schema = documented.get(name)
        if schema is None:
            problems[name] = [str(_l("Unknown query argument."))]
        elif _is_structured(schema) and (not value or value != value.strip()):
            problems[name] = [str(_l("Must not be empty or padded with spaces."))]
    if problems:
        raise invalid(problems, str(_l("Some query arguments are not valid.")), status=400)


def _is_structured(schema: dict) -> bool:
    """Is a parameter more than free text (a number, a date, a boolean, a choice, a pattern)?"""
    return schema.get("type") != "string" or any(key in schema for key in ("enum", "format", "pattern"))


_PATH_ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([a-z_]+)>")


def api_routes() -> list[tuple[str, str, str]]:
    """(OpenAPI path, method, endpoint) of each route the application serves under the API."""
    routes = []
    for rule in current_app.url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        path = _PATH_ARGUMENT.sub(r"{\1}", rule.rule.removeprefix(BASE_PATH))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((path, method.lower(), rule.endpoint))
    return routes


def _operation_object(key: str) -> dict:
    spec = OPERATIONS[key]
    method_statuses = {status for status in spec["responses"]}
    responses = {}
    for status, response in sorted(spec["responses"].items()):
        responses[str(status)] = response or _json(ERROR_SCHEMA, ERROR_DESCRIPTIONS[status])
    for status in COMMON_ERRORS:
        if status not in method_statuses:
            responses[str(status)] = _json(ERROR_SCHEMA, ERROR_DESCRIPTIONS[status])
    result = {"operationId": key, "tags": spec["tags"], "summary": spec["summary"],
              "description": spec["description"], "responses": responses}
    if spec.get("parameters"):
        result["parameters"] = spec["parameters"]
    if spec.get("requestBody"):
        result["requestBody"] = spec["requestBody"]
    return result


def _lazy_document() -> dict:
    paths: dict[str, dict] = {}
    for path, method, endpoint in api_routes():
        key = getattr(current_app.view_functions[endpoint], "openapi_operation", None)
        if key is None:
            raise LookupError(f"the API route {endpoint} has no OpenAPI operation")
        paths.setdefault(path, {})[method] = _operation_object(key)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "coop API",
            "version": API_VERSION,
            "description": _l(
                "The JSON API of coop: partners, cooperation requests, their status and history, with the same "
                "permissions as the web pages. Authenticate with a personal token (Account → API tokens) sent as "
                "“Authorization: Bearer <token>”; a read-only token cannot change anything. Errors are JSON with "
                "a message and, for invalid fields, a list of problems per field. Lists come in pages."),
        },
        "servers": [{"url": BASE_PATH}],
        "tags": TAGS,
        "security": [{"bearerAuth": []}],
        "components": {"securitySchemes": {"bearerAuth": {
            "type": "http", "scheme": "bearer",
            "description": _l("A personal token, created on the API tokens page of your account."),
        }}},
        "paths": dict(sorted(paths.items())),
    }


def _resolved(value):
    """`value` with every lazy (translatable) string turned into text in the current language."""
    if isinstance(value, LazyString):
        return str(value)
    if isinstance(value, dict):
        return {key: _resolved(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_resolved(item) for item in value]
    return value


def document() -> dict:
    """The OpenAPI document, in English."""
    with force_locale("en"):
        return _resolved(_lazy_document())


def readable_document() -> dict:
    """The OpenAPI document in the reader's language, for the docs page."""
    return _resolved(_lazy_document())
