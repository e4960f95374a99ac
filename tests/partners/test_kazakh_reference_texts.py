"""Reference data in Kazakh: seeded with Kazakh names, notes, descriptions and advice, given them on upgrade while
their Russian text is still the seeded one, shown to Kazakh readers, falling back to Russian."""

import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy import select

from coop.domain.deadlines import DEFAULT_RULES, seed_deadline_rules
from coop.domain.reference_data import name_column, name_in, seed_facts, seed_reference_data
from coop.domain.reference_translations import fill_kazakh_texts
from coop.extensions import db
from coop.models import DeadlineRule, LegalBasis, Partner, RequestType, Role
from tests.factories import make_user

BUDAPEST = next(row for row in seed_facts()["legal_basis"] if row["code"] == "budapest")
MLA_OUTGOING = next(row for row in seed_facts()["request_type"] if row["code"] == "mla_outgoing")
STATUS_ENQUIRY = next(rule for rule in DEFAULT_RULES if rule.advice_en == "Send a status enquiry.")


def test_a_name_falls_back_to_russian_when_the_chosen_language_has_none():
    assert name_in("kk", "Принцип взаимности", "Reciprocity", "Өзаралық қағидаты") == "Өзаралық қағидаты"
    assert name_in("kk", "Принцип взаимности", "Reciprocity", None) == "Принцип взаимности"
    assert name_in("en", "Принцип взаимности", "Reciprocity") == "Reciprocity"
    assert name_in("ru", "Принцип взаимности", "Reciprocity", "Өзаралық қағидаты") == "Принцип взаимности"


def test_every_seeded_legal_basis_request_type_and_default_rule_has_its_kazakh_text():
    facts = seed_facts()
    assert all(row.get("name_kk") for row in facts["legal_basis"] + facts["request_type"])
    assert all(row.get("notes_kk") for row in facts["legal_basis"] if row.get("notes"))
    assert all(row.get("description_kk") for row in facts["request_type"] if row.get("description"))
    assert all(rule.advice_kk for rule in DEFAULT_RULES if rule.advice_ru)


def test_seeding_stores_the_kazakh_texts_a_kazakh_reader_sees_them_and_russian_fills_the_gaps(app, client, auth):
    seed_reference_data(db.session)
    seed_deadline_rules(db.session)
    make_user(db.session, "reader", locale="kk")
    db.session.commit()
    auth.login("reader")
    basis_id = db.session.scalar(select(LegalBasis.id).where(LegalBasis.code == "budapest"))
    page = client.get(f"/partners/legal-bases/{basis_id}").get_data(as_text=True)
    assert BUDAPEST["name_kk"] in page and BUDAPEST["notes_kk"] in page and BUDAPEST["notes"] not in page
    page = client.get("/partners/request-types").get_data(as_text=True)
    assert MLA_OUTGOING["name_kk"] in page and MLA_OUTGOING["description_kk"] in page

    basis = db.session.scalar(select(LegalBasis).where(LegalBasis.code == "budapest"))
    assert basis.name("kk") == BUDAPEST["name_kk"] and basis.notes_in("kk") == BUDAPEST["notes_kk"]
    assert basis.notes_in("ru") == BUDAPEST["notes"] and basis.notes_in("en") == BUDAPEST["notes"]
    request_type = db.session.scalar(select(RequestType).where(RequestType.code == "mla_outgoing"))
    assert request_type.name("kk") == MLA_OUTGOING["name_kk"]
    assert request_type.description_in("kk") == MLA_OUTGOING["description_kk"]
    rule = db.session.scalar(select(DeadlineRule).where(DeadlineRule.advice_ru == STATUS_ENQUIRY.advice_ru))
    assert rule.advice("kk") == STATUS_ENQUIRY.advice_kk and rule.advice("en") == STATUS_ENQUIRY.advice_en

    basis.name_kk, request_type.description_kk = None, None
    assert basis.name("kk") == BUDAPEST["name_ru"] and request_type.description_in("kk") == MLA_OUTGOING["description"]
    db.session.flush()
    names = db.session.scalars(select(name_column(LegalBasis, "kk")).order_by(name_column(LegalBasis, "kk"))).all()
    assert BUDAPEST["name_ru"] in names and sorted(names) == names
    assert name_column(Partner, "ru") is Partner.name_ru


