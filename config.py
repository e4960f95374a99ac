"""coop's settings: defaults here, every one overridable by a COOP_* environment variable.

No secret lives in this file. When COOP_SECRET_KEY is not set, the application generates a key once
into its instance folder and every worker reads that same file.
"""

import os
from datetime import timedelta


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


class Config:
    # None means "an SQLite file in the instance folder", filled in by the factory.
    SQLALCHEMY_DATABASE_URI = os.environ.get("COOP_DATABASE_URL")
    SECRET_KEY = os.environ.get("COOP_SECRET_KEY")

    BABEL_DEFAULT_LOCALE = os.environ.get("COOP_DEFAULT_LANGUAGE", "ru")
    # In the order the language switch shows them: the state language first.
    COOP_LANGUAGES = ("kk", "ru", "en")
    # Deadlines are computed on the server in this zone, never in the browser's.
    COOP_TIMEZONE = os.environ.get("COOP_TIMEZONE", "Asia/Almaty")
    BABEL_DEFAULT_TIMEZONE = COOP_TIMEZONE

    # Mail goes through the outbox; these only say where the sender delivers it.
    MAIL_SERVER = os.environ.get("COOP_MAIL_SERVER", "localhost")
    MAIL_PORT = _env_int("COOP_MAIL_PORT", 25)
    MAIL_USERNAME = os.environ.get("COOP_MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("COOP_MAIL_PASSWORD")
    MAIL_USE_TLS = _env_bool("COOP_MAIL_USE_TLS", False)
    MAIL_SENDER = os.environ.get("COOP_MAIL_SENDER", "coop@localhost")
    COOP_BASE_URL = os.environ.get("COOP_BASE_URL", "http://127.0.0.1:5000")

    # Sessions: HttpOnly, SameSite, Secure behind HTTPS; they end after a period without activity.
    SESSION_COOKIE_NAME = "coop_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("COOP_SECURE_COOKIES", False)
    PERMANENT_SESSION_LIFETIME = timedelta(minutes=_env_int("COOP_SESSION_IDLE_MINUTES", 60))
    SESSION_REFRESH_EACH_REQUEST = True
    # Remember-me is not offered; these harden the cookie should it ever be.
    REMEMBER_COOKIE_DURATION = timedelta(days=1)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE

    # A CSRF token lives as long as the session: long forms must not expire under an officer's hands.
    WTF_CSRF_TIME_LIMIT = None

    MAX_CONTENT_LENGTH = _env_int("COOP_MAX_UPLOAD_MB", 25) * 1024 * 1024
    # Letter templates (.docx with fields) are small; a larger upload is refused before it is parsed.
    COOP_MAX_TEMPLATE_BYTES = _env_int("COOP_MAX_TEMPLATE_MB", 5) * 1024 * 1024
    # None means "uploads/ in the instance folder".
    COOP_UPLOAD_FOLDER = os.environ.get("COOP_UPLOAD_FOLDER")

    # Per-IP request limits; memory:// counts per process, so use redis:// with several workers.
    RATELIMIT_STORAGE_URI = os.environ.get("COOP_RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    COOP_LOGIN_RATE_LIMIT = os.environ.get("COOP_LOGIN_RATE_LIMIT", "30 per minute")
    # Failed logins per account, counted in the database so that all workers agree.
    COOP_MAX_FAILED_LOGINS = _env_int("COOP_MAX_FAILED_LOGINS", 5)
    COOP_FAILED_LOGIN_WINDOW = timedelta(minutes=_env_int("COOP_FAILED_LOGIN_WINDOW_MINUTES", 15))
    COOP_MIN_PASSWORD_LENGTH = _env_int("COOP_MIN_PASSWORD_LENGTH", 10)

    # The Ed25519 key that signs the audit trail's checkpoints; None means "audit_signing_key" in the instance
    # folder. Keep it (and a copy of its .pub) off the database server's backups of the database.
    COOP_AUDIT_KEY_FILE = os.environ.get("COOP_AUDIT_KEY_FILE")
    # The reminder sweep writes a checkpoint once a day and e-mails it to the heads and administrators.
    COOP_DAILY_CHECKPOINT = _env_bool("COOP_DAILY_CHECKPOINT", True)
    # The second factor (TOTP): required for these roles, and for everyone with COOP_REQUIRE_MFA=1.
    COOP_MFA_REQUIRED_ROLES = tuple(
        role.strip() for role in os.environ.get("COOP_MFA_REQUIRED_ROLES", "head,admin").split(",") if role.strip())
    COOP_REQUIRE_MFA = _env_bool("COOP_REQUIRE_MFA", False)
    # Creating an API token needs a session that passed the second factor.
    COOP_MFA_FOR_TOKENS = _env_bool("COOP_MFA_FOR_TOKENS", True)
    COOP_MFA_ISSUER = os.environ.get("COOP_MFA_ISSUER", "coop")

    # Refuse to serve on a database whose schema is older than the code.
    COOP_CHECK_SCHEMA = True
