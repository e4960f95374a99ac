"""A request's own pages: creating and editing it, its page, and what is added to it from there."""

from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from coop.addresses import id_argument
from coop.domain import audit
from coop.domain import requests as domain
from coop.domain.access import can_edit, visible_requests
from coop.domain.documents import ALLOWED_TYPES, DocumentError, store_upload, verified_path
from coop.domain.identifiers import matches_for_identifiers
from coop.domain.requests import EditConflict, RequestProblem
from coop.domain.workflow import HEAD_ONLY, MAIN_PATH, TransitionNotAllowed, next_statuses
from coop.errors import render_error
from coop.extensions import db
from coop.forms import page_status
from coop.i18n import format_local_date, local_zone
from coop.labels import CHECKLIST_LABELS, REQUEST_FIELD_LABELS, status_label
from coop.models import (
    Case,
    CooperationRequest,
    Direction,
    Document,
    DocumentKind,
    EventKind,
    RequestEvent,
    Role,
    Status,
    User,
    utcnow,
)
from coop.requests import bp
from coop.requests.forms import (
    DocumentForm,
    EditRequestForm,
    IdentifierForm,
    NewRequestForm,
    NoteForm,
    PartnerReferenceForm,
    TransitionForm,
    open_case_numbers,
)
from coop.requests.history import ValueNames, timeline
from coop.security import role_required

REQUEST_PROBLEMS = {
    "title_required": _l("Enter a title."),
    "type_required": _l("Choose the type of request."),
    "partner_required": _l("Choose the partner."),
    "unknown_legal_basis": _l("This legal basis does not exist."),
    "type_direction_mismatch": _l("This type of request does not go in this direction."),
    "type_partner_mismatch": _l("This type of request does not fit this kind of partner (a country or a provider)."),
    "emergency_justification_required": _l("An emergency request must say why: the threat to life or of serious "
                                           "harm."),
    "period_reversed": _l("The end of the period is before its start."),
    "follows_itself": _l("A request cannot follow itself."),
    "follows_cycle": _l("That request already follows this one (directly or through others)."),
    "unknown_request": _l("No request you can see has this reference."),
    "date_in_future": _l("This date is in the future."),
    "foreign_document": _l("This document belongs to another request."),
    "note_required": _l("Write the note."),
    "reference_required": _l("Enter the partner's reference."),
    "duplicate_partner_reference": _l("This reference is already recorded for this request."),
    "duplicate_identifier": _l("This identifier is already named in this request."),
    "duplicate_document": _l("This very file is already attached to this request."),
    "not_allowed": _l("You cannot change this request."),
}
TRANSITION_REFUSALS = {
    "same_status": _l("The request is already in this status."),
    "final": _l("The request is finished: its status can no longer change."),
    "not_in_workflow": _l("A request cannot go from “%(current)s” to “%(target)s”."),
    "head_only": _l("Only a department head can approve a request; it cannot be sent before."),
    "reason_required": _l("Give the reason: this step requires one."),
    "status_changed": _l("Someone changed the status of this request meanwhile. Check the page and try again."),
}
DOCUMENT_PROBLEMS = {
    "empty": _l("The file is empty."),
    "too_large": _l("The file is larger than %(size)s MB."),
    "type_not_allowed": _l("Files of this type cannot be attached. Allowed: %(types)s."),
    "content_mismatch": _l("The file's content does not match its extension (a renamed file?)."),
    "missing": _l("The stored file is missing. Tell the administrator; the record of it is kept."),
    "corrupted": _l("The stored file no longer matches its SHA-256: it has been altered or damaged. Tell the "
                    "administrator."),
}
# Field name in the domain -> field of the request form.
FORM_FIELDS = {"follows_id": "follows_reference", "case_id": "case_number"}


# --- loading, with the access rule --------------------------------------------------------------------------

def _visible_or_404(request_id: int, *options) -> CooperationRequest:
    found = db.session.scalar(
        visible_requests(current_user).where(CooperationRequest.id == request_id).options(*options))
    if found is None:
        abort(404)
    return found


def _editable_or_abort(request_id: int, *options) -> CooperationRequest:
    """The request, if the user may see it (else 404) and change it (else 403)."""
    found = _visible_or_404(request_id, *options)
    if not can_edit(current_user, found):
        abort(403)
    return found


