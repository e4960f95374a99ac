"""What a request's page shows of its clocks: each deadline, the partner's local time beside it, and how it
was computed (start, rule, days skipped, pauses, extensions), in the reader's language."""

from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from coop.deadlines.labels import (
    ENDED_REASON_LABELS,
    START_LABELS,
    clock_unit_label,
    deadline_kind_label,
    holiday_label,
)
from coop.domain.access import can_edit
from coop.domain.calendars import in_zone, local_date
from coop.domain.deadlines import clocks_to_enter, extensions_left
from coop.extensions import db
from coop.i18n import format_local_date, format_local_datetime, local_zone
from coop.models import (
    ClockUnit,
    CooperationRequest,
    Deadline,
    DeadlineKind,
    DeadlineRule,
    DeadlineState,
    Reminder,
    ReminderState,
    utcnow,
)

ACTIVE = (DeadlineState.OPEN, DeadlineState.PAUSED)


def format_due(moment: datetime | None, unit: ClockUnit) -> str:
    """A due date as people read it: the day for clocks in days, the day and time for clocks in hours."""
    if moment is None:
        return "—"
    return format_local_date(moment) if unit != ClockUnit.HOURS else format_local_datetime(moment)


def partner_time(moment: datetime, zone_name: str | None) -> str | None:
    """`moment` on the partner's wall clock, with the zone's abbreviation (None without a usable zone)."""
    local = in_zone(moment, zone_name)
    if local is None:
        return None
    return f"{local.strftime('%d.%m.%Y %H:%M')} {local.tzname()}"


@dataclass
class ExplanationLine:
    label: str
    text: str
    details: list[str] = field(default_factory=list)


@dataclass
class DeadlineRow:
    deadline: Deadline
    explanation: list[ExplanationLine]
    partner_time: str | None
    extensions_left: int
    reminders: list[Reminder]

    @property
    def active(self) -> bool:
        return self.deadline.state in ACTIVE


@dataclass
class DeadlinePanel:
    request: CooperationRequest
    rows: list[DeadlineRow]
    to_enter: list[DeadlineRule]
    linked: list[tuple[CooperationRequest, Deadline]]
    editable: bool
    now: datetime


def deadline_panel(request: CooperationRequest) -> DeadlinePanel:
    """The deadlines card of a request's page (the request was already checked to be visible)."""
    session = db.session
    deadlines = list(session.scalars(
        select(Deadline).where(Deadline.request_id == request.id).options(selectinload(Deadline.rule))))
    upcoming: dict[int, list[Reminder]] = {}
    now = utcnow()
    for reminder in session.scalars(select(Reminder).where(
            Reminder.request_id == request.id, Reminder.state == ReminderState.PENDING, Reminder.due_at > now,
            Reminder.recipient_id == current_user.id).order_by(Reminder.due_at)):
        upcoming.setdefault(reminder.deadline_id, []).append(reminder)
    zone = request.partner.time_zone if request.partner else None
    # Running clocks first, the nearest first; then the ended ones, the latest first.
    deadlines.sort(key=lambda row: (row.state not in ACTIVE, row.state == DeadlineState.CANCELLED,
                                    row.due_at.timestamp() * (1 if row.state in ACTIVE else -1), row.sequence))
    rows = [DeadlineRow(deadline, explain(deadline), partner_time(deadline.due_at, zone), extensions_left(deadline),
                        upcoming.get(deadline.id, [])) for deadline in deadlines]
    linked = []
    if request.follows_id is not None:
        linked = list(session.execute(
            select(CooperationRequest, Deadline).join(Deadline, Deadline.request_id == CooperationRequest.id)
            .where(CooperationRequest.id == request.follows_id, Deadline.state.in_(ACTIVE),
                   Deadline.kind == DeadlineKind.PRESERVATION_EXPIRY)))
    editable = can_edit(current_user, request)
    return DeadlinePanel(request, rows, clocks_to_enter(session, request) if editable else [], linked, editable, now)


