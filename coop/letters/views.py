"""Letters: drafting one from a request (or from a reminder), its page and printable view, the signed version,
recording it as sent, the outgoing register, and the administrators' templates and numbering."""

import io

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from coop import exports
from coop.domain import letters as domain
from coop.domain.access import can_edit, may_see_request_id, visible_requests
from coop.domain.documents import DocumentError, store_upload, verified_path
from coop.domain.requests import RequestProblem, contents_checklist
from coop.domain.workflow import TransitionNotAllowed
from coop.errors import render_error
from coop.extensions import db
from coop.i18n import local_zone
from coop.labels import CHECKLIST_LABELS
from coop.letters import bp
from coop.letters.forms import DraftForm, FinalVersionForm, NumberingForm, RegisterFilterForm, SendForm, TemplateForm
from coop.letters.labels import (
    FIELD_LABELS,
    gap_label,
    language_label,
    letter_kind_label,
    letter_state_label,
    problem_message,
)
from coop.models import (
    CooperationRequest,
    Deadline,
    DeadlineKind,
    Letter,
    LetterKind,
    LetterState,
    LetterTemplate,
    Partner,
    Role,
    utcnow,
)
from coop.requests.views import REQUEST_PROBLEMS, TRANSITION_REFUSALS, _document_problem, _max_bytes, _upload_folder
from coop.security import role_required

REGISTER_PAGE_SIZE = 50
# A reminder about one of these clocks offers to draft the letter that answers it.
LETTER_FOR_DEADLINE = {DeadlineKind.STATUS_ENQUIRY: LetterKind.STATUS_ENQUIRY,
                       DeadlineKind.PRESERVATION_EXPIRY: LetterKind.EXTENSION}


def _language() -> str:
    return str(get_locale())


def _template_limit() -> int:
    return int(current_app.config.get("COOP_MAX_TEMPLATE_BYTES") or domain.MAX_TEMPLATE_BYTES)


def _message(problem: domain.LetterProblem) -> str:
    return problem_message(problem.code, problem.detail, f"{_template_limit() / 1024 / 1024:g}")


# --- loading, with the access rule --------------------------------------------------------------------------

def _request_or_404(request_id: int, editing: bool = False) -> CooperationRequest:
    found = db.session.scalar(visible_requests(current_user).where(CooperationRequest.id == request_id).options(
        joinedload(CooperationRequest.partner).selectinload(Partner.contacts),
        joinedload(CooperationRequest.request_type), joinedload(CooperationRequest.legal_basis),
        joinedload(CooperationRequest.case), joinedload(CooperationRequest.follows),
        selectinload(CooperationRequest.identifiers), selectinload(CooperationRequest.partner_references),
        selectinload(CooperationRequest.documents), selectinload(CooperationRequest.officers)))
    if found is None:
        abort(404)
    if editing and not can_edit(current_user, found):
        abort(403)
    return found


def _letter_or_404(letter_id: int, editing: bool = False) -> Letter:
    letter = db.session.get(Letter, letter_id)
    if letter is None:
        abort(404)
    _request_or_404(letter.request_id, editing)
    return letter


# --- drafting -----------------------------------------------------------------------------------------------

def _gaps(item: CooperationRequest, kind: LetterKind) -> list[str]:
    return [gap_label(gap.code, gap.detail) for gap in domain.letter_gaps(item, kind)]


def _render_draft(item: CooperationRequest, form: DraftForm, status: int = 200, problem: str | None = None):
    kind = LetterKind(form.kind.data) if form.kind.data in set(LetterKind) else domain.letter_kinds_for(item)[0]
    language = form.language.data if form.language.data in domain.LANGUAGES else "en"
    template = domain.choose_template(domain.templates_for(db.session, kind), kind, language, item)
    checklist = [(str(CHECKLIST_LABELS[code]), done) for code, done in contents_checklist(item)]
    return render_template(
        "letters/draft.html", item=item, form=form, kind=kind, language=language, template=template,
        gaps=_gaps(item, kind), checklist=checklist, problem=problem,
        addressee=domain.addressee_of(item, language if language in domain.LANGUAGES else "en")[0],
        letters=domain.request_letters(db.session, item.id), number_preview=_number_preview()), status


def _number_preview() -> str:
    pattern = domain.current_pattern(db.session)
    return domain.format_number(pattern, "…", utcnow().astimezone(local_zone()).year)


def _initial_language(item: CooperationRequest, kind: LetterKind) -> str:
    available = {template.language for template in domain.templates_for(db.session, kind)}
    return domain.default_language(item.partner.accepted_languages, available)