def _with_everything():
    return (
        joinedload(CooperationRequest.partner), joinedload(CooperationRequest.request_type),
        joinedload(CooperationRequest.legal_basis), joinedload(CooperationRequest.case),
        joinedload(CooperationRequest.follows), joinedload(CooperationRequest.created_by),
        selectinload(CooperationRequest.officers), selectinload(CooperationRequest.followed_by),
        selectinload(CooperationRequest.identifiers), selectinload(CooperationRequest.partner_references),
        selectinload(CooperationRequest.documents).joinedload(Document.uploaded_by),
        selectinload(CooperationRequest.events).joinedload(RequestEvent.actor),
        selectinload(CooperationRequest.events).joinedload(RequestEvent.document),
    )


def _record_admin_reading(item: CooperationRequest, what: str) -> None:
    """An administrator sees restricted requests to manage coop; each look is kept in the audit trail."""
    if current_user.role == Role.ADMIN and item.restricted:
        audit.record_reading(db.session, "cooperation_request", item.id, what)
        db.session.commit()


# --- creating and editing -----------------------------------------------------------------------------------

@bp.route("/new", methods=["GET", "POST"])
@role_required(Role.OFFICER, Role.HEAD)
def create():
    direction = Direction.INCOMING if request.args.get("direction") == Direction.INCOMING.value \
        else Direction.OUTGOING
    follows = _visible_or_404(id_argument("follows_id") or 0) if request.args.get("follows_id") else None
    form = NewRequestForm(direction=direction)
    if request.method == "GET":
        _prefill_new(form, follows, id_argument("case_id"))
    if form.validate_on_submit():
        now = utcnow()
        fields = form.request_fields() | {"officers": _people(form.officer_ids.data),
                                          "partner_reference": form.partner_reference.data,
                                          "received_at": domain.moment_of(form.received_on.data, now, local_zone())}
        try:
            created = domain.create_request(db.session, current_user, fields, now, local_zone())
            if form.follows is not None and form.copy_identifiers.data:
                domain.copy_identifiers(db.session, form.follows, created, current_user, utcnow())
        except RequestProblem as problem:
            db.session.rollback()
            _form_problem(form, problem)
        else:
            db.session.commit()
            flash(_("Request %(reference)s has been created.", reference=created.reference), "success")
            return redirect(url_for(".detail", request_id=created.id))
    return render_template("requests/form.html", form=form, item=None, direction=direction, follows=follows,
                           case_numbers=open_case_numbers()), page_status(form)


def _prefill_new(form: NewRequestForm, follows: CooperationRequest | None, case_id: int | None) -> None:
    """A follow-up starts from what the request it follows says; a request from a case page names the case."""
    form.officer_ids.data = [current_user.id]
    if follows is not None:
        form.follows_reference.data = follows.reference
        form.title.data = follows.title
        form.partner_id.data = follows.partner_id
        form.legal_basis_id.data = follows.legal_basis_id
        form.case_number.data = follows.case.number if follows.case else None
        form.restricted.data = follows.restricted
        form.officer_ids.data = sorted({current_user.id, *(officer.id for officer in follows.officers)})
        for name in ("requesting_authority", "investigation_subject", "facts", "offence", "persons", "purpose",
                     "confidentiality", "data_period_from", "data_period_to"):
            getattr(form, name).data = getattr(follows, name)
    elif case_id is not None and (case := db.session.get(Case, case_id)):
        form.case_number.data = case.number
        form.offence.data = case.offence


def _people(ids: list[int]) -> list[User]:
    return list(db.session.scalars(select(User).where(User.id.in_(ids)))) if ids else []


@bp.route("/<int:request_id>/edit", methods=["GET", "POST"])
def edit(request_id: int):
    item = _editable_or_abort(request_id, joinedload(CooperationRequest.case),
                              joinedload(CooperationRequest.follows), selectinload(CooperationRequest.officers))
    form = EditRequestForm(obj=item if request.method == "GET" else None, direction=item.direction, editing=item)
    if request.method == "GET":
        form.case_number.data = item.case.number if item.case else None
        form.follows_reference.data = item.follows.reference if item.follows else None
        form.officer_ids.data = [officer.id for officer in item.officers]
    conflict = None
    if form.validate_on_submit():
        changes = form.request_fields() | {"officer_ids": form.officer_ids.data}
        try:
            domain.update_request(db.session, item, current_user, changes, form.version.data, utcnow())
        except EditConflict as clash:
            db.session.rollback()
            conflict = _conflicting_values(request_id, changes)
            form.version.data, form.version.raw_data = clash.current_version, [str(clash.current_version)]
        except RequestProblem as problem:
            db.session.rollback()
            _form_problem(form, problem)
        else:
            db.session.commit()
            flash(_("Request %(reference)s has been saved.", reference=item.reference), "success")
            return redirect(url_for(".detail", request_id=request_id))
    status = 409 if conflict is not None else page_status(form)
    return render_template("requests/form.html", form=form, item=item, direction=item.direction, follows=None,
                           conflict=conflict, case_numbers=open_case_numbers()), status


