"""Engine set-up that differs by database: SQLite pragmas and write transactions."""

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

# An execution option marking a connection that only reads (its SQLite transactions take no write lock).
READ_ONLY = "coop_read_only"


def read_only_session(engine: Engine) -> Session:
    """A session for long reads that must not hold SQLite's write lock (it must not write)."""
    return Session(engine.execution_options(**{READ_ONLY: True}))


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

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        if connection.get_execution_options().get(READ_ONLY):
            # A long reader (`coop audit verify`): WAL lets it read its snapshot while others write.
            connection.exec_driver_sql("BEGIN")
            return
        # A deferred transaction that reads then writes fails at once with SQLITE_BUSY_SNAPSHOT
        # when another connection wrote in between; taking the write lock up front lets it wait.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
