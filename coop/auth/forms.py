from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from coop.domain.accounts import PasswordProblem, check_password_policy
from coop.forms import CoopForm


def password_problem_message(problem: PasswordProblem) -> str:
    """The user's-language message for a password the policy refuses."""
    messages = {
        "too_short": _l("At least %(n)d characters, please.", n=problem.minimum_length),
        "contains_username": _l("The password must not contain the user name."),
        "too_common": _l("This password is too easy to guess."),
    }
    return str(messages[problem.code])


def validate_new_password(password: str, username: str) -> None:
    """Raise a WTForms ValidationError when the policy refuses `password`."""
    try:
        check_password_policy(password, username, current_app.config["COOP_MIN_PASSWORD_LENGTH"])
    except PasswordProblem as problem:
        raise ValidationError(password_problem_message(problem)) from problem


class LoginForm(CoopForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])
    submit = SubmitField(_l("Log in"))


class ChangePasswordForm(CoopForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=256)])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=256)])
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The passwords do not match."))],
    )
    submit = SubmitField(_l("Change password"))

    def __init__(self, username: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._username = username

    def validate_new_password(self, field):
        validate_new_password(field.data, self._username)


class SecondFactorForm(CoopForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=64)],
                       description=_l("The 6 digits your authenticator app shows now, or one of your recovery codes."),
                       render_kw={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false",
                                  "autocapitalize": "off"})
    submit = SubmitField(_l("Confirm"))


class EnrolmentForm(CoopForm):
    code = StringField(_l("Code from the app"), validators=[DataRequired(), Length(max=16)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True})
    submit = SubmitField(_l("Turn on the second factor"))