def _conflicting_values(request_id: int, submitted: dict) -> list[tuple[str, str]]:
    """The fields whose stored value (saved by someone else) differs from what this user submitted."""
    stored = db.session.scalar(select(CooperationRequest).where(CooperationRequest.id == request_id)
                               .options(selectinload(CooperationRequest.officers)))
    differing = []
    for name in domain.REQUEST_FIELDS:
        current = getattr(stored, name)
        wanted = submitted.get(name)
        if (current or None) != (wanted or None):
            differing.append((name, domain.history_value(current)))
    if sorted(officer.id for officer in stored.officers) != sorted(submitted.get("officer_ids") or []):
        differing.append(("officers", ",".join(str(officer.id) for officer in stored.officers)))
    names = ValueNames(db.session, [RequestEvent(kind=EventKind.CHANGED, field=name, new_value=value)
                                    for name, value in differing])
    return [(str(REQUEST_FIELD_LABELS[name]), names.display(name, value)) for name, value in differing]


def _form_problem(form, problem: RequestProblem) -> None:
    message = REQUEST_PROBLEMS.get(problem.code, problem.code)
    field = getattr(form, FORM_FIELDS.get(problem.field, problem.field or ""), None)
    if field is not None:
        field.errors = [*field.errors, message]
    else:
        form.form_errors.append(message)


# --- the request's page -------------------------------------------------------------------------------------

@bp.get("/<int:request_id>")
def detail(request_id: int):
    item = _visible_or_404(request_id, *_with_everything())
    _record_admin_reading(item, "detail")
    return _render_detail(item)


def _transition_targets(item: CooperationRequest) -> list[Status]:
    """The statuses this user may move the request to (a head's approval is offered to heads only)."""
    return [status for status in next_statuses(item.direction, item.status)
            if status not in HEAD_ONLY or current_user.role == Role.HEAD]


def _render_detail(item: CooperationRequest, status: int = 200, **forms):
    editable = can_edit(current_user, item)
    targets = _transition_targets(item) if editable else []
    forms.setdefault("identifier_form", IdentifierForm(formdata=None))
    forms.setdefault("reference_form", PartnerReferenceForm(formdata=None))
    forms.setdefault("document_form", DocumentForm(formdata=None))
    forms.setdefault("note_form", NoteForm(formdata=None))
    forms.setdefault("transition_form", TransitionForm(formdata=None, request=item, targets=targets))
    matches = matches_for_identifiers(db.session, current_user,
                                      [(identifier.kind, identifier.normalized) for identifier in item.identifiers],
                                      exclude_request_id=item.id)
    checklist = domain.contents_checklist(item)
    return render_template(
        "requests/detail.html", item=item, editable=editable, targets=targets, matches=matches,
        contents=_content_rows(item, checklist), missing=[code for code, done in checklist if not done],
        timeline=timeline(db.session, item.events), main_path=MAIN_PATH[item.direction],
        awaiting_head=Status.APPROVED in next_statuses(item.direction, item.status) and Status.APPROVED not in targets,
        added_identifier=request.args.get("added", type=int), allowed_extensions=sorted(ALLOWED_TYPES),
        max_document_mb=f"{_max_bytes() / 1024 / 1024:g}", file_size=_file_size,
        **forms,
    ), status


# Checklist items shown from a field of another name.
CONTENT_SOURCES = {"data_named": "assistance_sought", "urgency_reasons": "requested_by_reasons"}


