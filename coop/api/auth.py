"""Who is calling the API: a personal token (Authorization: Bearer ...) or the browser's session.

A call with a token cannot be forged by another site (a browser never adds that header by itself), so it
needs no CSRF token. A call that rides on the session cookie could be forged, so its writes must carry the
CSRF token (X-CSRFToken header), exactly like the web forms.
"""

from flask import Request, current_app, g, request
from flask_babel import gettext as _
from flask_login import current_user

from coop.api.errors import ApiError
from coop.domain import audit
from coop.domain.tokens import find_token, note_use
from coop.extensions import csrf, db
from coop.models import ApiToken, User, utcnow

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_NOT_LOOKED_UP = object()


def bearer_token() -> ApiToken | None:
    """The usable token this call presents, looked up once per call (None when absent or not usable)."""
    found = g.get("api_token", _NOT_LOOKED_UP)
    if found is _NOT_LOOKED_UP:
        header = request.headers.get("Authorization", "")
        scheme, _space, presented = header.partition(" ")
        found = None
        if scheme.lower() == "bearer" and presented.strip():
            found = find_token(db.session, presented, utcnow())
        g.api_token = found
    return found


def load_user_from_token(call: Request) -> User | None:
    """Flask-Login's request loader: the owner of the token an API call presents, when there is no session."""
    if call.blueprint != "api" or "Authorization" not in call.headers:
        return None
    token = bearer_token()
    return token.user if token is not None else None


def caller() -> User:
    """The user the current API call acts for."""
    return g.api_user


def authenticate() -> None:
    """Before each API call: settle who calls, and refuse what the token or the session may not do."""
    if "Authorization" in request.headers:
        token = bearer_token()
        if token is None:
            raise ApiError(401, "invalid_token", _("The token is unknown, revoked or expired."))
        g.api_user = token.user
        if request.method not in SAFE_METHODS and not token.can_write:
            raise ApiError(403, "read_only_token", _("This token is read-only: it cannot change anything."))
        if note_use(db.session, token, utcnow()):
            db.session.commit()
        audit.set_actor(audit.Actor(token.user_id, f"{token.user.username} (token “{token.name}”)"[:200], "api"))
        return
    # require_login has already turned away anonymous calls (with a 401, see coop.api).
    g.api_user = current_user._get_current_object()
    if request.method not in SAFE_METHODS and current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()
    audit.set_actor(audit.Actor(current_user.id, current_user.username, "api"))


def via_detail() -> str | None:
    """What a change made by this call records as its channel's detail: the token's name (None for a session)."""
    token = g.get("api_token")
    return token.name if token else None
