"""The API's routes for what hangs off a request: its notes, identifiers and documents (list, add; a document's
content downloaded).

The same rules as the request's web page: the same visibility (a request the caller may not see is a 404, and so
is everything of it), the same edit right, the same domain functions (`coop.domain.requests`), the same file
checks and storage (`coop.domain.documents`: size limit, type sniffing, SHA-256 names, download only as an
attachment), and the same messages.
"""

from pathlib import Path

from flask import current_app, jsonify, request, send_file, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from coop.api import bp, openapi
from coop.api import fields as api_fields
from coop.api.auth import caller
from coop.api.calls import MAX_PAGE_SIZE, json_body, page_args, page_json, record_admin_reading, visible_request
from coop.api.errors import ApiError, invalid
from coop.api.representations import document_json, identifier_json, note_json
from coop.api.request_views import _editable, _mark_as_api, _problem_response
from coop.domain import requests as domain
from coop.domain.documents import ALLOWED_TYPES, DocumentError, store_upload, verified_path
from coop.domain.identifiers import IdentifierError, matches_for_identifiers, parse_identifier
from coop.domain.requests import RequestProblem
from coop.extensions import db
from coop.models import CooperationRequest, Document, DocumentKind, EventKind, IdentifierKind, RequestEvent, utcnow
from coop.requests.forms import IDENTIFIER_ERRORS
from coop.requests.views import DOCUMENT_PROBLEMS


def _latest_event(item: CooperationRequest, kind: EventKind) -> list[RequestEvent]:
    """The history entry the domain function just wrote (flushed, in this transaction)."""
    return list(db.session.scalars(select(RequestEvent).where(RequestEvent.request_id == item.id,
                                                              RequestEvent.kind == kind)
                                   .order_by(RequestEvent.id.desc()).limit(1)))


def _created(payload: dict, location: str):
    response = jsonify(payload)
    response.status_code = 201
    response.headers["Location"] = location
    return response


# --- notes --------------------------------------------------------------------------------------------------

@bp.get("/requests/<int:request_id>/notes")
@openapi.operation("request_notes")
def request_notes(request_id: int):
    item = visible_request(request_id)
    record_admin_reading(item, "api notes")
    page_number, per_page = page_args(MAX_PAGE_SIZE)
    query = (select(RequestEvent).where(RequestEvent.request_id == item.id, RequestEvent.kind == EventKind.NOTE)
             .order_by(RequestEvent.id).options(joinedload(RequestEvent.actor)))
    page = db.paginate(query, page=page_number, per_page=per_page, error_out=False)
    return jsonify(page_json(page, [note_json(event) for event in page.items]))


@bp.post("/requests/<int:request_id>/notes")
@openapi.operation("add_note")
def add_note(request_id: int):
    item = _editable(request_id)
    values, problems = api_fields.parse_body(json_body(), openapi.NOTE_FIELDS)
    if problems:
        raise invalid(problems)
    try:
        event = domain.add_note(db.session, item, caller(), values["text"], utcnow())
    except RequestProblem as problem:
        db.session.rollback()
        raise _problem_response(problem) from None
    _mark_as_api([event])
    db.session.commit()
    return _created(note_json(event), url_for("api.request_notes", request_id=request_id))


# --- identifiers --------------------------------------------------------------------------------------------

def _identifiers_json(item: CooperationRequest) -> list[dict]:
    matches = matches_for_identifiers(db.session, caller(),
                                      [(identifier.kind, identifier.normalized) for identifier in item.identifiers],
                                      exclude_request_id=item.id)
    return [identifier_json(identifier, matches[(identifier.kind, identifier.normalized)].requests
                            if (identifier.kind, identifier.normalized) in matches else [])
            for identifier in item.identifiers]


@bp.get("/requests/<int:request_id>/identifiers")
@openapi.operation("request_identifiers")
def request_identifiers(request_id: int):
    item = visible_request(request_id, selectinload(CooperationRequest.identifiers))
    record_admin_reading(item, "api identifiers")
    return jsonify(items=_identifiers_json(item))