def _content_rows(item: CooperationRequest, checklist: list[tuple[str, bool]]) -> list[tuple[str, str, str, bool]]:
    """(code, label, what the request says, present) for each checklist item."""
    rows = []
    for code, done in checklist:
        if code == "data_period":
            value = " – ".join([format_local_date(item.data_period_from) or "…",
                                format_local_date(item.data_period_to) or "…"])
            value = value if item.data_period_from or item.data_period_to else None
        elif code == "requested_by":
            value = format_local_date(item.requested_by) or None
        elif code == "follow_up_promised":
            value = _("Yes") if item.follow_up_promised else None
        elif code == "persons":
            value = item.persons
            if item.identifiers:
                count = _("Identifiers listed below: %(num)d", num=len(item.identifiers))
                value = f"{value}\n({count})" if value else count
        else:
            value = getattr(item, CONTENT_SOURCES.get(code, code))
        rows.append((code, str(CHECKLIST_LABELS[code]), value, done))
    return rows


def _reload(request_id: int) -> CooperationRequest:
    db.session.rollback()
    return _visible_or_404(request_id, *_with_everything())


# --- moving it along the workflow ---------------------------------------------------------------------------

@bp.post("/<int:request_id>/transition")
def transition(request_id: int):
    item = _editable_or_abort(request_id, selectinload(CooperationRequest.documents),
                              selectinload(CooperationRequest.partner_references))
    form = TransitionForm(request=item, targets=_transition_targets(item))
    if form.validate_on_submit():
        if form.current_status.data != item.status.value:
            flash(TRANSITION_REFUSALS["status_changed"], "error")
            return redirect(url_for(".detail", request_id=request_id))
        target = Status(form.target.data)
        try:
            document = _transition_document(form, item, target)
            domain.change_status(db.session, item, current_user, target, utcnow(), reason=form.reason.data,
                          channel=form.channel.data or None, partner_reference=form.partner_reference.data,
                          document=document, occurred_on=form.occurred_on.data, zone=local_zone())
        except TransitionNotAllowed as refusal:
            field = form.reason if refusal.code == "reason_required" else form.target
            field.errors = [*field.errors, TRANSITION_REFUSALS[refusal.code] % {
                "current": status_label(refusal.current), "target": status_label(refusal.target)}]
        except DocumentError as problem:
            form.file.errors = [*form.file.errors, _document_problem(problem)]
        except RequestProblem as problem:
            _form_problem(form, problem)
        else:
            db.session.commit()
            flash(_("%(reference)s: the status is now “%(status)s”.", reference=item.reference,
                    status=status_label(target)), "success")
            return redirect(url_for(".detail", request_id=request_id))
    item = _reload(request_id)
    form.target.choices = TransitionForm(formdata=None, request=item, targets=_transition_targets(item)).target.choices
    return _render_detail(item, 400, transition_form=form)


def _transition_document(form: TransitionForm, item: CooperationRequest, target: Status) -> Document | None:
    """The document going with a move: a new file attached now, or one already on the request."""
    if form.file.data and form.file.data.filename:
        stored = store_upload(form.file.data.stream, form.file.data.filename, _upload_folder(), _max_bytes())
        return domain.attach_document(db.session, item, current_user, stored, form.new_file_kind(target), utcnow(),
                               dated=form.occurred_on.data)
    if form.document_id.data:
        return next((document for document in item.documents if document.id == form.document_id.data), None) \
            or abort(400)
    return None


# --- identifiers, partner references, notes -----------------------------------------------------------------

@bp.post("/<int:request_id>/identifiers")
def add_identifier(request_id: int):
    item = _editable_or_abort(request_id, selectinload(CooperationRequest.identifiers))
    form = IdentifierForm()
    if form.validate_on_submit():
        try:
            added = domain.add_identifier(db.session, item, current_user, form.parsed, utcnow(), form.note.data)
        except RequestProblem as problem:
            _form_problem(form, problem)
        else:
            db.session.commit()
            flash(_("The identifier %(value)s has been added.", value=added.normalized), "success")
            return redirect(url_for(".detail", request_id=request_id, added=added.id, _anchor="identifiers"))
    return _render_detail(_reload(request_id), 400, identifier_form=form)


@bp.post("/<int:request_id>/identifiers/<int:identifier_id>/delete")
def delete_identifier(request_id: int, identifier_id: int):
    item = _editable_or_abort(request_id, selectinload(CooperationRequest.identifiers))
    identifier = next((known for known in item.identifiers if known.id == identifier_id), None)
    if identifier is None:
        abort(404)
    domain.remove_identifier(db.session, item, current_user, identifier, utcnow())
    db.session.commit()
    flash(_("The identifier %(value)s has been removed.", value=identifier.normalized), "success")
    return redirect(url_for(".detail", request_id=request_id, _anchor="identifiers"))


