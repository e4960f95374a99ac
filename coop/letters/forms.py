"""Forms of the letters: drafting one, its signed version, sending it, the register's filters, the templates."""

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import BooleanField, DateField, SelectChoice, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from coop.domain.letters import LANGUAGES
from coop.extensions import db
from coop.forms import CoopForm
from coop.labels import TRANSMISSION_LABELS
from coop.letters.labels import LANGUAGE_LABELS, LETTER_KIND_LABELS, LETTER_STATE_LABELS
from coop.models import LegalBasis, LetterKind, Partner, RequestType


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _optional_int(value):
    if value in (None, "", "None"):
        return None
    return int(value)


def language_choices() -> list[SelectChoice]:
    return [SelectChoice(language, LANGUAGE_LABELS[language]) for language in LANGUAGES]


def kind_choices(kinds=tuple(LetterKind)) -> list[SelectChoice]:
    return [SelectChoice(kind.value, LETTER_KIND_LABELS[kind]) for kind in kinds]


def channel_choices() -> list[SelectChoice]:
    return [SelectChoice("", _l("— not said —"))] + [SelectChoice(code, label)
                                                     for code, label in TRANSMISSION_LABELS.items()]


class DraftForm(CoopForm):
    kind = SelectField(_l("Letter"), validators=[InputRequired()])
    language = SelectField(_l("Language"), validators=[InputRequired()], choices=language_choices())
    accept_gaps = BooleanField(_l("Draft it anyway: I will complete the missing items in Word"))

    def __init__(self, *args, kinds=tuple(LetterKind), **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = kind_choices(kinds)


class FinalVersionForm(CoopForm):
    file = FileField(_l("Signed letter"), validators=[FileRequired(message=_l("Choose a file."))],
                     description=_l("The final version, as signed (a PDF scan or the .docx)."))


class SendForm(CoopForm):
    channel = SelectField(_l("Sent through"), choices=channel_choices(), validators=[Optional()])
    partner_reference = StringField(_l("Partner's reference"), validators=[Optional(), Length(max=120)],
                                    filters=[_strip])


class RegisterFilterForm(FlaskForm):
    """GET form: every value lives in the query string."""

    class Meta:
        csrf = False

    date_from = DateField(_l("Dated from"), validators=[Optional()])
    date_to = DateField(_l("Dated until"), validators=[Optional()])
    kind = SelectField(_l("Letter"), validators=[Optional()])
    state = SelectField(_l("State"), validators=[Optional()])
    partner = StringField(_l("Partner (code)"), validators=[Optional(), Length(max=32)], filters=[_strip])
    number = StringField(_l("Number contains"), validators=[Optional(), Length(max=64)], filters=[_strip])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [SelectChoice("", _l("any"))] + kind_choices()
        self.state.choices = [SelectChoice("", _l("any"))] + [SelectChoice(state.value, label)
                                                             for state, label in LETTER_STATE_LABELS.items()]


def _name(item) -> str:
    return item.name(str(get_locale()))


def scope_choices(model, empty) -> list[SelectChoice]:
    rows = db.session.scalars(select(model))
    return [SelectChoice("", empty)] + [SelectChoice(row.id, _name(row))
                                        for row in sorted(rows, key=lambda row: _name(row).lower())]


class TemplateForm(CoopForm):
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=200)], filters=[_strip])
    kind = SelectField(_l("Letter"), choices=kind_choices(), validators=[InputRequired()])
    language = SelectField(_l("Language"), choices=language_choices(), validators=[InputRequired()])
    request_type_id = SelectField(_l("Only for the request type"), coerce=_optional_int, validators=[Optional()])
    legal_basis_id = SelectField(_l("Only for the legal basis"), coerce=_optional_int, validators=[Optional()])
    partner_id = SelectField(_l("Only for the partner"), coerce=_optional_int, validators=[Optional()])
    file = FileField(_l("Template (.docx)"))
    active = BooleanField(_l("In use"), default=True)

    def __init__(self, *args, require_file: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.request_type_id.choices = scope_choices(RequestType, _l("any type"))
        self.legal_basis_id.choices = scope_choices(LegalBasis, _l("any legal basis"))
        self.partner_id.choices = scope_choices(Partner, _l("any partner"))
        if require_file:
            self.file.validators = [FileRequired(message=_l("Choose the .docx file of the template."))]


class NumberingForm(CoopForm):
    pattern = StringField(_l("Format of outgoing numbers"), validators=[InputRequired(), Length(max=40)],
                          filters=[_strip],
                          description=_l("{number} is replaced by the next number, {year} by the year, e.g. "
                                         "12-34/{number}."))
