"""Our own reference numbers: "OUT-2026-00042", "IN-2026-00007" - unique, in order, never reused.

The counter row of a series is incremented in place by one UPDATE ... RETURNING inside the caller's
transaction. On PostgreSQL that UPDATE takes the row lock, so parallel creations queue behind each other
and each gets the next number; on SQLite the write transaction (BEGIN IMMEDIATE) does the same. A creation
that rolls back rolls its increment back with it, so no number is lost to a failed save.
"""

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from coop.models import Direction, ReferenceCounter

PREFIXES = {Direction.OUTGOING: "OUT", Direction.INCOMING: "IN"}
DIGITS = 5


def series_name(direction: Direction, year: int) -> str:
    """The series a reference belongs to, e.g. "OUT-2026"."""
    return f"{PREFIXES[direction]}-{year}"


def format_reference(series: str, number: int) -> str:
    return f"{series}-{number:0{DIGITS}d}"


def allocate_reference(session: Session, direction: Direction, year: int) -> str:
    """The next reference of the (direction, year) series, taken inside the caller's transaction."""
    series = series_name(direction, year)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # A new series starts at zero; if a parallel transaction creates it first, this waits and does nothing.
    session.execute(
        insert(ReferenceCounter).values(series=series, last_value=0).on_conflict_do_nothing(index_elements=["series"])
    )
    number = session.execute(
        update(ReferenceCounter)
        .where(ReferenceCounter.series == series)
        .values(last_value=ReferenceCounter.last_value + 1)
        .returning(ReferenceCounter.last_value)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    return format_reference(series, number)
