"""Forms for partners, their contacts and instruments, legal bases and request types (administrators only)."""

import re

import phonenumbers
from babel import Locale
from babel.dates import get_day_names
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import URL, AnyOf, DataRequired, Email, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from coop.domain.reference_data import (
    holiday_weekends,
    known_time_zones,
    name_column,
    parse_languages,
    parse_weekdays,
    split_codes,
)
from coop.extensions import db
from coop.forms import CoopForm
from coop.labels import (
    CHANNEL_LABELS,
    CONTACT_ROLE_LABELS,
    DIRECTION_LABELS,
    LEGAL_BASIS_KIND_LABELS,
    PARTNER_KIND_LABELS,
)
from coop.models import LegalBasis, Partner, PartnerContact, PartnerInstrument, PartnerKind, RequestType

COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")
PROVIDER_CODE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
LEGAL_BASIS_CODE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
REQUEST_TYPE_CODE = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)*$")

COMMON_FIELDS = ("name_ru", "name_en", "name_kk", "active", "time_zone", "accepted_languages", "channels", "notes")
COUNTRY_FIELDS = ("weekend_days", "holiday_calendar", "dual_criminality_notes", "use_limitations")
PROVIDER_FIELDS = ("legal_entity", "governing_law", "request_portal", "discloses_directly",
                   "requires_formal_assistance", "preservation_days", "preservation_extension", "emergency_channel",
                   "emergency_criteria", "notifies_user", "known_limits")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class CheckboxesField(SelectMultipleField):
    """Several choices shown as checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def weekday_choices() -> list[SelectChoice]:
    names = get_day_names("wide", locale=str(get_locale()))
    return [SelectChoice(str(day), names[day - 1].capitalize()) for day in range(1, 8)]


def holiday_calendar_choices() -> list[SelectChoice]:
    territories = Locale.parse(str(get_locale())).territories
    return [SelectChoice("", _l("None"))] + [
        SelectChoice(code, f"{code} — {territories.get(code, code)}") for code in sorted(holiday_weekends())
    ]


def time_zone_choices() -> list[SelectChoice]:
    return [SelectChoice("", _l("Not set"))] + [SelectChoice(zone, zone) for zone in sorted(known_time_zones())]


class PartnerForm(CoopForm):
    kind = HiddenField(validators=[AnyOf([kind.value for kind in PartnerKind])])
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=32)], filters=[_strip])
    name_ru = StringField(_l("Name in Russian"), validators=[DataRequired(), Length(max=200)], filters=[_strip])
    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=200)], filters=[_strip])
    name_kk = StringField(_l("Name in Kazakh"), validators=[Length(max=200)], filters=[_strip])
    active = BooleanField(_l("Active (offered when creating requests)"), default=True)

    time_zone = SelectField(_l("Time zone"), validate_choice=False,
                            description=_l("IANA name, e.g. Europe/Berlin; shown beside our deadlines."))
    accepted_languages = StringField(
        _l("Accepted languages"), validators=[Length(max=200)], filters=[_strip],
        description=_l("Two-letter ISO 639-1 codes separated by commas, e.g. ru, en."))
    channels = CheckboxesField(_l("Channels"))
    weekend_days = CheckboxesField(_l("Weekend days"))
    holiday_calendar = SelectField(_l("Holiday calendar"))
    dual_criminality_notes = TextAreaField(_l("Dual criminality"), filters=[_strip])
    use_limitations = TextAreaField(_l("Limitations on the use of evidence"), filters=[_strip])

    legal_entity = StringField(_l("Legal entity"), validators=[Length(max=200)], filters=[_strip])
    governing_law = StringField(_l("Governing law"), validators=[Length(max=200)], filters=[_strip])
    request_portal = URLField(_l("Request portal"), validators=[Optional(), URL(require_tld=True), Length(max=300)],
                              filters=[_strip], description=_l("The address of the law-enforcement portal, https://..."))
    discloses_directly = TextAreaField(_l("Discloses on a direct request"), filters=[_strip])
    requires_formal_assistance = TextAreaField(_l("Needs formal legal assistance"), filters=[_strip])
    preservation_days = IntegerField(_l("Preservation period, days"),
                                     validators=[Optional(), NumberRange(min=1, max=3650)])
    preservation_extension = TextAreaField(_l("Extension rule"), filters=[_strip])
    emergency_channel = TextAreaField(_l("Emergency channel"), filters=[_strip])
    emergency_criteria = TextAreaField(_l("Emergency criteria"), filters=[_strip])
    notifies_user = TextAreaField(_l("User notification"), filters=[_strip])
    known_limits = TextAreaField(_l("Known limits"), filters=[_strip])

    notes = TextAreaField(_l("Notes"), filters=[_strip])
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])
    fixed_when_editing = ("code",)  # requests, seeds and rules refer to it

    def __init__(self, *args, kind: PartnerKind | None = None, editing: Partner | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing = editing
        if editing is not None:
            self.kind.data = editing.kind.value
            self.code.data = editing.code
        elif kind is not None and not self.kind.data:
            self.kind.data = kind.value
        for name in PROVIDER_FIELDS if self.is_country else COUNTRY_FIELDS:
            del self[name]  # neither shown nor validated: they do not apply to this kind of partner
        self.channels.choices = [SelectChoice(channel.value, label) for channel, label in CHANNEL_LABELS.items()]
        if self.is_country:
            self.weekend_days.choices = weekday_choices()
            self.holiday_calendar.choices = holiday_calendar_choices()
        self.time_zone.choices = time_zone_choices()
        self.code.description = (_l("ISO 3166-1 alpha-2, two capital letters, e.g. DE.") if self.is_country
                                 else _l("Lower-case Latin letters, digits and dashes, e.g. meta."))

    @property
    def is_country(self) -> bool:
        return self.kind.data == PartnerKind.COUNTRY.value

    @property
    def kind_fields(self) -> tuple[str, ...]:
        """The attribute fields that apply to this kind of partner."""
        return COMMON_FIELDS + (COUNTRY_FIELDS if self.is_country else PROVIDER_FIELDS)

    def validate_code(self, field):
        if self.editing is not None:
            return  # fixed once the partner exists: requests, seeds and rules refer to it
        field.data = field.data.upper() if self.is_country else field.data.lower()
        if self.is_country and not COUNTRY_CODE.match(field.data):
            raise ValidationError(_l("A country code is two capital Latin letters (ISO 3166-1 alpha-2), e.g. DE."))
        if not self.is_country and not PROVIDER_CODE.match(field.data):
            raise ValidationError(_l("Use lower-case Latin letters, digits and single dashes, e.g. meta."))
        if db.session.scalar(select(Partner.id).where(Partner.code == field.data)) is not None:
            raise ValidationError(_l("A partner with this code already exists."))

    def validate_time_zone(self, field):
        if field.data and field.data not in known_time_zones():
            raise ValidationError(_l("Unknown time zone: choose an IANA name such as Europe/Berlin."))

    def validate_accepted_languages(self, field):
        if field.data:
            try:
                field.data = parse_languages(field.data)
            except ValueError as unknown:
                raise ValidationError(_l("Unknown language codes: %(codes)s. Use two-letter ISO 639-1 codes "
                                         "such as ru, en.", codes=str(unknown))) from unknown

    def validate_weekend_days(self, field):
        if field.data:
            try:
                parse_weekdays(",".join(field.data))
            except ValueError as problem:
                raise ValidationError(_l("At least one day of the week must be a working day.")) from problem

    def changes(self) -> dict[str, object]:
        """The attributes this form sets, as stored (empty text becomes None)."""
        values = {}
        for name in self.kind_fields:
            value = self[name].data
            if name == "channels":
                value = ", ".join(value or [])
            elif name == "weekend_days":
                value = parse_weekdays(",".join(value)) if value else None
            values[name] = value if value != "" else None
        return values

    def differences(self, stored: Partner) -> list[tuple[str, str]]:
        """(label, stored value) for each field whose stored value differs from what this form submits."""
        submitted = self.changes()
        return [(str(self[name].label.text), "" if getattr(stored, name) is None else str(getattr(stored, name)))
                for name in self.kind_fields if submitted[name] != getattr(stored, name)]

    @property
    def submitted_version(self) -> int | None:
        """The version the editor started from, as posted (None if the form did not carry it)."""
        return self.version.data if self.version.raw_data else None

    def rebase(self, version: int) -> None:
        """Make a re-submission of this form apply on top of `version` (after the editor saw the conflict)."""
        self.version.data = version
        self.version.raw_data = [str(version)]


def partner_form_data(partner: Partner) -> dict[str, object]:
    """A partner's stored attributes in the shape PartnerForm expects."""
    data = {name: getattr(partner, name) for name in COMMON_FIELDS + COUNTRY_FIELDS + PROVIDER_FIELDS}
    data["channels"] = split_codes(partner.channels)
    data["weekend_days"] = split_codes(partner.weekend_days)
    data["time_zone"] = partner.time_zone or ""
    data["holiday_calendar"] = partner.holiday_calendar or ""
    data["version"] = partner.version
    return data


