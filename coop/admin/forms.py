from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, Regexp, ValidationError
from wtforms.widgets import HiddenInput

from coop.auth.forms import validate_new_password
from coop.extensions import db
from coop.forms import CoopForm
from coop.labels import ROLE_LABELS
from coop.models import User


def role_choices() -> list[SelectChoice]:
    return [SelectChoice(role.value, label) for role, label in ROLE_LABELS.items()]


class UserForm(CoopForm):
    username = StringField(
        _l("User name"),
        validators=[
            DataRequired(),
            Length(min=2, max=64),
            Regexp(r"^[a-z0-9._-]+$", message=_l("Lower-case Latin letters, digits, dot, dash and underscore.")),
        ],
        filters=[lambda value: value.strip().lower() if value else value],
    )
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("E-mail"), validators=[Optional(), Email(), Length(max=254)])
    role = SelectField(_l("Role"), validators=[DataRequired()])
    active = BooleanField(_l("Active"), default=True)
    password = PasswordField(_l("Password"), validators=[Length(max=256)])
    # The account's version when the form was opened: an edit made meanwhile by someone else is not overwritten.
    version = IntegerField(widget=HiddenInput(), validators=[Optional(), NumberRange(min=1, max=2**31 - 1)])
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, editing: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing = editing
        self.role.choices = role_choices()
        if editing is None:
            self.password.validators = [DataRequired(), Length(max=256)]
        else:
            self.password.description = _l("Leave empty to keep the current password.")

    def validate_username(self, field):
        clash = db.session.scalar(select(User).where(User.username == field.data))
        if clash is not None and clash is not self.editing:
            raise ValidationError(_l("This user name is already taken."))

    def validate_password(self, field):
        if field.data:
            validate_new_password(field.data, self.username.data or "")