@bp.get("/request/<int:request_id>/draft")
def draft_page(request_id: int):
    item = _request_or_404(request_id, editing=True)
    kinds = domain.letter_kinds_for(item)
    form = DraftForm(formdata=None, kinds=kinds)
    kind = LetterKind(request.args["kind"]) if request.args.get("kind") in {k.value for k in kinds} else kinds[0]
    form.kind.data = kind.value
    language = request.args.get("language")
    form.language.data = language if language in domain.LANGUAGES else _initial_language(item, kind)
    return _render_draft(item, form)


@bp.post("/request/<int:request_id>/draft")
def draft(request_id: int):
    item = _request_or_404(request_id, editing=True)
    form = DraftForm(kinds=domain.letter_kinds_for(item))
    if not form.validate_on_submit():
        return _render_draft(item, form, 400)
    try:
        letter = domain.draft_letter(db.session, item, current_user, LetterKind(form.kind.data), form.language.data,
                                     utcnow(), local_zone(), _upload_folder(), accept_gaps=form.accept_gaps.data)
    except (domain.LetterProblem, RequestProblem, DocumentError) as problem:
        db.session.rollback()
        return _render_draft(_request_or_404(request_id), form, 400, _draft_problem(problem))
    db.session.commit()
    flash(_("Letter %(number)s drafted. Download it, edit it in Word if needed, and upload the signed version.",
            number=letter.number), "success")
    return redirect(url_for(".detail", letter_id=letter.id))


def _draft_problem(problem: Exception) -> str:
    if isinstance(problem, domain.LetterProblem):
        return _message(problem)
    if isinstance(problem, DocumentError):
        return _document_problem(problem)
    return str(REQUEST_PROBLEMS.get(problem.code, problem.code))


@bp.post("/deadline/<int:deadline_id>/draft")
def draft_for_deadline(deadline_id: int):
    """From a reminder: draft the status enquiry (or the extension request) in one click."""
    deadline = db.session.get(Deadline, deadline_id)
    if deadline is None:
        abort(404)
    item = _request_or_404(deadline.request_id, editing=True)
    kind = LETTER_FOR_DEADLINE.get(deadline.kind)
    if kind is None:
        abort(404)
    try:
        letter = domain.draft_letter(db.session, item, current_user, kind, _initial_language(item, kind), utcnow(),
                                     local_zone(), _upload_folder(), deadline=deadline, accept_gaps=True)
    except (domain.LetterProblem, RequestProblem, DocumentError) as problem:
        db.session.rollback()
        flash(_draft_problem(problem), "error")
        return redirect(url_for("deadlines.reminder_list"))
    db.session.commit()
    flash(_("Letter %(number)s drafted. Upload the signed version, then record it as sent.", number=letter.number),
          "success")
    return redirect(url_for(".detail", letter_id=letter.id))


# --- a letter -----------------------------------------------------------------------------------------------

def _render_letter(letter: Letter, status: int = 200, **forms):
    item = _request_or_404(letter.request_id)
    forms.setdefault("final_form", FinalVersionForm(formdata=None))
    forms.setdefault("send_form", SendForm(formdata=None))
    return render_template("letters/detail.html", letter=letter, item=item, editable=can_edit(current_user, item),
                           missing=[gap_label(code) for code in letter.missing_codes()], **forms), status


@bp.get("/<int:letter_id>")
def detail(letter_id: int):
    return _render_letter(_letter_or_404(letter_id))


@bp.get("/<int:letter_id>/print")
def printable(letter_id: int):
    letter = _letter_or_404(letter_id)
    document = letter.final_document if letter.final_document and letter.final_document.original_name.lower() \
        .endswith(".docx") else letter.draft_document
    try:
        path = verified_path(_upload_folder(), document.sha256) if document else None
        paragraphs = domain.docx_paragraphs(path.read_bytes()) if path else []
    except DocumentError as problem:
        return render_error(500, _document_problem(problem))
    return render_template("letters/print.html", letter=letter, paragraphs=paragraphs)


@bp.post("/<int:letter_id>/final")
def upload_final(letter_id: int):
    letter = _letter_or_404(letter_id, editing=True)
    form = FinalVersionForm()
    if form.validate_on_submit():
        try:
            stored = store_upload(form.file.data.stream, form.file.data.filename, _upload_folder(), _max_bytes())
            domain.attach_final(db.session, letter, current_user, stored, utcnow())
        except DocumentError as problem:
            form.file.errors = [*form.file.errors, _document_problem(problem)]
        except domain.LetterProblem as problem:
            form.file.errors = [*form.file.errors, _message(problem)]
        except RequestProblem as problem:
            form.file.errors = [*form.file.errors, str(REQUEST_PROBLEMS.get(problem.code, problem.code))]
        else:
            db.session.commit()
            flash(_("The signed version of %(number)s has been kept.", number=letter.number), "success")
            return redirect(url_for(".detail", letter_id=letter.id))
    db.session.rollback()
    return _render_letter(db.session.get(Letter, letter_id), 400, final_form=form)


