"""Engine set-up that differs by database: SQLite pragmas, write transactions and the planner's statistics.

coop's queries are written and indexed so that SQLite plans them well without statistics (a database nobody
analysed); statistics are still kept the way SQLite recommends: `PRAGMA optimize` when a connection closes and
after each reminder sweep (cheap: it analyses only the tables whose size changed a lot, each on a sample), and a
full `ANALYZE` after `coop db upgrade` changed the schema. PostgreSQL's autovacuum keeps its own; where it
is switched off, the sweep does its analysing.
"""

import contextlib
import sqlite3

from flask import has_request_context, request
from sqlalchemy import Connection, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

# An execution option marking a connection that only reads (its SQLite transactions take no write lock).
READ_ONLY = "coop_read_only"


def read_only_session(engine: Engine) -> Session:
    """A session for long reads that must not hold SQLite's write lock (it must not write)."""
    return Session(engine.execution_options(**{READ_ONLY: True}))

# Rows SQLite reads per index when `PRAGMA optimize` analyses a table (its recommended bound, a few ms each).
ANALYSIS_LIMIT = 400


# PostgreSQL tables that autovacuum would analyse now (its default threshold: 50 rows and a tenth of the table
# changed since the last analysis), asked only where autovacuum is switched off.
_STALE_POSTGRESQL_TABLES = """
    SELECT schemaname, relname FROM pg_stat_user_tables
    WHERE current_setting('autovacuum') = 'off' AND n_mod_since_analyze > 50 + 0.1 * n_live_tup
    ORDER BY relname"""


def optimize(connection: Connection) -> None:
    """Refresh the statistics of the tables that need it: SQLite's `PRAGMA optimize`; on PostgreSQL, where its
    autovacuum is switched off (a database nobody analyses: every page planned blind, the dashboard at 1 s
    instead of 0.2 s on a million requests), what its analysis would have done."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
        connection.exec_driver_sql("PRAGMA optimize")
    elif connection.dialect.name == "postgresql":
        for schema, table in connection.exec_driver_sql(_STALE_POSTGRESQL_TABLES).all():
            connection.exec_driver_sql(f'ANALYZE "{schema}"."{table}"')


def refresh_statistics(connection: Connection) -> None:
    """Count the planner's statistics of every table in full (after a migration)."""
    connection.exec_driver_sql("ANALYZE")


def configure_engine(engine: Engine) -> None:
    """Make an SQLite engine safe for several processes; leave other databases alone."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not the driver, open transactions, so we can choose BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "close")
    def on_close(dbapi_connection, _record):
        # SQLite's advice: optimize before closing a connection (it uses what this connection's queries needed).
        with contextlib.suppress(sqlite3.Error):  # a busy or read-only database keeps its old statistics
            dbapi_connection.execute(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
            dbapi_connection.execute("PRAGMA optimize")

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        if connection.get_execution_options().get(READ_ONLY):
            # A long reader (`coop audit verify`): WAL lets it read its snapshot while others write.
            connection.exec_driver_sql("BEGIN")
            return
        # A deferred transaction that reads then writes fails at once with SQLITE_BUSY_SNAPSHOT
        # when another connection wrote in between; taking the write lock up front lets it wait.
        # A page that only reads (GET) would then wait for every writer and every other reader, so it reads in a
        # deferred transaction (WAL: no lock at all) and takes the write lock only if it comes to write.
        reads_first = _reading_request()
        connection.info["coop_reads_first"] = reads_first
        connection.exec_driver_sql("BEGIN" if reads_first else "BEGIN IMMEDIATE")

    @event.listens_for(engine, "before_cursor_execute")
    def before_write(connection, cursor, statement, _parameters, context, _executemany):
        # The first write of a reading request: end the read (nothing written yet) and start again holding the
        # write lock, so the write waits its turn instead of failing on a stale snapshot. What the page read
        # before is then one snapshot older than what it writes: fine for what a GET writes (a token's last
        # use, the record that an administrator read a request), which depends on nothing it read.
        if (connection.info.get("coop_reads_first") and _writes(statement, context)
                and not connection.in_nested_transaction()):
            connection.info["coop_reads_first"] = False
            cursor.execute("COMMIT")
            cursor.execute("BEGIN IMMEDIATE")


_READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_WRITING_STATEMENTS = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def _reading_request() -> bool:
    return has_request_context() and request.method in _READING_METHODS


def _writes(statement: str, context) -> bool:
    flags = context is not None and (context.isinsert or context.isupdate or context.isdelete)
    return bool(flags) or statement.lstrip().upper().startswith(_WRITING_STATEMENTS)
