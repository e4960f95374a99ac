"""Engine set-up that differs by database: SQLite pragmas and write transactions."""

from sqlalchemy import event
from sqlalchemy.engine import Engine


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
        # A deferred transaction that reads then writes fails at once with SQLITE_BUSY_SNAPSHOT
        # when another connection wrote in between; taking the write lock up front lets it wait.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
