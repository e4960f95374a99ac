from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import TextAreaField
from wtforms.validators import Length

from coop.audit import bp
from coop.auditing import signing_key, verification_keys
from coop.database import read_only_session
from coop.domain.checkpoints import (
    Checkpoint,
    CheckpointProblem,
    key_id,
    parse_checkpoints,
    stored_checkpoints,
    verify_trail,
    write_checkpoint,
)
from coop.extensions import db
from coop.forms import CoopForm
from coop.models import AuditCheckpoint, utcnow

PROBLEM_LABELS = {
    "bad_signature": _l("Its signature does not hold: forged, edited, or signed with another key."),
    "missing": _l("The record it names is gone: the trail was cut short or rebuilt."),
    "digest": _l("The record it names has another digest: the trail was rewritten or rebuilt."),
    "count": _l("Another number of records leads to it: records were inserted or removed."),
    "broken_before": _l("The chain is broken before it."),
}


# Who wrote a checkpoint.
VIA_LABELS = {"sweep": _l("daily, by the sweep"), "cli": _l("command line"), "web": _l("on this page")}


class VerifyForm(CoopForm):
    pasted = TextAreaField(
        _l("Checkpoints kept outside coop"), validators=[Length(max=200_000)],
        description=_l("Paste the lines of checkpoint e-mails or files (whole e-mails are fine). The checkpoints "
                       "stored in coop are always checked too."))


def _render(form: VerifyForm, report=None, given: int = 0, status: int = 200):
    recent = db.session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(20)).all()
    keys = verification_keys()
    return render_template("audit/checkpoints.html", form=form, recent=recent, report=report, given=given,
                           key_ids=[key_id(key) for key in keys], problem_labels=PROBLEM_LABELS,
                           checkpoint_line=lambda row: Checkpoint.from_row(row).to_line(),
                           via_labels=VIA_LABELS), status


@bp.get("/")
def checkpoints():
    return _render(VerifyForm(formdata=None))


@bp.post("/verify")
def verify():
    form = VerifyForm()
    if not form.validate_on_submit():
        return _render(form, status=400)
    try:
        given = parse_checkpoints(form.pasted.data or "")
    except CheckpointProblem as problem:
        form.pasted.errors = [*form.pasted.errors, _("Unreadable checkpoint: %(problem)s", problem=str(problem))]
        return _render(form, status=400)
    checkpoints = [*given, *stored_checkpoints(db.session)]
    db.session.rollback()
    with read_only_session(db.engine) as reader:  # the walk must not hold SQLite's write lock
        report = verify_trail(reader, checkpoints, verification_keys())
    return _render(form, report, len(given))


@bp.post("/checkpoint")
def create_checkpoint():
    checkpoint = write_checkpoint(db.session, signing_key(), utcnow(), "web")
    db.session.commit()
    flash(_("Checkpoint written: record %(id)d, %(count)d records. Keep a copy outside coop.",
            id=checkpoint.last_id, count=checkpoint.records), "success")
    return redirect(url_for("audit.checkpoints"))
