"""Case-insensitive "contains" that works for Russian on SQLite and PostgreSQL alike, and stays cheap.

`contains_text` finds a piece of text in the columns the request list searches, through their trigram
indexes (coop.models.requests: an FTS5 table on SQLite, pg_trgm GIN indexes on PostgreSQL). Both fold letter
case in every alphabet and find any substring of at least three characters; a shorter needle has no trigram
to look up, and is found by reading the column.

`contains_ignoring_case` reads the column. SQLite's built-in lower() folds ASCII letters only, so
"Мошенничество" would never match "мошенничество": SQLite connections get `coop_lower`, Python's Unicode
lower(); PostgreSQL's own lower() already follows Unicode. Calling Python for every row is slow on a large
table, so it is used only when the searched text has letters outside ASCII: an ASCII needle cannot match a
non-ASCII character, and the native lower() is exact for it.
"""

import sqlite3

from sqlalchemy import String, bindparam, event, func, or_
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement, GenericFunction

from coop.models.requests import SEARCHED_COLUMNS, fts_table

# The shortest needle a trigram index can find.
MIN_INDEXED_LENGTH = 3
_LIKE_ESCAPE = "/"


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


def contains_text(columns, text: str):
    """A condition: one of `columns` (searched columns of one table) contains `text`, letter case ignored.

    Uses the table's trigram index when `text` is long enough for one, else reads the columns.
    """
    columns = list(columns)
    table = columns[0].table.name
    unknown = {column.name for column in columns} - set(SEARCHED_COLUMNS[table])
    if unknown:
        raise ValueError(f"{table}.{', '.join(sorted(unknown))} has no text search index")
    if len(text) < MIN_INDEXED_LENGTH:
        return or_(*(contains_ignoring_case(column, text) for column in columns))
    # Both forms of the needle go with the condition; each database's SQL uses its own.
    quoted = text.replace('"', '""')
    fts_query = f'"{quoted}"'  # one phrase: the needle's trigrams, in a row
    if len(columns) < len(SEARCHED_COLUMNS[table]):
        # Limited to these columns (a filter that costs time, so not written when it is every column).
        names = " ".join(column.name for column in columns)
        fts_query = f"{{{names}}} : {fts_query}"
    escaped = text.lower()
    for special in (_LIKE_ESCAPE, "%", "_"):
        escaped = escaped.replace(special, _LIKE_ESCAPE + special)
    return _indexed_contains(*columns, bindparam(None, fts_query, String()),
                             bindparam(None, f"%{escaped}%", String()))


class _indexed_contains(FunctionElement):  # noqa: N801
    """The columns, then an FTS5 query and a LIKE pattern for the same needle (see `contains_text`)."""

    # No Boolean type: SQLite would get "... = 1", which hides the IN from its planner.
    inherit_cache = True
    name = "indexed_contains"


def _parts(element):
    *columns, fts_query, like_pattern = element.clauses.clauses
    return columns, fts_query, like_pattern


@compiles(_indexed_contains)
def _compile_indexed_contains(element, compiler, **kw):
    # PostgreSQL: the pg_trgm index on lower(column) serves LIKE '%...%'.
    columns, _fts_query, like_pattern = _parts(element)
    matches = or_(*(func.lower(column).like(like_pattern, escape=_LIKE_ESCAPE) for column in columns))
    return compiler.process(matches.self_group(), **kw)


@compiles(_indexed_contains, "sqlite")
def _compile_indexed_contains_sqlite(element, compiler, **kw):
    columns, fts_query, _like_pattern = _parts(element)
    table = columns[0].table
    fts = fts_table(table.name)
    return (f"{compiler.process(table.c.id, **kw)} IN "
            f"(SELECT rowid FROM {fts} WHERE {fts} MATCH {compiler.process(fts_query, **kw)})")


def _python_lower(value):
    return value.lower() if isinstance(value, str) else value


@event.listens_for(Engine, "connect")
def _add_unicode_lower_to_sqlite(dbapi_connection, _record):
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.create_function("coop_lower", 1, _python_lower, deterministic=True)
