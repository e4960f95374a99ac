"""SQLite transactions: a page that reads (GET) takes no lock, and still writes safely when it comes to write."""

import sqlite3

import pytest
from sqlalchemy import select, update

from coop.extensions import db
from coop.models import User
from tests.factories import make_user


@pytest.fixture
def stored(app):
    make_user(db.session, "a.karimova", full_name="Асель Каримова")
    db.session.commit()
    db.session.remove()
    return app


def other_connection_writes(app, name: str) -> None:
    """Another process's write, committed at once (with no patience: it fails if anyone holds the write lock)."""
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        other = sqlite3.connect(url.database, timeout=0, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute("UPDATE user_account SET full_name = ? WHERE username = 'a.karimova'", (name,))
        other.execute("COMMIT")
        other.close()
    else:
        with db.engine.connect() as connection:
            connection.execute(update(User).where(User.username == "a.karimova").values(full_name=name))
            connection.commit()


def test_a_reading_page_holds_no_lock_and_writes_after_someone_else_did(stored):
    with stored.test_request_context("/", method="GET"):
        officer = db.session.scalar(select(User).where(User.username == "a.karimova"))  # the read is open
        assert officer.full_name == "Асель Каримова"

        other_connection_writes(stored, "Асель К.")  # not blocked by the page's open read

        # A deferred read that then writes would fail with a stale snapshot: the write waits its turn instead.
        db.session.execute(update(User).where(User.id == officer.id).values(locale="kk"))
        db.session.commit()
        db.session.remove()
    with stored.app_context():
        stored_user = db.session.scalar(select(User).where(User.username == "a.karimova"))
        assert (stored_user.full_name, stored_user.locale) == ("Асель К.", "kk")


def test_a_change_outside_reading_requests_takes_the_write_lock_first(stored):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock; PostgreSQL locks rows")
    with stored.test_request_context("/", method="POST"):
        db.session.scalar(select(User).where(User.username == "a.karimova"))  # BEGIN IMMEDIATE: the lock is held

        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other_connection_writes(stored, "Асель К.")
        db.session.rollback()
        db.session.remove()


def test_a_reading_page_chains_its_audit_record_onto_the_latest_one(stored):
    """An administrator's reading of a restricted request is recorded from a GET: another writer's record, committed
    after the page began to read, must not be forked from."""
    from coop.domain.audit import record_reading, verify_chain

    with stored.test_request_context("/", method="GET"):
        officer = db.session.scalar(select(User).where(User.username == "a.karimova"))  # the read is open

        with stored.app_context():  # another request writes, and its change is audited
            db.session.execute(update(User).where(User.username == "a.karimova").values(full_name="Асель К."))
            changed = db.session.scalar(select(User).where(User.username == "a.karimova"))
            changed.locale = "en"
            db.session.commit()
            db.session.remove()

        record_reading(db.session, "user_account", officer.id, "test")
        db.session.commit()
        db.session.remove()
    with stored.app_context():
        assert verify_chain(db.session).intact


def test_the_sweeps_statistics_upkeep_analyses_the_tables_that_changed(app):
    """SQLite: `PRAGMA optimize`. PostgreSQL where autovacuum is off (as on this machine): what its analysis
    would have done, for the tables changed by more than its threshold, and only those."""
    from coop.database import _STALE_POSTGRESQL_TABLES, optimize

    for number in range(80):
        make_user(db.session, f"officer.{number}")
    db.session.commit()
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        optimize(connection)  # no error on a database that has no statistics yet
        db.session.commit()
        return
    if connection.exec_driver_sql("SHOW autovacuum").scalar() == "on":
        pytest.skip("autovacuum analyses this server's tables itself")
    connection.exec_driver_sql("SELECT pg_stat_force_next_flush()")
    db.session.commit()  # the counts of changed rows reach the statistics when the transaction ends
    connection = db.session.connection()

    def analysed(table: str) -> bool:
        return connection.exec_driver_sql(
            "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = %s", (table,)).scalar()

    optimize(connection)
    db.session.commit()
    connection = db.session.connection()
    assert analysed("user_account")
    assert not connection.exec_driver_sql(_STALE_POSTGRESQL_TABLES).all()  # none left over the threshold