class ContactForm(CoopForm):
    role = SelectField(_l("Role"))
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=300)], filters=[_strip],
                       description=_l("The office or the person, as written in correspondence."))
    email = EmailField(_l("E-mail"), validators=[Optional(), Email(), Length(max=254)], filters=[_strip])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=64)], filters=[_strip],
                        description=_l("International format, e.g. +1 202 555 0100."))
    address = TextAreaField(_l("Address"), filters=[_strip])
    office_hours = StringField(_l("Office hours"), validators=[Length(max=200)], filters=[_strip],
                               description=_l("In the partner's time zone, e.g. Mon–Fri 9:00–17:00; 24/7."))

    def __init__(self, *args, editing: PartnerContact | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing = editing
        self.role.choices = [SelectChoice(role.value, label) for role, label in CONTACT_ROLE_LABELS.items()]

    def validate_phone(self, field):
        try:
            number = phonenumbers.parse(field.data, None)
        except phonenumbers.NumberParseException as problem:
            raise ValidationError(_l("Enter the number in international format, starting with +.")) from problem
        if not phonenumbers.is_possible_number(number):
            raise ValidationError(_l("This is not a possible telephone number."))
        field.data = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


class InstrumentForm(CoopForm):
    legal_basis_id = SelectField(_l("Legal basis"), coerce=int)
    signed_on = DateField(_l("Signed on"), validators=[Optional()])
    in_force_on = DateField(_l("In force since"), validators=[Optional()],
                            description=_l("For accession or ratification, the date it took effect between us."))
    notes = TextAreaField(_l("Notes"), filters=[_strip],
                          description=_l("Reservations, declarations, the designated authority ..."))

    def __init__(self, *args, partner: Partner, editing: PartnerInstrument | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._partner = partner
        self.editing = editing
        language = str(get_locale())
        name = name_column(LegalBasis, language)
        bases = db.session.scalars(select(LegalBasis).where(LegalBasis.active.is_(True)).order_by(name))
        self.legal_basis_id.choices = [SelectChoice(basis.id, basis.name(language)) for basis in bases]
        if editing is not None and editing.legal_basis_id not in {c.value for c in self.legal_basis_id.choices}:
            self.legal_basis_id.choices.append(SelectChoice(editing.legal_basis_id, editing.legal_basis.name(language)))

    def validate_legal_basis_id(self, field):
        if field.errors:
            return  # not one of the choices (perhaps not even a number the database can hold)
        clash = db.session.scalar(select(PartnerInstrument).where(
            PartnerInstrument.partner_id == self._partner.id, PartnerInstrument.legal_basis_id == field.data))
        if clash is not None and clash is not self.editing:
            raise ValidationError(_l("This legal basis is already recorded for this partner."))

    def validate_in_force_on(self, field):
        if field.data and self.signed_on.data and field.data < self.signed_on.data:
            raise ValidationError(_l("The date of entry into force cannot be before the signature."))


class LegalBasisForm(CoopForm):
    fixed_when_editing = ("code",)  # requests and rules refer to it
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=64)],
                       filters=[_strip, lambda value: value.lower() if value else value],
                       description=_l("Lower-case Latin letters, digits and dashes, e.g. bilateral-de-2026. "
                                      "Cannot be changed later."))
    kind = SelectField(_l("Kind"))
    name_ru = StringField(_l("Name in Russian"), validators=[DataRequired(), Length(max=300)], filters=[_strip])
    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=300)], filters=[_strip])
    name_kk = StringField(_l("Name in Kazakh"), validators=[Length(max=300)], filters=[_strip])
    articles = TextAreaField(_l("Key articles"), filters=[_strip],
                             description=_l("The articles officers cite, e.g. 40 mutual legal assistance; "
                                            "42 preservation."))
    adopted_on = DateField(_l("Adopted or signed on"), validators=[Optional()])
    notes = TextAreaField(_l("Notes"), filters=[_strip])
    notes_kk = TextAreaField(_l("Notes in Kazakh"), filters=[_strip],
                             description=_l("Shown to readers who chose Kazakh; empty: they see the notes above."))
    active = BooleanField(_l("Active (offered when creating requests)"), default=True)

    def __init__(self, *args, editing: LegalBasis | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing = editing
        self.kind.choices = [SelectChoice(kind.value, label) for kind, label in LEGAL_BASIS_KIND_LABELS.items()]
        if editing is not None:
            self.code.data = editing.code

    def validate_code(self, field):
        if self.editing is not None:
            return
        if not LEGAL_BASIS_CODE.match(field.data):
            raise ValidationError(_l("Use lower-case Latin letters, digits and single dashes."))
        if db.session.scalar(select(LegalBasis.id).where(LegalBasis.code == field.data)) is not None:
            raise ValidationError(_l("A legal basis with this code already exists."))


class RequestTypeForm(CoopForm):
    fixed_when_editing = ("code",)  # deadline rules refer to it
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=64)],
                       filters=[_strip, lambda value: value.lower() if value else value],
                       description=_l("Lower-case Latin letters, digits and underscores, e.g. asset_tracing. "
                                      "Cannot be changed later: deadline rules refer to it."))
    name_ru = StringField(_l("Name in Russian"), validators=[DataRequired(), Length(max=300)], filters=[_strip])
    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=300)], filters=[_strip])
    name_kk = StringField(_l("Name in Kazakh"), validators=[Length(max=300)], filters=[_strip])
    direction = SelectField(_l("Direction"))
    partner_kind = SelectField(_l("Partner"))
    is_preservation = BooleanField(_l("Preservation (a formal request must follow)"))
    is_emergency = BooleanField(_l("Emergency (clock in hours)"))
    description = TextAreaField(_l("Description"), filters=[_strip])
    description_kk = TextAreaField(_l("Description in Kazakh"), filters=[_strip],
                                   description=_l("Shown to readers who chose Kazakh; empty: they see the "
                                                  "description above."))
    sort_order = IntegerField(_l("Position in lists"), default=100,
                              validators=[DataRequired(), NumberRange(min=0, max=10000)])
    active = BooleanField(_l("Active (offered when creating requests)"), default=True)

    def __init__(self, *args, editing: RequestType | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing = editing
        self.direction.choices = [SelectChoice(value.value, label) for value, label in DIRECTION_LABELS.items()]
        self.partner_kind.choices = [SelectChoice("", _l("Either kind"))] + [
            SelectChoice(kind.value, label) for kind, label in PARTNER_KIND_LABELS.items()]
        if editing is not None:
            self.code.data = editing.code
            if not self.is_submitted():
                self.partner_kind.data = editing.partner_kind.value if editing.partner_kind else ""

    def validate_code(self, field):
        if self.editing is not None:
            return
        if not REQUEST_TYPE_CODE.match(field.data):
            raise ValidationError(_l("Use lower-case Latin letters, digits and single underscores."))
        if db.session.scalar(select(RequestType.id).where(RequestType.code == field.data)) is not None:
            raise ValidationError(_l("A request type with this code already exists."))
