"""Translated names of the deadline area's enum values and of Kazakhstan's public holidays."""

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from coop.models import (
    AdjustmentKind,
    ClockUnit,
    DeadlineKind,
    DeadlineState,
    OutboxState,
    ReminderKind,
    ReminderState,
    StartEvent,
    StopEvent,
    WorkingCalendar,
)

DEADLINE_KIND_LABELS = {
    DeadlineKind.ANSWER_EXPECTED: _l("Answer expected"),
    DeadlineKind.CONFIRMATION_EXPECTED: _l("Confirmation of the preservation expected"),
    DeadlineKind.STATUS_ENQUIRY: _l("Status enquiry"),
    DeadlineKind.HEAD_REVIEW: _l("Review by the head"),
    DeadlineKind.PRESERVATION_EXPIRY: _l("Preservation expires"),
    DeadlineKind.EXECUTION_DEADLINE: _l("Our execution deadline"),
    DeadlineKind.AUTHORISATION_END: _l("Authorisation ends"),
    DeadlineKind.AGREEMENT_END: _l("Agreement ends"),
    DeadlineKind.ORDER_EXPIRY: _l("Freeze order expires"),
    DeadlineKind.TIME_LIMIT: _l("Treaty or national time limit"),
}

DEADLINE_STATE_LABELS = {
    DeadlineState.OPEN: _l("Running"),
    DeadlineState.PAUSED: _l("Paused"),
    DeadlineState.MET: _l("Met"),
    DeadlineState.CANCELLED: _l("Cancelled"),
}

CLOCK_UNIT_LABELS = {
    ClockUnit.CALENDAR_DAYS: _l("calendar days"),
    ClockUnit.WORKING_DAYS: _l("working days"),
    ClockUnit.HOURS: _l("hours"),
}

START_EVENT_LABELS = {
    StartEvent.CREATED: _l("Created"),
    StartEvent.SENT: _l("Sent to the partner"),
    StartEvent.CONFIRMED: _l("Confirmed by the partner"),
    StartEvent.RECEIVED: _l("Received from the partner"),
    StartEvent.REQUESTED_DATE: _l("The date we asked for"),
    StartEvent.ENTERED: _l("Date entered for each request"),
}

STOP_EVENT_LABELS = {
    StopEvent.ANSWERED: _l("The partner answered"),
    StopEvent.CONFIRMED: _l("The partner confirmed"),
    StopEvent.FOLLOW_UP_SENT: _l("The follow-up request was sent"),
    StopEvent.NONE: _l("Only when the request is closed"),
}

CALENDAR_LABELS = {
    WorkingCalendar.KAZAKHSTAN: _l("Working days of Kazakhstan"),
    WorkingCalendar.PARTNER: _l("The partner's working days"),
}

REMINDER_KIND_LABELS = {
    ReminderKind.BEFORE: _l("Coming up"),
    ReminderKind.AFTER: _l("Date reached"),
    ReminderKind.ESCALATION: _l("Escalated to the head"),
    ReminderKind.MOVED: _l("Date moved"),
}

REMINDER_STATE_LABELS = {
    ReminderState.PENDING: _l("Planned"),
    ReminderState.SENT: _l("Sent"),
    ReminderState.DONE: _l("Done"),
    ReminderState.SNOOZED: _l("Snoozed"),
    ReminderState.CANCELLED: _l("Cancelled"),
}

ADJUSTMENT_KIND_LABELS = {
    AdjustmentKind.EXTENSION: _l("Extension"),
    AdjustmentKind.DATE_SET: _l("Date set by hand"),
    AdjustmentKind.ENQUIRY_SENT: _l("Status enquiry sent"),
}

OUTBOX_STATE_LABELS = {
    OutboxState.QUEUED: _l("Queued"),
    OutboxState.SENDING: _l("Being sent"),
    OutboxState.SENT: _l("Sent"),
    OutboxState.FAILED: _l("Refused"),
}

# Why a clock ended (Deadline.ended_reason): what met it, or the request's final status.
ENDED_REASON_LABELS = {
    "answered": _l("the partner answered"),
    "confirmed": _l("the partner confirmed"),
    "follow_up_sent": _l("the follow-up request was sent"),
    "enquiry_sent": _l("the status enquiry was sent"),
    "no_longer_applies": _l("no rule applies to the request any more"),
    "closed": _l("the request was closed"),
    "refused": _l("the request was refused"),
    "no_data": _l("no data is held"),
    "expired": _l("the preservation expired"),
    "withdrawn": _l("the request was withdrawn"),
}

START_LABELS = {
    "created": _l("created"),
    "sent": _l("sent to the partner"),
    "confirmed": _l("confirmed by the partner"),
    "received": _l("received"),
    "entered": _l("date entered"),
}

# The public holidays of Kazakhstan as the `holidays` package names them.
HOLIDAY_NAMES = {
    "New Year's Day": _l("New Year's Day"),
    "Orthodox Christmas": _l("Orthodox Christmas"),
    "International Women's Day": _l("International Women's Day"),
    "Nowruz Holiday": _l("Nauryz"),
    "Kazakhstan's People Solidarity Holiday": _l("Unity Day of the People of Kazakhstan"),
    "Defender of the Fatherland Day": _l("Defender of the Fatherland Day"),
    "Victory Day": _l("Victory Day"),
    "Capital Day": _l("Capital Day"),
    "Constitution Day": _l("Constitution Day"),
    "Republic Day": _l("Republic Day"),
    "Independence Day": _l("Independence Day"),
    "First President Day": _l("First President Day"),
    "Eid al-Adha": _l("Kurban Ait"),
}
_SUBSTITUTED = re.compile(r"^Day off \(substituted from (\d{2})/(\d{2})/(\d{4})\)$")


def deadline_kind_label(kind: DeadlineKind | str) -> str:
    return str(DEADLINE_KIND_LABELS.get(DeadlineKind(kind), kind))


def deadline_state_label(state: DeadlineState) -> str:
    return str(DEADLINE_STATE_LABELS[state])


def clock_unit_label(unit: ClockUnit | str) -> str:
    return str(CLOCK_UNIT_LABELS[ClockUnit(unit)])


def reminder_kind_label(kind: ReminderKind) -> str:
    return str(REMINDER_KIND_LABELS[kind])


def reminder_state_label(state: ReminderState) -> str:
    return str(REMINDER_STATE_LABELS[state])


def adjustment_label(kind: AdjustmentKind) -> str:
    return str(ADJUSTMENT_KIND_LABELS[kind])


def outbox_state_label(state: OutboxState) -> str:
    return str(OUTBOX_STATE_LABELS[state])


def holiday_label(name: str) -> str:
    """A holiday's name from the `holidays` package, in the user's language (unknown names as they are)."""
    return "; ".join(_one_holiday(part) for part in name.split("; "))


def _one_holiday(name: str) -> str:
    if match := _SUBSTITUTED.match(name):
        month, day, year = match.groups()
        moved_from = ".".join((day, month, year))
        return _("Day off moved from %(date)s", date=moved_from)
    for suffix, wording in ((" (observed)", _l("%(name)s, moved from the weekend")),
                            (" (estimated)", _l("%(name)s, date estimated"))):
        if name.endswith(suffix):
            base = name.removesuffix(suffix)
            return str(wording) % {"name": HOLIDAY_NAMES.get(base, base)}
    return str(HOLIDAY_NAMES.get(name, name))
