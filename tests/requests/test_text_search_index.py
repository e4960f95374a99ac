"""The text search's trigram indexes: kept in step with every change, searched literally, used by the query, and
filled by the migration from the rows already there (SQLite and PostgreSQL)."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from coop.domain.request_search import parse_filters, search_requests, text_condition
from coop.extensions import db
from coop.models import CooperationRequest, Identifier, IdentifierKind, PartnerReference, Role
from coop.models.requests import SEARCHED_COLUMNS, TEXT_SEARCH_OBJECTS
from tests.factories import make_case, make_request, make_user

NOW = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)
BEFORE_TEXT_SEARCH = "bf4efdf71b70"
TEXT_SEARCH = "c2a7e51f0d3b"
REFERENCE_SEARCH = "e5f1a7c3b920"


def found(user, text: str) -> list[str]:
    filters, problems = parse_filters({"text": text})
    assert problems == []
    query = search_requests(user, filters, NOW, ZoneInfo("Asia/Almaty"))
    return sorted(request.reference for request in db.session.scalars(query).unique())


@pytest.fixture
def head(app):
    return make_user(db.session, "head", Role.HEAD)


def test_the_index_follows_new_edited_and_deleted_requests(head):
    request = make_request(db.session, reference="OUT-2026-0001", title="Фишинг от имени банка")
    db.session.commit()
    assert found(head, "ФИШИНГ") == ["OUT-2026-0001"]
    request.title = "Вымогательство в Telegram"
    request.reference = "OUT-2026-0777"
    db.session.commit()
    assert found(head, "фишинг") == []
    assert found(head, "вымогательство") == ["OUT-2026-0777"]
    assert found(head, "2026-0001") == []
    assert found(head, "2026-0777") == ["OUT-2026-0777"]
    db.session.delete(request)
    db.session.commit()
    assert found(head, "вымогательство") == []


def test_the_index_follows_identifiers_and_partner_references(head):
    request = make_request(db.session, reference="HIT")
    request.identifiers.append(Identifier(kind=IdentifierKind.EMAIL, value="Seller@Example.KZ",
                                          normalized="seller@example.kz"))
    request.partner_references.append(PartnerReference(reference="LE-7781-2026"))
    make_request(db.session, reference="MISS")
    db.session.commit()
    assert found(head, "seller@exam") == ["HIT"]
    assert found(head, "le-7781") == ["HIT"]

    request.identifiers[0].value = "buyer@example.kz"
    request.identifiers[0].normalized = "buyer@example.kz"
    request.partner_references[0].reference = "LE-9999-2026"
    db.session.commit()
    assert found(head, "seller@exam") == []
    assert found(head, "buyer@") == ["HIT"]
    assert found(head, "le-7781") == []
    assert found(head, "le-9999") == ["HIT"]

    request.identifiers.clear()
    request.partner_references.clear()
    db.session.commit()
    assert found(head, "buyer@") == []
    assert found(head, "le-9999") == []


def test_the_index_follows_case_register_numbers_and_references_in_any_notation(head):
    request = make_request(db.session, reference="HIT", case=make_case(db.session, "261500031000417"))
    request.partner_references.append(PartnerReference(reference="MLA 2026/15-b"))
    make_request(db.session, reference="MISS", case=make_case(db.session, "261500031000999"))
    db.session.commit()
    assert found(head, "1500031000417") == ["HIT"]  # a part of the case's number in the register (ЕРДР)
    assert found(head, "2615000310") == ["HIT", "MISS"]
    for notation in ("mla-2026-15b", "MLA2026/15 B", "Mla 2026 15-B"):  # the reference, other separators
        assert found(head, notation) == ["HIT"], notation
    request.partner_references[0].reference = "JP-0042"
    request.case.number = "261500031000418"
    db.session.commit()
    assert found(head, "mla 2026 15b") == [] and found(head, "jp 0042") == ["HIT"]
    assert found(head, "1500031000417") == [] and found(head, "1500031000418") == ["HIT"]


@pytest.mark.parametrize("text", ["ab", "b", "7", "Ж", "жб"])
def test_needles_too_short_for_a_trigram_are_found_too(head, text):
    make_request(db.session, reference="HIT", title="Код AB-7 «ЖБ»")
    make_request(db.session, reference="MISS", title="Другое")
    assert found(head, text) == ["HIT"]


@pytest.mark.parametrize("title", ['Письмо "Вам выигрыш"', "AND OR NOT", "NEAR(abc def)", "telegram*", "{title}: x",
                                   "col:value", "-минус", "^start", "a'b'c", "back\\slash", "100%_off"])
def test_search_syntax_in_the_text_is_taken_literally(head, title):
    make_request(db.session, reference="HIT", title=f"Запрос: {title} (конец)")
    make_request(db.session, reference="MISS", title="Запрос: что-то другое")
    assert found(head, title) == ["HIT"]
    assert found(head, f"{title} (конец)") == ["HIT"]


def test_a_needle_spanning_two_columns_or_two_rows_is_not_found(head):
    request = make_request(db.session, reference="REF-ONE", title="TITLE-TWO")
    request.identifiers.append(Identifier(kind=IdentifierKind.DOMAIN, value="first.kz", normalized="first.kz"))
    request.identifiers.append(Identifier(kind=IdentifierKind.DOMAIN, value="second.kz", normalized="second.kz"))
    assert found(head, "ONETITLE") == []
    assert found(head, "first.kzsecond") == []
    assert found(head, "second.kz") == ["REF-ONE"]


def search_plan(text: str) -> str:
    """The database's plan for the list's text search."""
    statement = db.select(CooperationRequest.id).where(text_condition(text)).compile(db.engine)
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", tuple(statement.params.values()))
        return "\n".join(row[-1] for row in rows)
    # Tables this small are cheaper to read whole, or through a whole B-tree index: forbid both, to see
    # whether the trigram indexes fit the query.
    for setting in ("enable_seqscan", "enable_indexscan", "enable_indexonlyscan"):
        connection.exec_driver_sql(f"SET LOCAL {setting} = off")
    return "\n".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {statement}", statement.params))


def test_the_search_goes_through_the_indexes(head):
    request = make_request(db.session, title="Фишинг")
    request.partner_references.append(PartnerReference(reference="LE-7781-2026"))
    plan = search_plan("фишинг")
    if db.engine.dialect.name == "sqlite":
        for table in ("cooperation_request_fts", "partner_reference_fts", "identifier_fts", "criminal_case_fts"):
            assert f"SCAN {table} VIRTUAL TABLE" in plan
        assert "ix_partner_reference_reference_key" in plan
        assert "SCAN cooperation_request\n" not in plan + "\n"
    else:
        for index in ("ix_cooperation_request_title_trgm", "ix_cooperation_request_reference_trgm",
                      "ix_partner_reference_reference_trgm", "ix_identifier_value_trgm",
                      "ix_identifier_normalized_trgm", "ix_criminal_case_number_trgm",
                      "ix_partner_reference_reference_key"):
            assert index in plan
        assert "Seq Scan" not in plan


# --- the migration ------------------------------------------------------------------------------------------

def search_objects() -> set[str]:
    inspector = inspect(db.session.connection())
    tables = set(inspector.get_table_names())
    indexes = {index["name"] for table in SEARCHED_COLUMNS
               for index in inspector.get_indexes(table)}
    return (tables & TEXT_SEARCH_OBJECTS["table"]) | (indexes & TEXT_SEARCH_OBJECTS["index"])


def found_by_sql(text: str) -> list[str]:
    """What the text search finds, read with the columns this migration knows (later ones may add more)."""
    return sorted(db.session.scalars(db.select(CooperationRequest.reference).where(text_condition(text))))


def test_the_migration_indexes_the_requests_already_there_and_goes_back(bare_app):
    upgrade(revision=BEFORE_TEXT_SEARCH)
    with db.engine.begin() as connection:
        for statement in (  # rows as the schema before this migration holds them
            "INSERT INTO partner (id, kind, code, name_ru, name_en, active, created_at, updated_at, version) "
            "VALUES (1, 'provider', 'meta', 'Мета', 'Meta', true, '2026-01-01', '2026-01-01', 1)",
            "INSERT INTO request_type (id, code, direction, name_ru, name_en, is_preservation, is_emergency, "
            "sort_order, active) VALUES (1, 'disclosure', 'outgoing', 'Раскрытие', 'Disclosure', false, false, 1, "
            "true)",
            "INSERT INTO cooperation_request (id, reference, direction, request_type_id, partner_id, title, status, "
            "urgency, restricted, follow_up_promised, created_at, updated_at, version) VALUES (1, 'OLD-0001', "
            "'outgoing', 1, 1, 'Мошенничество с инвестициями', 'sent', 'normal', false, false, '2026-03-01', "
            "'2026-03-01', 1)",
            "INSERT INTO identifier (id, request_id, kind, value, normalized) "
            "VALUES (1, 1, 'phone', '+7 701 123 45 67', '+77011234567')",
            "INSERT INTO partner_reference (id, request_id, reference, added_at) "
            "VALUES (1, 1, 'LE-7781-2026', '2026-03-02')",
        ):
            connection.exec_driver_sql(statement)
    assert search_objects() == set()

    db.session.remove()  # the migration needs SQLite's write lock
    upgrade(revision=TEXT_SEARCH)
    expected = (TEXT_SEARCH_OBJECTS["table"] - {f"{table}_fts_content" for table in SEARCHED_COLUMNS}
                if db.engine.dialect.name == "sqlite" else TEXT_SEARCH_OBJECTS["index"])
    later = {name for name in expected if "criminal_case" in name}  # indexed by REFERENCE_SEARCH
    assert search_objects() == expected - later

    db.session.remove()
    upgrade(revision=REFERENCE_SEARCH)  # the search as the models make it needs this one's column too
    for text in ("МОШЕННИЧЕСТВО", "701 123", "7781-20", "old-00", "le 7781/2026"):
        assert found_by_sql(text) == ["OLD-0001"], text
    assert search_objects() == expected

    db.session.remove()
    downgrade(revision=BEFORE_TEXT_SEARCH)
    assert search_objects() == set()
    assert db.session.scalar(db.select(CooperationRequest.title)) == "Мошенничество с инвестициями"