@bp.post("/<int:letter_id>/send")
def send(letter_id: int):
    letter = _letter_or_404(letter_id, editing=True)
    form = SendForm()
    if form.validate_on_submit():
        try:
            domain.record_sent(db.session, letter, current_user, utcnow(), channel=form.channel.data or None,
                               partner_reference=form.partner_reference.data, zone=local_zone())
        except domain.LetterProblem as problem:
            form.form_errors.append(_message(problem))
        except TransitionNotAllowed as refusal:
            form.form_errors.append(str(TRANSITION_REFUSALS.get(refusal.code, refusal.code)) % {
                "current": refusal.current.value, "target": refusal.target.value})
        except RequestProblem as problem:
            form.form_errors.append(str(REQUEST_PROBLEMS.get(problem.code, problem.code)))
        else:
            db.session.commit()
            flash(_("Letter %(number)s recorded as sent.", number=letter.number), "success")
            return redirect(url_for(".detail", letter_id=letter.id))
    db.session.rollback()
    return _render_letter(db.session.get(Letter, letter_id), 400, send_form=form)


# --- the outgoing register ----------------------------------------------------------------------------------

def _register_query(form: RegisterFilterForm):
    query = (select(Letter).join(CooperationRequest, CooperationRequest.id == Letter.request_id)
             .join(Partner, Partner.id == CooperationRequest.partner_id)
             .where(may_see_request_id(current_user, Letter.request_id))
             .options(joinedload(Letter.request).joinedload(CooperationRequest.partner),
                      joinedload(Letter.drafted_by)))
    if form.date_from.data:
        query = query.where(Letter.dated >= form.date_from.data)
    if form.date_to.data:
        query = query.where(Letter.dated <= form.date_to.data)
    if form.kind.data:
        query = query.where(Letter.kind == LetterKind(form.kind.data))
    if form.state.data:
        query = query.where(Letter.state == LetterState(form.state.data))
    if form.partner.data:
        query = query.where(Partner.code == form.partner.data)
    if form.number.data:
        query = query.where(Letter.number.contains(form.number.data, autoescape=True))
    return query.order_by(Letter.dated.desc(), Letter.id.desc())


REGISTER_COLUMNS = ("number", "dated", "kind", "addressee", "partner", "request", "subject", "language", "state",
                    "sent_at", "drafted_by")


def _register_rows(query):
    for letter in db.session.scalars(query.execution_options(yield_per=500)):
        yield (letter.number, letter.dated, letter_kind_label(letter.kind), letter.addressee,
               letter.request.partner.name(_language()), letter.request.reference, letter.subject,
               language_label(letter.language), letter_state_label(letter.state), letter.sent_at,
               letter.drafted_by.full_name if letter.drafted_by else "")


@bp.get("/")
def register():
    form = RegisterFilterForm(request.args)
    if request.args and not form.validate():
        return render_template("letters/register.html", form=form, page=None, filters={}), 400
    query = _register_query(form)
    filters = {name: value for name, value in request.args.items() if name not in ("page", "format") and value}
    export = request.args.get("format")
    if export in exports.FORMATS:
        header = [_("Outgoing number"), _("Date"), _("Letter"), _("Addressee"), _("Partner"), _("Request"),
                  _("Subject"), _("Language"), _("State"), _("Sent"), _("Drafted by")]
        return exports.download("outgoing-letters", export, _("Outgoing letters"), header,
                                lambda: _register_rows(query), local_zone())
    if export:
        abort(400)
    page = db.paginate(query, page=request.args.get("page", 1, type=int), per_page=REGISTER_PAGE_SIZE,
                       error_out=False)
    return render_template("letters/register.html", form=form, page=page, filters=filters)


# --- templates and numbering (administrators) ---------------------------------------------------------------

@bp.get("/templates")
@role_required(Role.ADMIN)
def templates():
    rows = db.session.scalars(select(LetterTemplate).options(
        joinedload(LetterTemplate.request_type), joinedload(LetterTemplate.legal_basis),
        joinedload(LetterTemplate.partner), joinedload(LetterTemplate.updated_by))).all()
    rows.sort(key=lambda row: (list(LetterKind).index(row.kind), domain.LANGUAGES.index(row.language)
                               if row.language in domain.LANGUAGES else 9, domain.specificity(row)))
    numbering = NumberingForm(formdata=None, pattern=domain.current_pattern(db.session))
    return _templates_page(rows, numbering)


