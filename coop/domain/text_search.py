"""Case-insensitive "contains" that works for Russian on SQLite and PostgreSQL alike, and stays cheap.

SQLite's built-in lower() folds ASCII letters only, so "Мошенничество" would never match "мошенничество".
SQLite connections get `coop_lower`, Python's Unicode lower(); PostgreSQL's own lower() already follows
Unicode. Calling Python for every row is slow on a large table, so it is used only when the searched text
has letters outside ASCII: an ASCII needle cannot match a non-ASCII character, and the native lower() is
exact for it.
"""

import sqlite3

from sqlalchemy import String, event, func
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import GenericFunction


class unicode_lower(GenericFunction):  # noqa: N801  (SQL function names are lower case)
    """lower() that folds every alphabet, on every database coop supports."""

    type = String()
    inherit_cache = True


@compiles(unicode_lower)
def _compile_unicode_lower(element, compiler, **kw):
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(unicode_lower, "sqlite")
def _compile_unicode_lower_sqlite(element, compiler, **kw):
    return f"coop_lower({compiler.process(element.clauses, **kw)})"


def contains_ignoring_case(column, text: str):
    """A condition: `column` contains `text`, letter case ignored (LIKE wildcards in `text` are literal)."""
    needle = text.lower()
    lowered = func.lower(column) if needle.isascii() else unicode_lower(column)
    return lowered.contains(needle, autoescape=True)


def _python_lower(value):
    return value.lower() if isinstance(value, str) else value


@event.listens_for(Engine, "connect")
def _add_unicode_lower_to_sqlite(dbapi_connection, _record):
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.create_function("coop_lower", 1, _python_lower, deterministic=True)
