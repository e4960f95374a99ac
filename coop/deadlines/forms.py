"""Forms of the deadline area: changing a clock, snoozing a reminder, and the administrators' rules and days."""

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import HiddenInput

from coop.deadlines.labels import (
    CALENDAR_LABELS,
    CLOCK_UNIT_LABELS,
    DEADLINE_KIND_LABELS,
    START_EVENT_LABELS,
    STOP_EVENT_LABELS,
)
from coop.domain.calendars import KAZAKHSTAN, build_calendar, parse_iso_weekdays
from coop.domain.deadlines import partner_calendar_key, scope_key
from coop.domain.reminders import ReminderCodeError, parse_reminder_codes
from coop.extensions import db
from coop.forms import CoopForm
from coop.models import (
    CalendarDay,
    ClockUnit,
    DeadlineKind,
    DeadlineRule,
    LegalBasis,
    Partner,
    PartnerKind,
    RequestType,
    StartEvent,
    StopEvent,
    WorkingCalendar,
)

MAX_AMOUNT = 3650  # ten years: any longer is a typing error
# The years the calendar pages show (as /admin/calendar-days): a day outside them is a typing error.
FIRST_YEAR, LAST_YEAR = 1990, 2100
REMINDER_CODE_PROBLEMS = {
    "unreadable": _l("“%(item)s” is not a reminder: write D-21, D+1, S+4h or D+1 head."),
    "before_start": _l("“%(item)s” would fall before the clock starts."),
    "duplicate": _l("“%(item)s” is listed twice."),
}


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(member.value, label) for member, label in labels.items()]


class ReasonForm(CoopForm):
    """Extending a deadline: the reason is required (the partner agreed, by which letter ...)."""

    reason = TextAreaField(_l("Reason"), validators=[DataRequired(message=_l("Give the reason.")), Length(max=2000)],
                           filters=[_strip],
                           description=_l("For example: the partner agreed to extend the preservation, letter of "
                                          "12.03.2026 No. 45."))


class DeadlineDateForm(CoopForm):
    """Entering or correcting a deadline's date by hand, with the reason."""

    due_date = DateField(_l("Date"), validators=[InputRequired(message=_l("Enter the date."))])
    due_time = TimeField(_l("Time (Asia/Almaty)"), validators=[Optional()],
                         description=_l("Leave empty for the end of the day."))
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(message=_l("Give the reason.")), Length(max=2000)],
                           filters=[_strip],
                           description=_l("For example: the court authorised the collection until this date."))


class EnquiryForm(CoopForm):
    note = StringField(_l("Note (optional)"), validators=[Optional(), Length(max=500)], filters=[_strip],
                       description=_l("How and when the enquiry was sent."))


SNOOZE_CHOICES = {
    "tomorrow": _l("Until tomorrow morning"),
    "three_days": _l("For three days"),
    "next_week": _l("Until Monday morning"),
}


