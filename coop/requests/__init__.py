from flask import Blueprint

from coop import labels

bp = Blueprint("requests", __name__)


@bp.record_once
def register_label_helpers(state) -> None:
    """Names of statuses, urgencies ... for every template (other areas show requests too)."""
    state.app.jinja_env.globals.update(
        status_label=labels.status_label,
        status_action_label=labels.status_action_label,
        urgency_label=labels.urgency_label,
        direction_label=labels.direction_label,
        identifier_kind_label=labels.identifier_kind_label,
        document_kind_label=labels.document_kind_label,
        platform_label=labels.platform_label,
        transmission_label=labels.transmission_label,
    )


from coop.requests import list_views, views  # noqa: E402,F401  (registers the routes)