def due_relative(deadline: Deadline, now: datetime) -> str:
    """How far the date is, as a reader wants it: "in 5 days", "overdue by 3 h", "today"."""
    if deadline.state == DeadlineState.PAUSED:
        return _("paused")
    if deadline.state != DeadlineState.OPEN:
        return ""
    seconds = (deadline.due_at - now).total_seconds()
    if deadline.unit == ClockUnit.HOURS or abs(seconds) < 36 * 3600:
        hours = int(abs(seconds) // 3600)
        if seconds >= 0:
            return _("in %(hours)d h", hours=hours) if hours else _("within the hour")
        return _("overdue by %(hours)d h", hours=hours) if hours else _("overdue")
    zone = local_zone()
    days = (local_date(deadline.due_at, zone) - local_date(now, zone)).days
    if days > 0:
        return _("in %(days)d days", days=days)
    if days == 0:
        return _("today") if seconds >= 0 else _("overdue")
    return _("overdue by %(days)d days", days=-days)


# --- the explanation ---------------------------------------------------------------------------------------------

def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _day(text: str) -> str:
    return date.fromisoformat(text).strftime("%d.%m.%Y")


def explain(deadline: Deadline) -> list[ExplanationLine]:
    """How the deadline was computed, line by line."""
    facts = deadline.explanation or {}
    rule = facts.get("rule") or {}
    unit = deadline.unit
    lines = []
    start = facts.get("start") or {}
    if start.get("at"):
        event = START_LABELS.get(start.get("event"), start.get("event"))
        lines.append(ExplanationLine(_("Start"), f"{event}: {format_local_datetime(_moment(start['at']))}"))
    lines.append(ExplanationLine(_("Rule"), _rule_text(rule, unit)))
    if facts.get("base_due") and rule.get("start_event") != "entered":
        lines.append(ExplanationLine(_("Date by the rule"), format_due(_moment(facts["base_due"]), unit)))
    skipped = facts.get("skipped") or {}
    if skipped:
        details = [f"{_day(item['day'])} — {_day_off_name(item)}" for item in skipped.get("days_off", [])]
        details += [_("%(day)s — weekend day worked", day=_day(day)) for day in skipped.get("worked_weekend_days", [])]
        lines.append(ExplanationLine(
            _("Days not counted"),
            _("%(weekend)d weekend days, %(holidays)d holidays and days off",
              weekend=skipped.get("weekend_days", 0), holidays=len(skipped.get("days_off", []))), details))
    for step in facts.get("steps", []):
        lines.append(_step_line(step, unit))
    end = facts.get("end")
    if end:
        reason = ENDED_REASON_LABELS.get(end.get("reason"), end.get("reason") or "")
        label = _("Met") if end.get("state") == DeadlineState.MET else _("Cancelled")
        when = format_local_datetime(_moment(end.get("at"))) if end.get("at") else ""
        lines.append(ExplanationLine(label, f"{when}: {reason}" if when else str(reason)))
    return lines


def _rule_text(rule: dict, unit: ClockUnit) -> str:
    scope = " · ".join([rule.get("type") or "?", rule.get("basis") or _("any basis"),
                        rule.get("partner") or _("any partner")])
    if rule.get("start_event") == "entered":
        length = _("the date is entered for each request")
    elif rule.get("start_event") == "requested_date":
        length = _("the date we asked for (%(date)s)", date=_day(rule["requested_by"]) if rule.get("requested_by")
                   else "—")
    else:
        length = _("%(amount)s %(unit)s", amount=rule.get("amount"), unit=clock_unit_label(unit))
        if rule.get("calendar") == "KZ":
            length += " " + _("by the calendar of Kazakhstan")
        elif rule.get("calendar"):
            length += " " + _("by the calendar of %(country)s", country=rule["calendar"])
        elif rule.get("calendar") is not None:
            length += " " + _("by the partner's weekends")
        if rule.get("sequence"):
            length += " · " + _("occurrence %(number)d", number=rule["sequence"] + 1)
    return f"{length} — {scope}"


def _day_off_name(item: dict) -> str:
    if item.get("reason") == "added":
        return _("day off added by an administrator: %(note)s", note=item.get("name") or "")
    return holiday_label(item.get("name") or "")


def _step_line(step: dict, unit: ClockUnit) -> ExplanationLine:
    before, after = _moment(step.get("due_before")), _moment(step.get("due_after"))
    moved = (_("%(before)s → %(after)s", before=format_due(before, unit), after=format_due(after, unit))
             if before and after else format_due(after or before, unit))
    kind = step.get("type")
    if kind == "pause":
        if step.get("to") is None:
            return ExplanationLine(_("Paused"), _("since %(start)s: we owe the partner additional information",
                                                  start=format_local_datetime(_moment(step["from"]))))
        return ExplanationLine(_("Paused"), _("%(start)s – %(end)s, we owed the partner additional information: "
                                              "%(moved)s", start=format_local_datetime(_moment(step["from"])),
                                              end=format_local_datetime(_moment(step["to"])), moved=moved))
    who = step.get("by") or _("unknown")
    when = format_local_datetime(_moment(step.get("at")))
    details = [_("Reason: %(reason)s", reason=step["reason"])] if step.get("reason") else []
    if kind == "extension":
        return ExplanationLine(_("Extension"), _("by %(amount)s %(unit)s on %(when)s (%(who)s): %(moved)s",
                                                 amount=step.get("amount"), unit=clock_unit_label(unit),
                                                 when=when, who=who, moved=moved), details)
    return ExplanationLine(_("Date set"), _("on %(when)s (%(who)s): %(moved)s", when=when, who=who, moved=moved),
                           details)


def format_deadline_label(deadline: Deadline) -> str:
    label = deadline_kind_label(deadline.kind)
    if deadline.kind == DeadlineKind.STATUS_ENQUIRY:
        label += " " + _("No. %(number)d", number=deadline.sequence + 1)
    return label