def test_the_upgrade_gives_seeded_rows_their_kazakh_texts_but_not_reworded_ones(bare_app):
    upgrade(revision="d9e4b6a1c8f2")
    legal_basis = sa.table("legal_basis", *(sa.column(name) for name in (
        "id", "code", "kind", "name_ru", "name_en", "notes", "active")))
    request_type = sa.table("request_type", *(sa.column(name) for name in (
        "id", "code", "name_ru", "name_en", "direction", "is_preservation", "is_emergency", "sort_order", "active",
        "description")))
    with db.engine.begin() as connection:
        connection.execute(sa.insert(legal_basis), [
            {"id": 1, "code": "budapest", "kind": "multilateral", "name_ru": BUDAPEST["name_ru"],
             "name_en": BUDAPEST["name_en"], "notes": BUDAPEST["notes"], "active": True},
            {"id": 2, "code": "reciprocity", "kind": "reciprocity", "name_ru": "Взаимность (по письму МИД)",
             "name_en": "Reciprocity", "notes": None, "active": True},
        ])
        connection.execute(sa.insert(request_type), [
            {"id": 1, "code": "mla_outgoing", "name_ru": MLA_OUTGOING["name_ru"], "name_en": MLA_OUTGOING["name_en"],
             "direction": "outgoing", "is_preservation": False, "is_emergency": False, "sort_order": 70,
             "active": True, "description": "Своё описание администратора."},
        ])
        connection.execute(sa.text(
            "INSERT INTO deadline_rule (id, scope_key, request_type_id, kind, start_event, amount, unit, calendar, "
            "stop_event, pauses, max_extensions, reminders, advice_ru, active, created_at, updated_at, version) "
            "VALUES (1, 'mla_outgoing|*|*|status_enquiry', 1, 'status_enquiry', 'sent', 30, 'calendar_days', "
            "'kazakhstan', 'answered', true, 0, '[]', :advice, true, '2026-01-01', '2026-01-01', 1)"),
            {"advice": STATUS_ENQUIRY.advice_ru})

    upgrade()

    with db.engine.connect() as connection:
        bases = dict(connection.exec_driver_sql("SELECT code, name_kk FROM legal_basis").all())
        notes = connection.exec_driver_sql("SELECT notes_kk FROM legal_basis WHERE code = 'budapest'").scalar()
        types = connection.exec_driver_sql("SELECT name_kk, description_kk FROM request_type").one()
        advice = connection.exec_driver_sql("SELECT advice_kk FROM deadline_rule").scalar()
    assert bases == {"budapest": BUDAPEST["name_kk"], "reciprocity": None}  # reworded: left to the administrator
    assert notes == BUDAPEST["notes_kk"]
    assert tuple(types) == (MLA_OUTGOING["name_kk"], None)
    assert advice == STATUS_ENQUIRY.advice_kk
    with db.engine.begin() as connection:
        assert fill_kazakh_texts(connection) == 0  # nothing left to fill, nothing overwritten


def test_an_administrator_writes_the_kazakh_name_and_notes_of_a_legal_basis(app, client, auth):
    make_user(db.session, "admin", Role.ADMIN, locale="kk")
    db.session.commit()
    auth.login("admin")
    response = client.post("/partners/legal-bases/new", data={
        "code": "bilateral-tr-2026", "kind": "bilateral", "name_ru": "Договор с Турецкой Республикой",
        "name_en": "Treaty with the Republic of Türkiye", "name_kk": "Түркия Республикасымен шарт",
        "notes": "", "notes_kk": "  Қол қойылды.  ", "articles": "", "active": "y"})
    assert response.status_code == 302
    basis = db.session.scalar(select(LegalBasis).where(LegalBasis.code == "bilateral-tr-2026"))
    assert (basis.name_kk, basis.notes_kk, basis.notes) == ("Түркия Республикасымен шарт", "Қол қойылды.", None)

    too_long = client.post("/partners/legal-bases/new", data={
        "code": "bilateral-tr-2027", "kind": "bilateral", "name_ru": "Договор", "name_en": "Treaty",
        "name_kk": "ш" * 301})
    assert too_long.status_code == 400 and "field-invalid" in too_long.get_data(as_text=True)
    assert db.session.scalar(select(LegalBasis).where(LegalBasis.code == "bilateral-tr-2027")) is None