@bp.post("/<int:request_id>/partner-references")
def add_partner_reference(request_id: int):
    item = _editable_or_abort(request_id, selectinload(CooperationRequest.partner_references))
    form = PartnerReferenceForm()
    if form.validate_on_submit():
        try:
            domain.add_partner_reference(db.session, item, current_user, form.reference.data, utcnow(),
                                             note=form.note.data)
        except RequestProblem as problem:
            _form_problem(form, problem)
        else:
            db.session.commit()
            flash(_("The partner's reference %(reference)s has been recorded.", reference=form.reference.data),
                  "success")
            return redirect(url_for(".detail", request_id=request_id, _anchor="references"))
    return _render_detail(_reload(request_id), 400, reference_form=form)


@bp.post("/<int:request_id>/notes")
def add_note(request_id: int):
    item = _editable_or_abort(request_id)
    form = NoteForm()
    if form.validate_on_submit():
        try:
            domain.add_note(db.session, item, current_user, form.text.data, utcnow())
        except RequestProblem as problem:
            _form_problem(form, problem)
        else:
            db.session.commit()
            flash(_("The note has been added."), "success")
            return redirect(url_for(".detail", request_id=request_id, _anchor="history"))
    return _render_detail(_reload(request_id), 400, note_form=form)


# --- documents ----------------------------------------------------------------------------------------------

def _upload_folder() -> Path:
    return Path(current_app.config["COOP_UPLOAD_FOLDER"])


def _max_bytes() -> int:
    limit = current_app.config.get("COOP_MAX_DOCUMENT_BYTES") or current_app.config.get("MAX_CONTENT_LENGTH")
    return int(limit or 25 * 1024 * 1024)


def _file_size(size: int) -> str:
    if size < 1024:
        return _("%(num)s bytes", num=size)
    if size < 1024 * 1024:
        return _("%(num)s KB", num=format_decimal(round(size / 1024, 1)))
    return _("%(num)s MB", num=format_decimal(round(size / 1024 / 1024, 1)))


def _document_problem(problem: DocumentError) -> str:
    return str(DOCUMENT_PROBLEMS[problem.code]) % {
        "size": f"{_max_bytes() / 1024 / 1024:g}", "types": ", ".join(sorted(ALLOWED_TYPES))}


@bp.post("/<int:request_id>/documents")
def upload_document(request_id: int):
    item = _editable_or_abort(request_id, selectinload(CooperationRequest.documents))
    form = DocumentForm()
    if form.validate_on_submit():
        try:
            stored = store_upload(form.file.data.stream, form.file.data.filename, _upload_folder(), _max_bytes())
            document = domain.attach_document(db.session, item, current_user, stored, DocumentKind(form.kind.data),
                                       utcnow(), dated=form.dated.data, note=form.note.data)
        except DocumentError as problem:
            form.file.errors = [*form.file.errors, _document_problem(problem)]
        except RequestProblem as problem:
            _form_problem(form, problem)
        else:
            db.session.commit()
            flash(_("%(name)s has been attached (SHA-256 %(sha)s).", name=document.original_name,
                    sha=document.sha256), "success")
            return redirect(url_for(".detail", request_id=request_id, _anchor="documents"))
    return _render_detail(_reload(request_id), 400, document_form=form)


@bp.get("/<int:request_id>/documents/<int:document_id>")
def download_document(request_id: int, document_id: int):
    item = _visible_or_404(request_id)
    document = db.session.scalar(select(Document).where(Document.id == document_id, Document.request_id == item.id))
    if document is None:
        abort(404)
    _record_admin_reading(item, f"document {document.id}")
    try:
        path = verified_path(_upload_folder(), document.sha256)
    except DocumentError as problem:
        current_app.logger.error("document %s of request %s: %s", document.id, item.id, problem.code)
        return render_error(500, _document_problem(problem))
    response = send_file(path, mimetype=document.content_type, as_attachment=True,
                         download_name=document.original_name, conditional=False, etag=False, max_age=0)
    # Always a download, never rendered by the browser, whatever the file claims to be.
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "no-store, private"
    return response
