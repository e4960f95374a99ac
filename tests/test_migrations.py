"""The migrations build exactly the schema the models describe, and an old database is refused clearly."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from coop.extensions import db
from coop.models.requests import is_text_search_object


def test_migrations_match_the_models(bare_app):
    upgrade()
    # The text search's own tables and indexes are made by SQL the models cannot describe (env.py skips them too).
    opts = {"include_name": lambda name, type_, _parent_names: not is_text_search_object(name, type_)}
    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection, opts=opts), db.metadata)
        analysed = _analysed_tables(connection)
    assert differences == []
    assert analysed  # `coop db upgrade` counted the planner's statistics after changing the schema


def _analysed_tables(connection) -> set[str]:
    """Tables with planner statistics (SQLite records only the tables that hold rows, here alembic_version)."""
    if connection.dialect.name == "sqlite":
        return set(connection.exec_driver_sql("SELECT DISTINCT tbl FROM sqlite_stat1").scalars())
    return set(connection.exec_driver_sql(
        "SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL").scalars()) & {"deadline"}


def test_migrations_downgrade_to_nothing_and_up_again(bare_app):
    upgrade()
    downgrade(revision="base")
    upgrade()


def test_a_database_with_requests_downgrades_and_upgrades_again_keeping_them(bare_app):
    from coop.domain.reference_data import seed_reference_data
    from coop.models import LegalBasis
    from tests.factories import make_request

    upgrade()
    seed_reference_data(db.session)
    basis = db.session.scalars(db.select(LegalBasis)).first()
    make_request(db.session, legal_basis=basis, title="Kept")  # rows that reference the tables batch mode copies
    db.session.commit()
    basis_id = basis.id
    db.session.remove()
    downgrade(revision="c2a7e51f0d3b")
    upgrade()
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT title, legal_basis_id FROM cooperation_request").all() == [
            ("Kept", basis_id)]
        if connection.dialect.name == "sqlite":
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_an_outdated_database_gets_a_clear_page(bare_app):
    bare_app.config["COOP_CHECK_SCHEMA"] = True
    response = bare_app.test_client().get("/login")
    assert response.status_code == 503
    assert "coop db upgrade" in response.get_data(as_text=True)


# A partner and a request type as an old revision stores them, for the upgrades that fill what they add.
OLD_PARTNER_AND_TYPE = (
    "INSERT INTO partner (id, kind, code, name_ru, name_en, active, created_at, updated_at, version) "
    "VALUES (1, 'provider', 'meta', 'Мета', 'Meta', true, '2026-01-01', '2026-01-01', 1)",
    "INSERT INTO request_type (id, code, direction, name_ru, name_en, is_preservation, is_emergency, "
    "sort_order, active) VALUES (1, 'direct_disclosure', 'outgoing', 'Раскрытие', "
    "'Disclosure', false, false, 1, true)",
)


def test_the_upgrade_to_the_tallies_counts_the_requests_already_stored(bare_app):
    upgrade(revision="c2a7e51f0d3b")
    with db.engine.begin() as connection:
        for statement in (
            *OLD_PARTNER_AND_TYPE,
            "INSERT INTO cooperation_request (id, reference, direction, request_type_id, partner_id, title, status, "
            "urgency, restricted, follow_up_promised, sent_at, answered_at, created_at, updated_at, version) "
            "VALUES (1, 'OUT-1', 'outgoing', 1, 1, 'Old', 'closed', 'normal', false, false, '2026-03-02 06:00:00', "
            "'2026-03-05 06:00:00', '2026-03-01', '2026-03-05', 1)",
        ):
            connection.exec_driver_sql(statement)

    upgrade()

    with db.engine.connect() as connection:
        assert connection.exec_driver_sql(
            "SELECT officer_id, status, count FROM status_tally").all() == [(0, "closed", 1)]
        assert connection.exec_driver_sql(
            "SELECT days, count FROM monthly_tally WHERE measure = 'answer'").all() == [(3, 1)]


def test_the_upgrade_to_refused_requests_projects_each_with_its_latest_reason(bare_app):
    upgrade(revision="e5a1c7d3f9b2")
    with db.engine.begin() as connection:
        for statement in (
            *OLD_PARTNER_AND_TYPE,
            *(f"INSERT INTO cooperation_request (id, reference, direction, request_type_id, partner_id, title, "
              f"status, urgency, restricted, follow_up_promised, created_at, updated_at, version) VALUES ({number}, "
              f"'OUT-{number}', 'outgoing', 1, 1, 'Old', '{status}', 'normal', false, false, '2026-03-01', "
              f"'2026-03-05', 1)" for number, status in ((1, "refused"), (2, "closed"))),
            *(f"INSERT INTO request_event (id, request_id, kind, at, to_status, comment) VALUES ({number}, "
              f"{request}, 'transition', '2026-03-0{number}', 'refused', '{reason}')"
              for number, request, reason in ((1, 1, "Первая причина"), (2, 1, "Нет двойной криминальности"),
                                              (3, 2, "Отменено"))),
        ):
            connection.exec_driver_sql(statement)

    upgrade()

    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT request_id, partner_id, reason FROM refused_request").all() == [
            (1, 1, "Нет двойной криминальности")]
