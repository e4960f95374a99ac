"""The JSON API (/api/v1) for other systems, and the account pages where people manage their API tokens."""

from flask import Blueprint

bp = Blueprint("api", __name__)


@bp.record_once
def set_up(state) -> None:
    """Token authentication and the pages that go with it, once per application."""
    from coop.api import auth
    from coop.api.account import bp as account_bp
    from coop.extensions import csrf, login_manager

    # A call with a token needs no CSRF token; `auth.authenticate` checks it for calls made with the session.
    csrf.exempt(bp)
    login_manager.request_loader(auth.load_user_from_token)
    # An API call without valid credentials gets a 401 in JSON, not a redirect to the login page.
    login_manager.blueprint_login_views[bp.name] = None
    # The token pages are web pages of the account, outside /api/v1.
    state.app.register_blueprint(account_bp, url_prefix="/account/tokens")


def _rate_limit() -> str:
    from flask import current_app

    return current_app.config.get("COOP_API_RATE_LIMIT", "600 per minute")


def _caller_key() -> str:
    """Calls are counted per token (its public prefix), else per address."""
    from flask import request
    from flask_limiter.util import get_remote_address

    scheme, _space, presented = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and presented.startswith("coop_"):
        return "token:" + presented.split("_")[1][:16]
    return get_remote_address()


def _limit_calls() -> None:
    from coop.extensions import limiter

    limiter.limit(_rate_limit, key_func=_caller_key)(bp)


_limit_calls()


@bp.url_value_preprocessor
def refuse_impossible_ids(_endpoint, values) -> None:
    """An id beyond what the database holds names nothing: 404 (and no overflow in the database driver)."""
    from flask import abort

    from coop.api.fields import MAX_ID

    if values and any(isinstance(value, int) and value > MAX_ID for value in values.values()):
        abort(404)


@bp.before_request
def check_call():
    from coop.api.auth import authenticate
    from coop.api.errors import refuse_unreadable_arguments
    from coop.api.openapi import refuse_unknown_arguments

    refuse_unreadable_arguments()
    authenticate()
    refuse_unknown_arguments()


# Importing the view modules registers their routes.
from coop.api import (  # noqa: E402,F401
    deadline_views,
    letter_views,
    network_views,
    request_parts,
    request_views,
    views,
)
