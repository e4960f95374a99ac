"""The dashboard's filters: read from the URL, so that a view can be bookmarked or sent to a colleague."""

from datetime import date
from zoneinfo import ZoneInfo

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import Optional, Regexp, ValidationError

from coop.domain.reference_data import name_in
from coop.domain.statistics import StatisticsFilters, period_of_local_days
from coop.extensions import db
from coop.labels import DIRECTION_LABELS, PARTNER_KIND_LABELS
from coop.models import Direction, PartnerKind, RequestType, Role, User

MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
MAX_MONTHS = 120


def parse_month(text: str | None) -> date | None:
    """The first day of the month written "2026-03", or None."""
    if not text:
        return None
    year, month = text.split("-")
    return date(int(year), int(month), 1)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def month_end(month: date) -> date:
    """The last day of `month`'s month."""
    return date.fromordinal(add_months(month, 1).toordinal() - 1)


class DashboardFilterForm(FlaskForm):
    """GET form: every value lives in the query string."""

    class Meta:
        csrf = False

    start = StringField(_l("From month"), render_kw={"type": "month", "placeholder": "2026-01"},
                        validators=[Optional(), Regexp(MONTH_PATTERN, message=_l("Enter a month as YYYY-MM."))])
    end = StringField(_l("To month"), render_kw={"type": "month", "placeholder": "2026-12"},
                      validators=[Optional(), Regexp(MONTH_PATTERN, message=_l("Enter a month as YYYY-MM."))])
    direction = SelectField(_l("Direction"), validators=[Optional()])
    request_type = SelectField(_l("Request type"), validators=[Optional()])
    partner_kind = SelectField(_l("Partner kind"), validators=[Optional()])
    officer = SelectField(_l("Officer"), validators=[Optional()])

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        any_choice = SelectChoice("", _l("Any"))
        self.direction.choices = [any_choice, *[SelectChoice(d.value, label) for d, label in
                                                DIRECTION_LABELS.items()]]
        self.partner_kind.choices = [any_choice, *[SelectChoice(k.value, label) for k, label in
                                                   PARTNER_KIND_LABELS.items()]]
        language = str(get_locale() or "ru")
        types = db.session.execute(select(RequestType.id, RequestType.name_ru, RequestType.name_en,
                                          RequestType.name_kk)
                                   .order_by(RequestType.sort_order, RequestType.id)).all()
        self.request_type.choices = [any_choice, *[
            SelectChoice(str(type_id), name_in(language, name_ru, name_en, name_kk))
            for type_id, name_ru, name_en, name_kk in types]]
        officers = db.session.execute(select(User.id, User.full_name)
                                      .where(User.role.in_([Role.OFFICER, Role.HEAD]))
                                      .order_by(User.full_name, User.id)).all()
        self.officer.choices = [any_choice, *[SelectChoice(str(user_id), name) for user_id, name in officers]]

    def validate_end(self, field):
        if self.start.errors or field.errors or not (self.start.data and field.data):
            return
        first, last = parse_month(self.start.data), parse_month(field.data)
        if last < first:
            raise ValidationError(_l("The period ends before it starts."))
        if (last.year - first.year) * 12 + last.month - first.month >= MAX_MONTHS:
            raise ValidationError(_l("Choose a period of at most %(months)d months.", months=MAX_MONTHS))

    def period_months(self) -> tuple[date, date]:
        """The first days of the first and last months of the period (the last 12 months by default)."""
        this_month = self.today.replace(day=1)
        valid = not (self.start.errors or self.end.errors)
        last = (parse_month(self.end.data) if valid else None) or this_month
        first = (parse_month(self.start.data) if valid else None) or add_months(last, -11)
        if first > last:
            first = add_months(last, -11)
        return first, last

    def show_period(self) -> None:
        """Fill empty month fields with the period in force, so that the form shows what the page counts."""
        first, last = self.period_months()
        if not self.start.data or self.start.errors:
            self.start.raw_data, self.start.data = None, first.strftime("%Y-%m")
        if not self.end.data or self.end.errors:
            self.end.raw_data, self.end.data = None, last.strftime("%Y-%m")

    def filters(self, zone: ZoneInfo, partner_id: int | None = None) -> StatisticsFilters:
        """The statistics filters these fields describe (invalid fields are ignored, and shown as errors)."""
        first, last = self.period_months()
        start, end = period_of_local_days(first, month_end(last), zone)
        return StatisticsFilters(
            start=start, end=end,
            direction=Direction(self.direction.data) if self.direction.data and not self.direction.errors else None,
            request_type_id=_number(self.request_type),
            partner_kind=(PartnerKind(self.partner_kind.data)
                          if self.partner_kind.data and not self.partner_kind.errors else None),
            officer_id=_number(self.officer),
            partner_id=partner_id,
        )

    def query_args(self) -> dict[str, str]:
        """The filters as set, for links that keep them (pages, exports)."""
        return {name: field.data for name, field in self._fields.items() if field.data and not field.errors}


def _number(field) -> int | None:
    if field.data and not field.errors and str(field.data).isdigit():
        return int(field.data)
    return None
