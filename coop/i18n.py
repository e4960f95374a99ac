"""Language choice and the way dates and numbers are written for the people who read them."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app, request, session
from flask_babel import format_date, format_decimal, get_locale
from flask_login import current_user

# Kazakhstan writes dates day first with dots in every language: 29.11.2026, 14:05.
DATE_FORMAT = "%d.%m.%Y"
DATETIME_FORMAT = "%d.%m.%Y %H:%M"

# Each language named in itself, in the switch's order (config COOP_LANGUAGES).
LANGUAGE_NAMES = {"kk": "Қазақша", "ru": "Русский", "en": "English"}


def select_locale() -> str:
    """The user's saved language, else the one chosen before login, else the browser's, else the default."""
    languages = current_app.config["COOP_LANGUAGES"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    if session.get("language") in languages:
        return session["language"]
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["COOP_TIMEZONE"]


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["COOP_TIMEZONE"])


def format_local_date(value: date | datetime | None) -> str:
    """A date as people in Kazakhstan write it (a datetime is first moved into coop's zone)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(local_zone())
    return value.strftime(DATE_FORMAT)


def format_local_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(local_zone()).strftime(DATETIME_FORMAT)


def format_number(value) -> str:
    return format_decimal(value) if value is not None else ""


def format_month(value: date | None) -> str:
    """A month named in the reader's language, e.g. "Қараша 2026", "ноябрь 2026", "November 2026"."""
    return format_date(value, "LLLL y").capitalize() if value is not None else ""


def check_languages(config) -> None:
    """Refuse to start with a default language coop does not speak: every page would fall back silently."""
    if config["BABEL_DEFAULT_LOCALE"] not in config["COOP_LANGUAGES"]:
        raise ValueError(f"COOP_DEFAULT_LANGUAGE must be one of {', '.join(config['COOP_LANGUAGES'])}, "
                         f"not {config['BABEL_DEFAULT_LOCALE']!r}")


def init_app(app: Flask) -> None:
    check_languages(app.config)
    app.jinja_env.filters["date"] = format_local_date
    app.jinja_env.filters["datetime"] = format_local_datetime
    app.jinja_env.filters["number"] = format_number
    app.jinja_env.filters["month"] = format_month

    @app.context_processor
    def language_context():
        return {"current_language": str(get_locale()), "language_names": LANGUAGE_NAMES}
