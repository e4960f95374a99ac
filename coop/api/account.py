"""The account's API tokens page: create a named token (shown once), list them, revoke one."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length

from coop.domain.tokens import NAME_MAX_LENGTH, TOKEN_START, TokenProblem, issue_token, revoke_token
from coop.extensions import db
from coop.forms import CoopForm
from coop.models import ApiToken, TokenScope, utcnow

bp = Blueprint("tokens", __name__)

SCOPE_LABELS = {
    TokenScope.READ: _l("Read only"),
    TokenScope.WRITE: _l("Read and write"),
}
VALIDITY_CHOICES = [
    SelectChoice("30", _l("30 days")),
    SelectChoice("90", _l("90 days")),
    SelectChoice("365", _l("1 year")),
    SelectChoice("", _l("No expiry (until revoked)")),
]
TOKEN_PROBLEMS = {
    "name_required": _l("Give the token a name."),
    "name_too_long": _l("The name is too long."),
    "name_taken": _l("You already have a token with this name: choose another, or revoke the old one first."),
    "too_many": _l("You have too many tokens: revoke one you no longer use first."),
    "invalid_validity": _l("Not a valid choice."),
}


class TokenForm(CoopForm):
    name = StringField(_l("Name"), validators=[DataRequired(message=TOKEN_PROBLEMS["name_required"]),
                                               Length(max=NAME_MAX_LENGTH)],
                       filters=[lambda value: value.strip() if isinstance(value, str) else value],
                       description=_l("What the token is for, e.g. “Registry sync” or “Reporting script”."))
    scope = SelectField(_l("Access"), default=TokenScope.READ.value,
                        choices=[SelectChoice(scope.value, label) for scope, label in SCOPE_LABELS.items()],
                        description=_l("Give write access only to a system that must create or change requests."))
    valid_days = SelectField(_l("Valid for"), default="90", choices=VALIDITY_CHOICES)


def _tokens() -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == current_user.id)
                                   .order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())))


def may_create_tokens() -> bool:
    """Creating a token needs a session that passed the second factor (unless the setting turns this off)."""
    from coop.auth.second_factor import passed_second_factor

    return not current_app.config["COOP_MFA_FOR_TOKENS"] or passed_second_factor()


def _render(form: TokenForm, new_token: str | None = None, created: ApiToken | None = None, status: int = 200):
    return render_template("api/tokens.html", form=form, tokens=_tokens(), now=utcnow(), new_token=new_token,
                           created=created, scope_labels=SCOPE_LABELS, token_start=TOKEN_START,
                           may_create=may_create_tokens()), status


@bp.get("/")
def index():
    return _render(TokenForm(formdata=None))


@bp.post("/")
def create():
    form = TokenForm()
    if not may_create_tokens():
        form.form_errors.append(_("Creating an API token needs a login with the second factor: set it up first."))
        return _render(form, status=403)
    if not form.validate_on_submit():
        return _render(form, status=400)
    try:
        token, text = issue_token(db.session, current_user, form.name.data, TokenScope(form.scope.data), utcnow(),
                                  int(form.valid_days.data) if form.valid_days.data else None)
    except TokenProblem as problem:
        db.session.rollback()
        message = TOKEN_PROBLEMS[problem.code]
        field = getattr(form, problem.field or "", None)
        if field is not None:
            field.errors = [*field.errors, message]
        else:
            form.form_errors.append(message)
        return _render(form, status=400)
    db.session.commit()
    # Shown in this answer only: never flashed (the session cookie is signed, not secret) and never stored.
    return _render(TokenForm(formdata=None), new_token=text, created=token)


@bp.post("/<int:token_id>/revoke")
def revoke(token_id: int):
    try:
        token = revoke_token(db.session, current_user, token_id, utcnow())
    except TokenProblem:
        abort(404)  # another user's token is, for this user, no token at all
    db.session.commit()
    flash(_("The token “%(name)s” has been revoked: it no longer opens the API.", name=token.name), "success")
    return redirect(url_for(".index"))
