"""Importing a register: upload it, map its columns, check the preview of every row, import.

Nothing is written to the requests before the last step; the uploaded file waits outside the web root under
a random name, is never served, and is deleted once imported or given up.
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from coop.domain.import_matching import guess_mapping, mapping_problems
from coop.domain.importing import new_case_numbers
from coop.domain.spreadsheets import Sheet, SpreadsheetProblem, read_spreadsheet
from coop.extensions import db
from coop.forms import page_status
from coop.i18n import local_zone
from coop.imports import bp
from coop.imports.forms import UploadForm, mapping_form
from coop.imports.processing import (
    FIELD_LABELS,
    batch_path,
    clean_abandoned,
    discard_file,
    import_rows,
    max_upload_bytes,
    max_web_rows,
    prepare,
    problem_message,
    remember_rehearsal,
    spreadsheet_problem_message,
    store_upload,
)
from coop.models import ImportBatch, ImportState, Role, utcnow
from coop.security import role_required

PREVIEW_FILTERS = ("all", "ready", "problems", "imported", "duplicate")


def _own_batch(batch_id: int) -> ImportBatch:
    """The user's own upload (404 for anyone else's)."""
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None or batch.user_id != current_user.id:
        abort(404)
    return batch


def _waiting_batch(batch_id: int) -> ImportBatch:
    """The user's upload still waiting for its import; an imported or cancelled one shows its result."""
    batch = _own_batch(batch_id)
    if batch.state != ImportState.UPLOADED or batch_path(batch) is None:
        abort(redirect(url_for(".result", batch_id=batch.id)))
    return batch


def _sheet(batch: ImportBatch) -> Sheet:
    return read_spreadsheet(batch_path(batch), batch.file_format, max_web_rows())


def _mapping(batch: ImportBatch) -> dict[int, str]:
    return {int(index): name for index, name in (batch.mapping or {}).get("columns", {}).items()}


@bp.get("/")
@role_required(Role.OFFICER, Role.HEAD)
def index():
    return _render_index(UploadForm(formdata=None))


