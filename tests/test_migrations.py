"""The migrations build exactly the schema the models describe, and an old database is refused clearly."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from coop.extensions import db
from tests.conftest import make_app


@pytest.fixture
def bare_app(database_url, tmp_path):
    """An application on an empty database (no tables)."""
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


def test_migrations_match_the_models(bare_app):
    upgrade()
    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert differences == []


def test_migrations_downgrade_to_nothing_and_up_again(bare_app):
    upgrade()
    downgrade(revision="base")
    upgrade()


def test_an_outdated_database_gets_a_clear_page(bare_app):
    bare_app.config["COOP_CHECK_SCHEMA"] = True
    response = bare_app.test_client().get("/login")
    assert response.status_code == 503
    assert "coop db upgrade" in response.get_data(as_text=True)