class SnoozeForm(CoopForm):
    until = SelectField(_l("Snooze"), validators=[InputRequired()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.until.choices = [SelectChoice(key, label) for key, label in SNOOZE_CHOICES.items()]


def _int_list(text: str | None) -> list[int]:
    return [int(part) for part in (text or "").replace(";", ",").split(",") if part.strip()]


class RuleForm(CoopForm):
    """A deadline rule: for a request type, optionally one legal basis and one partner."""

    request_type = SelectField(_l("Request type"), validators=[InputRequired()])
    legal_basis = SelectField(_l("Legal basis"), validators=[Optional()])
    partner_code = StringField(_l("Partner code"), validators=[Optional(), Length(max=32)], filters=[_strip],
                               description=_l("Empty for every partner; else the partner's code (US, meta ...)."))
    kind = SelectField(_l("Clock"), validators=[InputRequired()])
    start_event = SelectField(_l("Starts when"), validators=[InputRequired()])
    amount = IntegerField(_l("Length"), validators=[Optional(), NumberRange(min=0, max=MAX_AMOUNT)],
                          description=_l("In the unit below; leave empty when the date is entered per request or "
                                         "is the date we asked for."))
    unit = SelectField(_l("Unit"), validators=[InputRequired()])
    calendar = SelectField(_l("Working days of"), validators=[InputRequired()])
    series = StringField(_l("Further occurrences"), validators=[Optional(), Length(max=200)], filters=[_strip],
                         description=_l("For a series (status enquiries): later occurrences counted from the start, "
                                        "e.g. 60, 90."))
    repeat_every = IntegerField(_l("Then every"), validators=[Optional(), NumberRange(min=1, max=MAX_AMOUNT)])
    stop_event = SelectField(_l("Met when"), validators=[InputRequired()])
    pauses = BooleanField(_l("Pause while we owe the partner additional information"))
    extension_amount = IntegerField(_l("Extension"), validators=[Optional(), NumberRange(min=1, max=MAX_AMOUNT)],
                                    description=_l("How much one extension adds, in the same unit."))
    max_extensions = IntegerField(_l("Extensions allowed"), default=0,
                                  validators=[InputRequired(), NumberRange(min=0, max=20)])
    reminders = StringField(_l("Reminders"), validators=[Optional(), Length(max=300)], filters=[_strip],
                            description=_l("D-21 is 21 days before the date, D+1 the day after it, S+4h four hours "
                                           "after the start; add “head” to tell the heads, e.g. D+1 head."))
    advice_ru = TextAreaField(_l("What to do (Russian)"), validators=[Optional(), Length(max=1000)],
                              filters=[_strip])
    advice_en = TextAreaField(_l("What to do (English)"), validators=[Optional(), Length(max=1000)],
                              filters=[_strip])
    advice_kk = TextAreaField(_l("What to do (Kazakh)"), validators=[Optional(), Length(max=1000)],
                              filters=[_strip])
    note = TextAreaField(_l("Source of the figures"), validators=[Optional(), Length(max=2000)], filters=[_strip])
    active = BooleanField(_l("Active"), default=True)
    # The rule's version when the form was opened: an edit made meanwhile by someone else is not overwritten.
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])

    def __init__(self, *args, editing: DeadlineRule | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing = editing
        language = str(get_locale())
        types = db.session.scalars(select(RequestType).order_by(RequestType.sort_order, RequestType.code))
        self.request_type.choices = [SelectChoice(item.code, f"{item.code} — {item.name(language)}")
                                     for item in types]
        bases = db.session.scalars(select(LegalBasis).order_by(LegalBasis.code))
        self.legal_basis.choices = [SelectChoice("", _l("Any legal basis"))] + [
            SelectChoice(item.code, item.code) for item in bases]
        self.kind.choices = _choices(DEADLINE_KIND_LABELS)
        self.start_event.choices = _choices(START_EVENT_LABELS)
        self.unit.choices = _choices(CLOCK_UNIT_LABELS)
        self.calendar.choices = _choices(CALENDAR_LABELS)
        self.stop_event.choices = _choices(STOP_EVENT_LABELS)
        self.parsed_reminders: list[str] = []

    def fill_from(self, rule: DeadlineRule) -> None:
        """Show a stored rule in the form."""
        self.request_type.data = rule.request_type.code
        self.version.data = rule.version
        self.legal_basis.data = rule.legal_basis.code if rule.legal_basis else ""
        self.partner_code.data = rule.partner.code if rule.partner else ""
        self.kind.data, self.start_event.data = rule.kind.value, rule.start_event.value
        self.amount.data = rule.amount or None
        self.unit.data, self.calendar.data, self.stop_event.data = (rule.unit.value, rule.calendar.value,
                                                                    rule.stop_event.value)
        self.series.data = ", ".join(str(value) for value in rule.series or [])
        self.repeat_every.data = rule.repeat_every
        self.pauses.data = rule.pauses
        self.extension_amount.data, self.max_extensions.data = rule.extension_amount, rule.max_extensions
        self.reminders.data = ", ".join(rule.reminders or [])
        self.advice_ru.data, self.advice_en.data, self.note.data = rule.advice_ru, rule.advice_en, rule.note
        self.advice_kk.data = rule.advice_kk
        self.active.data = rule.active

    def _needs_length(self) -> bool:
        return self.start_event.data not in (StartEvent.ENTERED.value, StartEvent.REQUESTED_DATE.value)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # Checks of empty fields: Optional() stops their own validators before these could run.
        if self._needs_length() and not self.amount.data and not self.amount.errors:
            self.amount.errors.append(_l("Give the length of the clock."))
            valid = False
        elif not self._needs_length() and self.amount.data:
            self.amount.errors.append(_l("Leave it empty: this clock's date is not counted from a start."))
            valid = False
        if (self.max_extensions.data or 0) > 0 and not self.extension_amount.data \
                and not self.extension_amount.errors:
            self.extension_amount.errors.append(_l("Say how much one extension adds."))
            valid = False
        return valid

    def validate_partner_code(self, field):
        if field.data and db.session.scalar(select(Partner.id).where(Partner.code == field.data)) is None:
            raise ValidationError(_l("No partner has this code."))

    def validate_series(self, field):
        try:
            values = _int_list(field.data)
        except ValueError:
            raise ValidationError(_l("Write whole numbers separated by commas, e.g. 60, 90.")) from None
        if values and not self._needs_length():
            raise ValidationError(_l("Only a clock with a length can repeat."))
        previous = self.amount.data or 0
        for value in values:
            if value <= previous or value > MAX_AMOUNT:
                raise ValidationError(_l("Each occurrence must come after the one before (and the length)."))
            previous = value

    def validate_repeat_every(self, field):
        if field.data and not self._needs_length():
            raise ValidationError(_l("Only a clock with a length can repeat."))

    def validate_reminders(self, field):
        try:
            self.parsed_reminders = [str(spec) for spec in parse_reminder_codes(field.data)]
        except ReminderCodeError as problem:
            raise ValidationError(REMINDER_CODE_PROBLEMS[problem.code] % {"item": problem.text}) from None

    def validate_kind(self, field):
        if field.data not in {kind.value for kind in DeadlineKind}:
            return  # not one of the choices: the field already says so
        key = scope_key(self.request_type.data or "", self.legal_basis.data or None, self.partner_code.data or None,
                        DeadlineKind(field.data))
        clash = db.session.scalar(select(DeadlineRule.id).where(DeadlineRule.scope_key == key))
        if clash is not None and (self.editing is None or clash != self.editing.id):
            raise ValidationError(_l("A rule for this clock, type, basis and partner exists already."))

    def values(self) -> dict:
        """The rule's fields as the form gives them (codes resolved to rows)."""
        request_type = db.session.scalar(select(RequestType).where(RequestType.code == self.request_type.data))
        basis = (db.session.scalar(select(LegalBasis).where(LegalBasis.code == self.legal_basis.data))
                 if self.legal_basis.data else None)
        partner = (db.session.scalar(select(Partner).where(Partner.code == self.partner_code.data))
                   if self.partner_code.data else None)
        kind = DeadlineKind(self.kind.data)
        has_length = self._needs_length()
        return {
            "scope_key": scope_key(request_type.code, basis.code if basis else None,
                                   partner.code if partner else None, kind),
            "request_type": request_type, "legal_basis": basis, "partner": partner, "kind": kind,
            "start_event": StartEvent(self.start_event.data), "amount": (self.amount.data or 0) if has_length else 0,
            "unit": ClockUnit(self.unit.data), "calendar": WorkingCalendar(self.calendar.data),
            "series": (_int_list(self.series.data) or None) if has_length else None,
            "repeat_every": self.repeat_every.data if has_length else None,
            "stop_event": StopEvent(self.stop_event.data), "pauses": bool(self.pauses.data),
            "extension_amount": self.extension_amount.data, "max_extensions": self.max_extensions.data or 0,
            "reminders": self.parsed_reminders, "advice_ru": self.advice_ru.data or None,
            "advice_en": self.advice_en.data or None, "advice_kk": self.advice_kk.data or None,
            "note": self.note.data or None, "active": bool(self.active.data),
        }


class CalendarDayForm(CoopForm):
    """A day the government moved: a day off, or a weekend day worked."""

    day = DateField(_l("Date"), validators=[InputRequired(message=_l("Enter the date."))])
    working = SelectField(_l("The day becomes"), validators=[InputRequired()])
    note = StringField(_l("Decree or reason"), validators=[DataRequired(message=_l("Say which decree moved it.")),
                                                            Length(max=300)], filters=[_strip])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.working.choices = [SelectChoice("0", _l("A day off")), SelectChoice("1", _l("A working day"))]

    def validate_day(self, field):
        if field.data is None:
            return
        if db.session.scalar(select(CalendarDay.id).where(CalendarDay.country == "KZ",
                                                          CalendarDay.day == field.data)) is not None:
            raise ValidationError(_l("This day was moved already: remove that entry first."))
        worked = build_calendar("KZ").is_working_day(field.data)
        if self.working.data == "1" and worked:
            raise ValidationError(_l("This day is a working day already."))
        if self.working.data == "0" and not worked:
            raise ValidationError(_l("This day is not worked already."))


class PartnerCalendarDayForm(CoopForm):
    """A day off or a working day in one partner country's calendar (its own decrees, or a holiday the holidays
    package does not know)."""

    partner = SelectField(_l("Partner country"), validate_choice=False,
                          validators=[InputRequired(message=_l("Choose the partner country."))])
    day = DateField(_l("Date"), validators=[InputRequired(message=_l("Enter the date."))])
    working = SelectField(_l("The day becomes"), validators=[InputRequired()])
    note = StringField(_l("Decree or reason"), validators=[DataRequired(message=_l("Say which decree or why.")),
                                                            Length(max=300)], filters=[_strip])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.working.choices = [SelectChoice("0", _l("A day off")), SelectChoice("1", _l("A working day"))]
        language = str(get_locale())
        countries = db.session.scalars(select(Partner).where(Partner.kind == PartnerKind.COUNTRY,
                                                             Partner.code != KAZAKHSTAN)).all()
        self.partner.choices = [SelectChoice("", _l("— choose —"))] + sorted(
            (SelectChoice(partner.code, f"{partner.name(language)} ({partner.code})") for partner in countries),
            key=lambda choice: choice.label)
        self.found_partner: Partner | None = None

    def validate_partner(self, field):
        found = db.session.scalar(select(Partner).where(Partner.code == field.data))
        if found is None or found.kind != PartnerKind.COUNTRY or found.code == KAZAKHSTAN:
            raise ValidationError(_l("No partner country has this code."))
        self.found_partner = found

    def validate_day(self, field):
        if field.data is None:
            return
        if not FIRST_YEAR <= field.data.year <= LAST_YEAR:
            raise ValidationError(_l("Enter a date between the years %(first)d and %(last)d.", first=FIRST_YEAR,
                                     last=LAST_YEAR))
        partner = self.found_partner or db.session.scalar(select(Partner).where(Partner.code == self.partner.data))
        if partner is None or partner.kind != PartnerKind.COUNTRY:
            return  # the partner's own error says it
        key = partner_calendar_key(partner)
        if db.session.scalar(select(CalendarDay.id).where(CalendarDay.country == key,
                                                          CalendarDay.day == field.data)) is not None:
            raise ValidationError(_l("This day was moved already in this calendar: remove that entry first."))
        worked = build_calendar(partner.holiday_calendar or None,
                                parse_iso_weekdays(partner.weekend_days)).is_working_day(field.data)
        if self.working.data == "1" and worked:
            raise ValidationError(_l("This day is a working day already."))
        if self.working.data == "0" and not worked:
            raise ValidationError(_l("This day is not worked already."))


class MailCheckForm(CoopForm):
    address = EmailField(_l("Address"), validators=[DataRequired(message=_l("Enter an e-mail address.")),
                                                    Email(message=_l("This is not an e-mail address.")),
                                                    Length(max=254)], filters=[_strip])
