"""Letters drafted from the record: request letters, status enquiries, extension requests, replies; the outgoing
register; the administrators' templates."""

from flask import Blueprint

bp = Blueprint("letters", __name__)


@bp.record_once
def register_helpers(state) -> None:
    """What the request's page and the reminders page show of the letters (their views stay as they are)."""
    from coop.letters import labels

    state.app.jinja_env.globals.update(
        letters_of=views.letters_of, letter_for_deadline=views.letter_for_deadline,
        letter_kind_label=labels.letter_kind_label, letter_state_label=labels.letter_state_label,
        letter_language_label=labels.language_label,
    )


from coop.letters import views  # noqa: E402,F401  (registers the routes)