def _render_index(form: UploadForm, status: int = 200):
    query = select(ImportBatch).order_by(ImportBatch.id.desc()).limit(30)
    if current_user.role != Role.HEAD:
        query = query.where(ImportBatch.user_id == current_user.id)
    return render_template("imports/index.html", form=form, batches=db.session.scalars(query).all(),
                           max_mb=max_upload_bytes() // 1024 // 1024, max_rows=max_web_rows()), status


@bp.post("/")
@role_required(Role.OFFICER, Role.HEAD)
def upload():
    form = UploadForm()
    if not form.validate_on_submit():
        return _render_index(form, 400)
    now = utcnow()
    clean_abandoned(db.session, now)
    try:
        stored = store_upload(form.file.data.stream, form.file.data.filename or "")
        try:
            sheet = read_spreadsheet(stored.path, stored.file_format, max_web_rows())
        except SpreadsheetProblem:
            stored.path.unlink(missing_ok=True)
            raise
    except SpreadsheetProblem as problem:
        db.session.commit()  # the abandoned files cleaned above
        form.file.errors = [*form.file.errors, spreadsheet_problem_message(problem)]
        return _render_index(form, 400)
    batch = ImportBatch(user_id=current_user.id, original_name=(form.file.data.filename or "")[:255] or "—",
                        sha256=stored.sha256, size=stored.size, file_format=stored.file_format,
                        stored_name=stored.path.name, row_count=len(sheet.rows), created_at=now,
                        mapping={"columns": {str(index): name for index, name in
                                             guess_mapping(sheet.headings).items()}})
    db.session.add(batch)
    db.session.commit()
    return redirect(url_for(".mapping", batch_id=batch.id))


@bp.route("/<int:batch_id>/mapping", methods=["GET", "POST"])
@role_required(Role.OFFICER, Role.HEAD)
def mapping(batch_id: int):
    batch = _waiting_batch(batch_id)
    sheet = _sheet(batch)
    form = mapping_form(sheet.headings, _mapping(batch), (batch.mapping or {}).get("default_request_type"))
    if form.validate_on_submit():
        chosen = form.mapping()
        missing = mapping_problems(chosen, bool(form.default_request_type.data))
        if not missing:
            batch.mapping = {"columns": {str(index): name for index, name in chosen.items()},
                             "default_request_type": form.default_request_type.data or None}
            db.session.commit()
            return redirect(url_for(".preview", batch_id=batch.id))
        form.form_errors.append(_("Choose a column for: %(fields)s.",
                                  fields=", ".join(str(FIELD_LABELS[name]) for name in missing)))
    return render_template("imports/mapping.html", batch=batch, form=form, sheet=sheet,
                           guessed=_mapping(batch)), page_status(form)


@bp.get("/<int:batch_id>/preview")
@role_required(Role.OFFICER, Role.HEAD)
def preview(batch_id: int):
    batch = _waiting_batch(batch_id)
    rows = _prepared(batch)
    remember_rehearsal(db.session, current_user, batch, rows, utcnow(), local_zone())
    shown = request.args.get("show", "all")
    if shown not in PREVIEW_FILTERS:
        shown = "all"
    counts = {state: sum(1 for row in rows if row.state == state) for state in PREVIEW_FILTERS[1:]}
    return render_template(
        "imports/preview.html", batch=batch, rows=[row for row in rows if shown in ("all", row.state)],
        counts=counts, total=len(rows), shown=shown, new_cases=new_case_numbers(rows),
        problem_message=problem_message, mapped=_mapped_fields(batch), field_labels=FIELD_LABELS)


def _prepared(batch: ImportBatch):
    return prepare(db.session, _sheet(batch), _mapping(batch), (batch.mapping or {}).get("default_request_type"),
                   utcnow(), local_zone())


def _mapped_fields(batch: ImportBatch) -> list[str]:
    """The fields the mapping fills, in the order coop lists them (the preview shows a column for each)."""
    chosen = set(_mapping(batch).values())
    shown = ("external_number", "partner", "request_type", "title", "status", "sent_on", "received_on",
             "answered_on", "case_number")
    return [name for name in shown if name in chosen]


@bp.post("/<int:batch_id>/import")
@role_required(Role.OFFICER, Role.HEAD)
def run(batch_id: int):
    batch = _waiting_batch(batch_id)
    if not batch.mapping:
        return redirect(url_for(".mapping", batch_id=batch.id))
    now = utcnow()
    # Rows are checked again as they are written: the rules (and other imports) may have moved since the preview.
    rows = _prepared(batch)
    outcome = import_rows(db.session, current_user, rows, batch.original_name, now, local_zone())
    batch.state, batch.finished_at, batch.report = ImportState.IMPORTED, utcnow(), outcome.report()
    batch.imported_count = len(outcome.imported)
    batch.duplicate_count = len(outcome.already) + len(outcome.duplicates)
    batch.problem_count = len(outcome.problems)
    discard_file(batch)
    db.session.commit()
    flash(_("%(count)d requests have been imported.", count=len(outcome.imported)), "success")
    return redirect(url_for(".result", batch_id=batch.id))


@bp.get("/<int:batch_id>")
@role_required(Role.OFFICER, Role.HEAD)
def result(batch_id: int):
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None or (batch.user_id != current_user.id and current_user.role != Role.HEAD):
        abort(404)
    if batch.state == ImportState.UPLOADED and batch.user_id == current_user.id:
        return redirect(url_for(".preview" if batch.mapping else ".mapping", batch_id=batch.id))
    return render_template("imports/result.html", batch=batch, report=batch.report or {})


@bp.post("/<int:batch_id>/cancel")
@role_required(Role.OFFICER, Role.HEAD)
def cancel(batch_id: int):
    batch = _own_batch(batch_id)
    if batch.state == ImportState.UPLOADED:
        discard_file(batch)
        batch.state, batch.finished_at = ImportState.CANCELLED, utcnow()
        db.session.commit()
        flash(_("The import of %(name)s has been cancelled and the file deleted.", name=batch.original_name),
              "info")
    return redirect(url_for(".index"))
