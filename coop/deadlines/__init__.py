from flask import Blueprint
from flask_babel import format_date

from coop.deadlines import labels

bp = Blueprint("deadlines", __name__)


@bp.record_once
def register_template_helpers(state) -> None:
    """The reminder counter of the top bar and the deadlines card of a request's page, for every template."""
    from coop.deadlines.panel import deadline_panel, due_relative, format_deadline_label, format_due, partner_time
    from coop.deadlines.views import waiting_reminder_count

    state.app.jinja_env.globals.update(
        deadline_kind_label=labels.deadline_kind_label,
        deadline_state_label=labels.deadline_state_label,
        clock_unit_label=labels.clock_unit_label,
        reminder_kind_label=labels.reminder_kind_label,
        reminder_state_label=labels.reminder_state_label,
        adjustment_label=labels.adjustment_label,
        outbox_state_label=labels.outbox_state_label,
        start_event_label=lambda event: str(labels.START_EVENT_LABELS[event]),
        stop_event_label=lambda event: str(labels.STOP_EVENT_LABELS[event]),
        holiday_label=labels.holiday_label,
        weekday_name=lambda day: format_date(day, "EEE"),
        deadline_label=format_deadline_label,
        deadline_panel=deadline_panel,
        due_relative=due_relative,
        format_due=format_due,
        partner_time=partner_time,
        waiting_reminder_count=waiting_reminder_count,
    )


from coop.deadlines import admin_views, views  # noqa: E402,F401  (registers the routes)
