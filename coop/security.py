"""Who may see what: login for every page, session revocation, safe redirects, response headers."""

from functools import wraps
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from coop.extensions import db, login_manager
from coop.models import Role, User

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)

# Endpoints a visitor may reach without logging in.
# The calendar feed: calendar applications cannot log in, the secret token in its URL is the credential.
PUBLIC_ENDPOINTS = frozenset({"auth.login", "main.set_language", "static", "main.health", "deadlines.calendar_feed"})


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to continue.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)
    app.before_request(require_login)
    app.after_request(set_security_headers)


def load_user(cookie_id: str) -> User | None:
    """The user whose id and current session token are in the cookie, if still active."""
    user_id, _, token = cookie_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_token != token:
        return None
    return user


# Endpoints a user who logged in with the password may reach before the second factor: the code, enrolment,
# logging out, the language.
BEFORE_SECOND_FACTOR = frozenset({"auth.second_factor_check", "auth.second_factor_setup", "auth.logout",
                                  "main.set_language", "static"})


def require_login():
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return require_second_factor()


def require_second_factor():
    """Send a user who has a second factor, or must have one, to it before anything else."""
    from coop.auth.second_factor import passed_second_factor, second_factor_required

    if request.endpoint in BEFORE_SECOND_FACTOR or passed_second_factor():
        return None
    if request.blueprint == "api" and "Authorization" in request.headers:
        return None  # a personal token is the credential; coop.api.auth checks it
    if current_user.has_second_factor:
        target = url_for("auth.second_factor_check", next=_here())
    elif second_factor_required(current_user):
        target = url_for("auth.second_factor_setup")
    else:
        return None
    if request.blueprint == "api":
        abort(401)
    return redirect(target)


def _here() -> str | None:
    """This page, to come back to after the second factor (only pages one can open again: GET)."""
    return request.full_path.rstrip("?") if request.method == "GET" else None


def set_security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    # Same-origin keeps Flask-WTF's referrer check working over HTTPS (no-referrer breaks it).
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if current_app.config["SESSION_COOKIE_SECURE"]:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if current_user and current_user.is_authenticated and "Cache-Control" not in headers:
        # Pages about suspects must not linger in shared caches or the back-button cache.
        headers["Cache-Control"] = "no-store"
    return response


def safe_next_url(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None (rejects `//evil`, `/\\evil`, schemes)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(char) < 32 for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def role_required(*roles: Role):
    """Decorator for views that only some roles may open (403 for the others)."""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
