"""Engine set-up that differs by database: SQLite pragmas, write transactions and the planner's statistics.

coop's queries are written and indexed so that SQLite plans them well without statistics (a database nobody
analysed); statistics are still kept the way SQLite recommends: `PRAGMA optimize` when a connection closes and
after each reminder sweep (cheap: it analyses only the tables whose size changed a lot, each on a sample), and a
full `ANALYZE` after `coop db upgrade` changed the schema. PostgreSQL's autovacuum keeps its own.
"""

import contextlib
import sqlite3

from sqlalchemy import Connection, event
from sqlalchemy.engine import Engine

# Rows SQLite reads per index when `PRAGMA optimize` analyses a table (its recommended bound, a few ms each).
ANALYSIS_LIMIT = 400


def optimize(connection: Connection) -> None:
    """Refresh the statistics of the tables that need it (SQLite); nothing on other databases."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
        connection.exec_driver_sql("PRAGMA optimize")


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
        # A deferred transaction that reads then writes fails at once with SQLITE_BUSY_SNAPSHOT
        # when another connection wrote in between; taking the write lock up front lets it wait.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
