from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import DateField, HiddenField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from coop.domain.cases import case_number_taken, opened_on_is_plausible
from coop.extensions import db
from coop.forms import CoopForm
from coop.i18n import local_zone
from coop.models import Case, CaseStatus, Role, User, utcnow

CASE_STATUS_LABELS = {
    CaseStatus.OPEN: _l("Open"),
    CaseStatus.CLOSED: _l("Closed"),
}


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


def officer_choices(current_officer_id: int | None = None) -> list[SelectChoice]:
    """Active officers and heads (and the case's current officer even if no longer active)."""
    people = db.session.scalars(
        select(User).where(User.role.in_([Role.OFFICER, Role.HEAD]),
                           (User.active.is_(True)) | (User.id == current_officer_id))
        .order_by(User.full_name)
    )
    return [SelectChoice("", _l("— nobody yet —"))] + [SelectChoice(person.id, person.full_name) for person in people]


class CaseForm(CoopForm):
    number = StringField(_l("Criminal case number"), validators=[DataRequired(), Length(max=64)], filters=[_strip],
                         description=_l("As registered in the Unified Register of Pre-trial Investigations (ERDR)."))
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)], filters=[_strip])
    offence = StringField(_l("Offence"), validators=[Optional(), Length(max=300)], filters=[_strip],
                          description=_l("Article of the Criminal Code and its wording, e.g. "
                                         "“Art. 190 part 4 CC RK, fraud”."))
    summary = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=10000)], filters=[_strip])
    responsible_officer_id = SelectField(_l("Responsible officer"), coerce=_optional_int, validators=[Optional()])
    opened_on = DateField(_l("Opened on"), validators=[Optional()])
    status = SelectField(_l("Status"), validators=[DataRequired()],
                         choices=[SelectChoice(status.value, label) for status, label in CASE_STATUS_LABELS.items()])
    version = HiddenField()

    def __init__(self, *args, editing: Case | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing = editing
        self.responsible_officer_id.choices = officer_choices(editing.responsible_officer_id if editing else None)

    def validate_number(self, field):
        if field.data and case_number_taken(db.session, field.data, self.editing.id if self.editing else None):
            raise ValidationError(_l("A case with this number already exists."))

    def validate_opened_on(self, field):
        if not opened_on_is_plausible(field.data, utcnow().astimezone(local_zone()).date()):
            raise ValidationError(_l("A case cannot be opened in the future."))

    def case_fields(self) -> dict:
        """The form's values, as `coop.domain.cases` takes them."""
        return {
            "number": self.number.data,
            "title": self.title.data,
            "offence": self.offence.data or None,
            "summary": self.summary.data or None,
            "responsible_officer_id": self.responsible_officer_id.data,
            "opened_on": self.opened_on.data,
            "status": CaseStatus(self.status.data),
        }