@bp.post("/requests/<int:request_id>/identifiers")
@openapi.operation("add_identifier")
def add_identifier(request_id: int):
    item = _editable(request_id, selectinload(CooperationRequest.identifiers))
    values, problems = api_fields.parse_body(json_body(), openapi.IDENTIFIER_FIELDS)
    if problems:
        raise invalid(problems)
    try:
        parsed = parse_identifier(IdentifierKind(values["kind"]), values["value"], platform=values.get("platform"),
                                  observed_at=values.get("observed_at"), zone=values.get("zone") or "Asia/Almaty",
                                  now=utcnow())
    except IdentifierError as error:
        field = error.field if error.field in {field.name for field in openapi.IDENTIFIER_FIELDS} else "value"
        raise invalid({field: [str(IDENTIFIER_ERRORS[error.code])]}) from None
    try:
        added = domain.add_identifier(db.session, item, caller(), parsed, utcnow(), values.get("note"))
    except RequestProblem as problem:
        db.session.rollback()
        raise _problem_response(problem) from None
    _mark_as_api(_latest_event(item, EventKind.IDENTIFIER))
    db.session.commit()
    matches = matches_for_identifiers(db.session, caller(), [(added.kind, added.normalized)],
                                      exclude_request_id=item.id)
    also_in = matches[(added.kind, added.normalized)].requests if (added.kind, added.normalized) in matches else []
    return _created(identifier_json(added, also_in), url_for("api.request_identifiers", request_id=request_id))


# --- documents ----------------------------------------------------------------------------------------------

def _upload_folder() -> Path:
    return Path(current_app.config["COOP_UPLOAD_FOLDER"])


def _max_bytes() -> int:
    limit = current_app.config.get("COOP_MAX_DOCUMENT_BYTES") or current_app.config.get("MAX_CONTENT_LENGTH")
    return int(limit or 25 * 1024 * 1024)


def _document_problem(problem: DocumentError) -> str:
    return str(DOCUMENT_PROBLEMS[problem.code]) % {
        "size": f"{_max_bytes() / 1024 / 1024:g}", "types": ", ".join(sorted(ALLOWED_TYPES))}


@bp.get("/requests/<int:request_id>/documents")
@openapi.operation("request_documents")
def request_documents(request_id: int):
    item = visible_request(request_id)
    record_admin_reading(item, "api documents")
    documents = db.session.scalars(select(Document).where(Document.request_id == item.id)
                                   .options(joinedload(Document.uploaded_by)).order_by(Document.id))
    return jsonify(items=[document_json(document) for document in documents])


@bp.post("/requests/<int:request_id>/documents")
@openapi.operation("upload_document")
def upload_document(request_id: int):
    item = _editable(request_id, selectinload(CooperationRequest.documents))
    if request.mimetype != "multipart/form-data":
        raise ApiError(415, "not_multipart", _("Send the file as multipart/form-data, in the field “file”."))
    form = {name: value for name, value in request.form.items()}
    values, problems = api_fields.parse_body(form, openapi.DOCUMENT_FIELDS)
    problems |= {name: [str(api_fields.MESSAGES["unknown_field"])] for name in request.files if name != "file"}
    upload = request.files.get("file")
    if upload is None:
        problems["file"] = [_("Choose a file.")]
    if problems:
        raise invalid(problems)
    try:
        stored = store_upload(upload.stream, upload.filename, _upload_folder(), _max_bytes())
    except DocumentError as problem:
        if problem.code == "too_large":
            raise ApiError(413, "too_large", _document_problem(problem),
                           {"file": [_document_problem(problem)]}) from None
        raise invalid({"file": [_document_problem(problem)]}) from None
    try:
        document = domain.attach_document(db.session, item, caller(), stored,
                                          DocumentKind(values.get("kind") or DocumentKind.REQUEST_LETTER.value),
                                          utcnow(), dated=values.get("dated"), note=values.get("note"))
    except RequestProblem as problem:
        db.session.rollback()
        raise _problem_response(problem) from None
    _mark_as_api(_latest_event(item, EventKind.DOCUMENT))
    db.session.commit()
    return _created(document_json(document), url_for("api.download_document", request_id=request_id,
                                                     document_id=document.id))


@bp.get("/requests/<int:request_id>/documents/<int:document_id>")
@openapi.operation("download_document")
def download_document(request_id: int, document_id: int):
    item = visible_request(request_id)
    document = db.session.scalar(select(Document).where(Document.id == document_id, Document.request_id == item.id))
    if document is None:
        raise ApiError(404)
    record_admin_reading(item, f"api document {document.id}")
    try:
        path = verified_path(_upload_folder(), document.sha256)
    except DocumentError as problem:
        current_app.logger.error("document %s of request %s: %s", document.id, item.id, problem.code)
        raise ApiError(500, "document_unavailable", _document_problem(problem)) from None
    response = send_file(path, mimetype=document.content_type, as_attachment=True,
                         download_name=document.original_name, conditional=False, etag=False, max_age=0)
    # As on the web: always a download, never rendered, whatever the file claims to be.
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "no-store, private"
    response.headers["Digest"] = f"sha-256={document.sha256}"
    return response