def _templates_page(rows, numbering: NumberingForm, status: int = 200):
    return render_template("letters/templates.html", rows=rows, numbering=numbering, fields=FIELD_LABELS,
                           number_example=domain.format_number(numbering.pattern.data or domain.DEFAULT_PATTERN,
                                                               567, utcnow().astimezone(local_zone()).year)), status


@bp.post("/numbering")
@role_required(Role.ADMIN)
def numbering():
    form = NumberingForm()
    if form.validate_on_submit():
        try:
            domain.set_pattern(db.session, form.pattern.data, current_user, utcnow())
        except domain.LetterProblem as problem:
            form.pattern.errors = [*form.pattern.errors, _message(problem)]
        else:
            db.session.commit()
            flash(_("Outgoing letters will be numbered %(example)s.", example=domain.format_number(
                form.pattern.data, 567, utcnow().astimezone(local_zone()).year)), "success")
            return redirect(url_for(".templates"))
    db.session.rollback()
    return _templates_page(db.session.scalars(select(LetterTemplate)).all(), form, 400)


def _uploaded_template(form: TemplateForm) -> tuple[bytes, str] | None:
    if not (form.file.data and getattr(form.file.data, "filename", "")):
        return None
    with form.file.data.stream as stream:  # a large upload is spooled to a temporary file: close it now
        content = stream.read(_template_limit() + 1)
    if len(content) > _template_limit():
        raise domain.LetterProblem("too_large")
    return content, form.file.data.filename


def _save_template(form: TemplateForm, existing: LetterTemplate | None) -> LetterTemplate:
    upload = _uploaded_template(form)
    if upload is None:  # an edit of the scope or name alone keeps the file (checked again: it must still fit)
        content, original, builtin = existing.content, existing.original_name, existing.builtin
    else:
        (content, original), builtin = upload, False
    template = domain.store_template(
        db.session, LetterKind(form.kind.data), form.language.data, content, form.name.data, current_user,
        utcnow(), request_type_id=form.request_type_id.data, legal_basis_id=form.legal_basis_id.data,
        partner_id=form.partner_id.data, original_name=original, builtin=builtin and upload is None,
        replacing=existing, max_bytes=_template_limit())
    template.active = form.active.data
    return template


@bp.route("/templates/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def new_template():
    form = TemplateForm()
    if form.validate_on_submit():
        try:
            template = _save_template(form, None)
        except domain.LetterProblem as problem:
            db.session.rollback()
            form.file.errors = [*form.file.errors, _message(problem)]
        else:
            db.session.commit()
            flash(_("Template “%(name)s” saved.", name=template.name), "success")
            return redirect(url_for(".templates"))
    return render_template("letters/template_form.html", form=form, template=None, fields=FIELD_LABELS,
                           template_mb=f"{_template_limit() / 1024 / 1024:g}"), 400 if form.errors else 200


@bp.route("/templates/<int:template_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit_template(template_id: int):
    template = db.get_or_404(LetterTemplate, template_id)
    form = TemplateForm(obj=template if request.method == "GET" else None, require_file=False)
    if form.validate_on_submit():
        try:
            _save_template(form, template)
        except domain.LetterProblem as problem:
            db.session.rollback()
            form.file.errors = [*form.file.errors, _message(problem)]
            template = db.session.get(LetterTemplate, template_id)
        else:
            db.session.commit()
            flash(_("Template “%(name)s” saved.", name=template.name), "success")
            return redirect(url_for(".templates"))
    return render_template("letters/template_form.html", form=form, template=template, fields=FIELD_LABELS,
                           template_mb=f"{_template_limit() / 1024 / 1024:g}"), 400 if form.errors else 200


@bp.get("/templates/<int:template_id>/file")
@role_required(Role.ADMIN)
def template_file(template_id: int):
    template = db.get_or_404(LetterTemplate, template_id)
    name = template.original_name or f"{template.kind.value}_{template.language}.docx"
    return send_file(io.BytesIO(template.content), mimetype=domain.DOCX_CONTENT_TYPE, as_attachment=True,
                     download_name=name, max_age=0)


def letters_of(request_id: int) -> list[Letter]:
    """The request's letters, for its page (a template global: the request's view stays as it is)."""
    return list(domain.request_letters(db.session, request_id))


def letter_for_deadline(kind: DeadlineKind) -> LetterKind | None:
    return LETTER_FOR_DEADLINE.get(kind)
