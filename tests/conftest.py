"""Fixtures: a fresh application and database per test, on SQLite and (when reachable) PostgreSQL.

Set COOP_REQUIRE_POSTGRES=1 (CI does) to make a missing PostgreSQL fail instead of skip.
"""

import atexit
import contextvars
import gc
import os
import shutil
import tempfile
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from flask import has_app_context
from flask.testing import FlaskClient
from sqlalchemy import event
from werkzeug.routing.rules import Rule

from coop import create_app
from coop.domain import accounts
from coop.extensions import db
from coop.schema import expected_revisions
from tests.factories import TEST_PASSWORD

POSTGRES_SERVER = os.environ.get("COOP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("COOP_REQUIRE_POSTGRES") == "1"

# argon2id at its smallest cost: a login at the production parameters costs tens of milliseconds of CPU (seconds on
# a loaded machine) and the suite logs in thousands of times. tests/domain/test_password_hashing.py checks the
# production parameters.
TEST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
accounts.use_hasher(TEST_HASHER)


def share_url_builders() -> None:
    """Compile each route's URL builders once per test process instead of once per application.

    Werkzeug compiles two small Python functions per route when an application registers it: two thirds of
    create_app's time. The tests create an application per test, from the same routes, thousands of times. The
    functions depend only on the rule's text, its parsed parts and its defaults, which make the key.
    """
    compile_builder = getattr(Rule, "_compile_builder", None)
    if compile_builder is None or getattr(compile_builder, "shared", False):
        return
    builders = {}

    def shared_builder(self, append_unknown: bool = True):
        trace = getattr(self, "_trace", None)
        if trace is None:
            return compile_builder(self, append_unknown)
        defaults = tuple(
            (name, repr(value), self._converters[name].to_url(value) if (True, name) in trace else None)
            for name, value in (self.defaults or {}).items()
        )
        key = (self.rule, tuple(trace), defaults, append_unknown)
        if key not in builders:
            builders[key] = compile_builder(self, append_unknown)
        return builders[key]

    shared_builder.shared = True
    Rule._compile_builder = shared_builder


share_url_builders()


def pytest_collection_finish(session):
    """Spare the garbage collector the objects that live as long as the process (modules, the collected tests):
    every test leaves an application's worth of reference cycles behind, and at the default thresholds the
    collector walked all of memory again and again, a fifth of the suite's CPU time."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 10)


@cache
def postgres_reachable() -> bool:
    try:
        engine = sa.create_engine(POSTGRES_SERVER)
        with engine.connect():
            pass
        engine.dispose()
        return True
    except sa.exc.OperationalError:
        return False


@pytest.fixture(scope="session")
def postgres_database(worker_id):
    """A database of its own for this test worker, its tables created once; None when unreachable."""
    if not postgres_reachable():
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL is required (COOP_REQUIRE_POSTGRES=1) but {POSTGRES_SERVER} is unreachable")
        return None
    # The process id keeps parallel test runs (and their xdist workers) out of each other's databases.
    name = f"coop_test_{worker_id}_{os.getpid()}"
    server = sa.create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        # A commit need not wait for the disk: nothing of a test database has to survive a server crash, and
        # the wait (10-20 ms a commit on this machine) is most of a PostgreSQL test's time.
        connection.exec_driver_sql(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    server.dispose()
    url = sa.engine.make_url(POSTGRES_SERVER).set(database=name).render_as_string(hide_password=False)
    yield url
    server = sa.create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    server.dispose()


def url_for_database(request, folder) -> str:
    """The database `request.param` names: an SQLite file in `folder`, or this worker's PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{folder / 'coop.sqlite'}"
    url = request.getfixturevalue("postgres_database")
    if url is None:
        pytest.skip("PostgreSQL is not reachable")
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    return url_for_database(request, tmp_path)


class IsolatedClient(FlaskClient):
    """Serves each request in contexts of its own, as a real server would, while the test holds one.

    The test's own session is committed first: what a test wrote is visible to the server, and an
    SQLite write lock held by the test cannot block the request.
    """

    def open(self, *args, **kwargs):
        if has_app_context() and db.session().in_transaction():
            db.session.commit()
        return contextvars.Context().run(super().open, *args, **kwargs)


def make_app(database_url: str, tmp_path, **overrides):
    settings = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "COOP_UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": 1,  # nothing listens there: a test that wants mail starts its own server
        "COOP_AUDIT_KEY_FILE": str(tmp_path / "audit_signing_key"),
        "COOP_DAILY_CHECKPOINT": False,  # its e-mail would join the sweep tests' mailboxes
        # The second factor is off for the tests' heads and admins; tests/test_second_factor.py turns it on.
        "COOP_MFA_REQUIRED_ROLES": (),
        "COOP_MFA_FOR_TOKENS": False,
    }
    settings.update(overrides)
    app = create_app(settings)
    app.test_client_class = IsolatedClient
    return app


def create_schema() -> None:
    """Tables from the models (fast) and the migration stamp, as `coop db upgrade` would leave them."""
    db.create_all()
    stamp_schema()


def stamp_schema() -> None:
    with db.engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL)")
        connection.exec_driver_sql("DELETE FROM alembic_version")
        for revision in expected_revisions():
            connection.execute(sa.text("INSERT INTO alembic_version VALUES (:v)"), {"v": revision})


@cache
def sqlite_template() -> Path:
    """An SQLite file with the schema, built once per test process: copying it costs a millisecond, creating the
    tables a tenth of a second (seconds on a loaded machine)."""
    folder = Path(tempfile.mkdtemp(prefix="coop-schema-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / "coop.sqlite"
    app = make_app(f"sqlite:///{path}", folder)
    with app.app_context():
        create_schema()
        db.engine.dispose()  # the last connection closed: the write-ahead log is folded into the file
    return path


def copy_sqlite_template(database_url: str) -> bool:
    """Put the schema in place for a new SQLite database by copying the template; False when it is no new SQLite
    file (an existing one keeps what it holds)."""
    url = sa.engine.make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return False
    path = Path(url.database)
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(sqlite_template(), path)
    return True


def postgres_schema_in_place() -> bool:
    """Whether every table is there already: the worker's database keeps its schema from test to test."""
    names = [table.name for table in db.metadata.sorted_tables] + ["alembic_version"]
    with db.engine.connect() as connection:
        present = connection.execute(
            sa.text("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = ANY(:names)"),
            {"names": names},
        ).scalar_one()
    return present == len(names)


def empty_all_tables() -> None:
    """Delete every row and restart the sequences. On tables this small, DELETE costs a twentieth of what
    TRUNCATE does (which replaces each table's files)."""
    db.session.remove()
    deletes = "; ".join(f'DELETE FROM "{table.name}"' for table in reversed(db.metadata.sorted_tables))
    with db.engine.begin() as connection:
        connection.exec_driver_sql(deletes)
        connection.exec_driver_sql(
            "SELECT setval(c.oid::regclass, 1, false) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind = 'S' AND n.nspname = current_schema()"
        )


@contextmanager
def running_app(database_url: str, tmp_path, **overrides):
    """An application with a fresh schema, its context pushed; the database is emptied afterwards."""
    copied = copy_sqlite_template(database_url)
    app = make_app(database_url, tmp_path, **overrides)
    with app.app_context():
        if db.engine.dialect.name == "postgresql" and postgres_schema_in_place():
            stamp_schema()
        elif not copied:
            create_schema()
        try:
            yield app
        finally:
            db.session.remove()
            if db.engine.dialect.name == "postgresql":
                empty_all_tables()
            db.engine.dispose()


@pytest.fixture
def app(database_url, tmp_path):
    with running_app(database_url, tmp_path) as app:
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, username: str = "officer", password: str = TEST_PASSWORD, follow_redirects: bool = False):
        return self._client.post("/login", data={"username": username, "password": password},
                                 follow_redirects=follow_redirects)

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


class QueryCounter:
    """Counts the SQL statements run inside a `with` block (to catch N+1 queries)."""

    def __init__(self, engine):
        self.engine = engine
        self.count = 0

    def _count(self, *_args):
        self.count += 1

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *_exc):
        event.remove(self.engine, "before_cursor_execute", self._count)


@pytest.fixture
def count_queries(app):
    return lambda: QueryCounter(db.engine)


@pytest.fixture
def bare_app(database_url, tmp_path):
    """An application on an empty database (no tables), for tests of the migrations."""
    app = make_app(database_url, tmp_path)
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        yield app
        db.session.remove()
        db.drop_all()
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        db.engine.dispose()
