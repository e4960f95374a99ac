"""Administrators create and edit partners, contacts, instruments, legal bases and request types;
bad input gets a clear error beside the field and nothing is stored."""

from datetime import date

import pytest
from sqlalchemy import func, select

from coop.domain.reference_data import update_partner
from coop.extensions import db
from coop.models import (
    ContactRole,
    Direction,
    LegalBasis,
    LegalBasisKind,
    Partner,
    PartnerContact,
    PartnerInstrument,
    PartnerKind,
    RequestType,
)
from coop.partners.forms import partner_form_data
from tests.factories import make_legal_basis, make_partner, make_request_type

COUNTRY = {"kind": "country", "code": "de", "name_ru": "Германия", "name_en": "Germany", "name_kk": "Германия",
           "active": "y", "time_zone": "Europe/Berlin", "accepted_languages": "DE, en",
           "channels": ["central_authority", "interpol"], "weekend_days": ["7", "6"], "holiday_calendar": "DE"}
PROVIDER = {"kind": "provider", "code": "Discord", "name_ru": "Discord", "name_en": "Discord", "active": "y",
            "legal_entity": "Discord Inc.", "request_portal": "https://discord.com/safety", "preservation_days": "90",
            "known_limits": "—"}


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _meta(**fields) -> Partner:
    partner = make_partner(db.session, "meta", name_ru="Meta", name_en="Meta", preservation_days=90, **fields)
    db.session.commit()
    return partner


def _edit_data(partner: Partner, **changes) -> dict:
    """Every field of the edit form, as stored (an edit that leaves one out is refused), with `changes`."""
    data = {name: value if isinstance(value, list) else "" if value is None else str(value)
            for name, value in partner_form_data(partner).items()}
    data |= {"kind": partner.kind.value, "active": "y" if partner.active else "",
             "shown_fields": ["active", "channels", "weekend_days"]}
    data.update(changes)
    return data


def test_an_administrator_creates_a_country(client, auth, people):
    auth.login("admin")

    response = client.post("/partners/new", data=COUNTRY)

    assert response.status_code == 302
    germany = db.session.scalar(select(Partner).where(Partner.code == "DE"))
    assert (germany.kind, germany.name_ru, germany.time_zone) == (PartnerKind.COUNTRY, "Германия", "Europe/Berlin")
    assert (germany.accepted_languages, germany.channels) == ("de, en", "central_authority, interpol")
    assert (germany.weekend_days, germany.holiday_calendar, germany.version) == ("6,7", "DE", 1)
    assert response.headers["Location"].endswith(f"/partners/{germany.id}")


def test_an_administrator_creates_a_provider(client, auth, people):
    auth.login("admin")

    assert client.post("/partners/new?kind=provider", data=PROVIDER).status_code == 302

    discord = db.session.scalar(select(Partner).where(Partner.code == "discord"))
    assert (discord.kind, discord.legal_entity, discord.preservation_days) == (PartnerKind.PROVIDER, "Discord Inc.", 90)
    assert discord.name_kk is None  # empty text is stored as nothing


def test_the_new_partner_form_shows_the_fields_of_its_kind(client, auth, people):
    auth.login("admin")

    country = client.get("/partners/new?kind=country").get_data(as_text=True)
    provider = client.get("/partners/new?kind=provider").get_data(as_text=True)

    assert 'name="weekend_days"' in country and 'name="preservation_days"' not in country
    assert 'name="preservation_days"' in provider and 'name="weekend_days"' not in provider
    assert 'value="Europe/Berlin"' in country  # the IANA zones are offered


@pytest.mark.parametrize(("data", "field", "message"), [
    (COUNTRY | {"code": "Germany"}, "code", "Код страны — две заглавные латинские буквы"),
    (COUNTRY | {"code": "D1"}, "code", "Код страны — две заглавные латинские буквы"),
    (COUNTRY | {"code": ""}, "code", "Обязательное поле"),
    (COUNTRY | {"name_ru": ""}, "name_ru", "Обязательное поле"),
    (COUNTRY | {"time_zone": "Mars/Olympus"}, "time_zone", "Неизвестный часовой пояс"),
    (COUNTRY | {"time_zone": "../../etc/passwd"}, "time_zone", "Неизвестный часовой пояс"),
    (COUNTRY | {"accepted_languages": "ru, xx"}, "accepted_languages", "Неизвестные коды языков: xx"),
    (COUNTRY | {"weekend_days": ["1", "2", "3", "4", "5", "6", "7"]}, "weekend_days", "рабочим"),
    (COUNTRY | {"weekend_days": ["8"]}, "weekend_days", ""),
    (COUNTRY | {"channels": ["pigeon"]}, "channels", ""),
    (COUNTRY | {"holiday_calendar": "ZZ"}, "holiday_calendar", ""),
    (COUNTRY | {"kind": "planet"}, "kind", ""),
    (PROVIDER | {"code": "Meta Platforms"}, "code", "строчные латинские буквы"),
    (PROVIDER | {"request_portal": "facebook records"}, "request_portal", ""),
    (PROVIDER | {"preservation_days": "0"}, "preservation_days", ""),
    (PROVIDER | {"preservation_days": "ninety"}, "preservation_days", ""),
])
def test_a_partner_with_bad_input_is_refused_with_a_field_error(client, auth, people, data, field, message):
    auth.login("admin")

    response = client.post("/partners/new", data=data)

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'id="{field}-error"' in page or f'{field}-error' in page
    assert message in page
    assert "Исправьте" in page or "Please correct" in page
    assert _count(Partner) == 0


def test_a_duplicate_code_is_refused(client, auth, people):
    make_partner(db.session, "DE", kind=PartnerKind.COUNTRY)
    auth.login("admin")

    response = client.post("/partners/new", data=COUNTRY)

    assert response.status_code == 400
    assert "Партнёр с таким кодом уже есть" in response.get_data(as_text=True)
    assert _count(Partner) == 1


def test_an_administrator_edits_a_provider(client, auth, people):
    meta = _meta()
    auth.login("admin")

    form = client.get(f"/partners/{meta.id}/edit").get_data(as_text=True)
    response = client.post(f"/partners/{meta.id}/edit",
                           data=_edit_data(meta, preservation_days="120", known_limits="Нет содержимого",
                                           code="hacked", kind="country"))

    assert 'name="version" type="hidden" value="1"' in form
    assert response.status_code == 302
    db.session.expire_all()
    meta = db.session.get(Partner, meta.id)
    assert (meta.preservation_days, meta.known_limits, meta.version) == (120, "Нет содержимого", 2)
    assert (meta.code, meta.kind) == ("meta", PartnerKind.PROVIDER)  # fixed once created


def test_an_edit_keeps_the_other_kinds_attributes(client, auth, people):
    germany = make_partner(db.session, "DE", kind=PartnerKind.COUNTRY, weekend_days="5,6", holiday_calendar="DE")
    db.session.commit()
    auth.login("admin")

    response = client.post(f"/partners/{germany.id}/edit",
                           data=_edit_data(germany, weekend_days=["6", "7"], holiday_calendar="DE",
                                           legal_entity="ignored for a country"))

    assert response.status_code == 302
    db.session.expire_all()
    germany = db.session.get(Partner, germany.id)
    assert (germany.weekend_days, germany.legal_entity) == ("6,7", None)


def test_a_concurrent_edit_is_not_overwritten(client, auth, people):
    meta = _meta()
    auth.login("admin")
    client.get(f"/partners/{meta.id}/edit")  # the first administrator opens the form at version 1 ...
    update_partner(db.session, meta.id, 1, {"preservation_days": 60})  # ... a second one saves first
    db.session.commit()

    response = client.post(f"/partners/{meta.id}/edit", data=_edit_data(meta, version="1", preservation_days="30"))

    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert 'data-testid="conflict"' in page
    assert "60" in page.split('data-testid="conflict"')[1].split("</div>")[0]  # their value is shown
    assert 'name="version" type="hidden" value="2"' in page  # a conscious re-save applies on top of theirs
    assert 'value="30"' in page  # the editor's entry is kept
    db.session.expire_all()
    assert db.session.get(Partner, meta.id).preservation_days == 60


def test_resaving_after_a_conflict_applies(client, auth, people):
    meta = _meta()
    update_partner(db.session, meta.id, 1, {"preservation_days": 60})
    db.session.commit()
    auth.login("admin")

    response = client.post(f"/partners/{meta.id}/edit", data=_edit_data(meta, version="2", preservation_days="30"))

    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Partner, meta.id).preservation_days == 30


def test_an_edit_without_a_version_is_refused(client, auth, people):
    meta = _meta()
    auth.login("admin")

    data = _edit_data(meta, preservation_days="30")
    del data["version"]
    response = client.post(f"/partners/{meta.id}/edit", data=data)

    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Partner, meta.id).preservation_days == 90


def test_a_bad_edit_changes_nothing(client, auth, people):
    meta = _meta()
    auth.login("admin")

    response = client.post(f"/partners/{meta.id}/edit",
                           data=_edit_data(meta, name_en="", request_portal="javascript:alert(1)"))

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="name_en-error"' in page and 'id="request_portal-error"' in page
    db.session.expire_all()
    assert (db.session.get(Partner, meta.id).name_en, db.session.get(Partner, meta.id).version) == ("Meta", 1)


# --- Contacts ----------------------------------------------------------------------------------------------

def test_an_administrator_adds_edits_and_deletes_a_contact(client, auth, people):
    meta = _meta()
    auth.login("admin")

    created = client.post(f"/partners/{meta.id}/contacts/new",
                          data={"role": "point_24_7", "name": "Law Enforcement Response Team",
                                "email": "records@example.com", "phone": "+1 650 555 0100", "office_hours": "24/7"})
    contact = db.session.scalar(select(PartnerContact))
    edited = client.post(f"/partners/{meta.id}/contacts/{contact.id}",
                         data={"role": "law_enforcement_portal", "name": "LEORS", "email": "", "phone": "",
                               "address": "", "office_hours": ""})
    db.session.expire_all()
    contact = db.session.get(PartnerContact, contact.id)
    after_edit = (contact.role, contact.name, contact.email, contact.phone)
    deleted = client.post(f"/partners/{meta.id}/contacts/{contact.id}/delete")

    assert created.status_code == edited.status_code == deleted.status_code == 302
    assert after_edit == (ContactRole.LAW_ENFORCEMENT_PORTAL, "LEORS", None, None)
    assert _count(PartnerContact) == 0


def test_a_phone_number_is_stored_in_international_format(client, auth, people):
    meta = _meta()
    auth.login("admin")

    client.post(f"/partners/{meta.id}/contacts/new",
                data={"role": "central_authority", "name": "Ministry", "phone": "+77271234567"})

    assert db.session.scalar(select(PartnerContact.phone)) == "+7 727 123 4567"


@pytest.mark.parametrize(("data", "field"), [
    ({"role": "central_authority", "name": ""}, "name"),
    ({"role": "central_authority", "name": "Ministry", "email": "not an e-mail"}, "email"),
    ({"role": "central_authority", "name": "Ministry", "phone": "call us"}, "phone"),
    ({"role": "central_authority", "name": "Ministry", "phone": "+1 2"}, "phone"),
    ({"role": "chief", "name": "Ministry"}, "role"),
])
def test_a_bad_contact_is_refused(client, auth, people, data, field):
    meta = _meta()
    auth.login("admin")

    response = client.post(f"/partners/{meta.id}/contacts/new", data=data)

    assert response.status_code == 400
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert _count(PartnerContact) == 0


def test_a_contact_of_another_partner_is_not_found(client, auth, people):
    meta = _meta()
    google = make_partner(db.session, "google")
    google.contacts.append(PartnerContact(role=ContactRole.OTHER, name="Google LERS"))
    db.session.commit()
    auth.login("admin")

    contact_id = google.contacts[0].id
    assert client.get(f"/partners/{meta.id}/contacts/{contact_id}").status_code == 404
    assert client.post(f"/partners/{meta.id}/contacts/{contact_id}/delete").status_code == 404
    assert _count(PartnerContact) == 1


# --- Instruments -------------------------------------------------------------------------------------------

def test_an_accession_is_recorded_edited_and_removed(client, auth, people):
    germany = make_partner(db.session, "DE", kind=PartnerKind.COUNTRY)
    un = make_legal_basis(db.session, "un-cybercrime", kind=LegalBasisKind.MULTILATERAL)
    db.session.commit()
    auth.login("admin")

    created = client.post(f"/partners/{germany.id}/instruments/new",
                          data={"legal_basis_id": str(un.id), "signed_on": "2025-10-25", "in_force_on": ""})
    instrument = db.session.scalar(select(PartnerInstrument))
    edited = client.post(f"/partners/{germany.id}/instruments/{instrument.id}",
                         data={"legal_basis_id": str(un.id), "signed_on": "2025-10-25", "in_force_on": "2026-09-01",
                               "notes": "Ратифицирована"})
    db.session.expire_all()
    instrument = db.session.get(PartnerInstrument, instrument.id)
    after_edit = (instrument.signed_on, instrument.in_force_on, instrument.notes)
    deleted = client.post(f"/partners/{germany.id}/instruments/{instrument.id}/delete")

    assert created.status_code == edited.status_code == deleted.status_code == 302
    assert after_edit == (date(2025, 10, 25), date(2026, 9, 1), "Ратифицирована")
    assert _count(PartnerInstrument) == 0
    assert _count(LegalBasis) == 1  # removing the binding keeps the legal basis


@pytest.mark.parametrize(("data", "field"), [
    ({"signed_on": "2025-10-25", "in_force_on": "2024-01-01"}, "in_force_on"),
    ({"signed_on": "25 октября"}, "signed_on"),
    ({"legal_basis_id": "999"}, "legal_basis_id"),
    ({"legal_basis_id": "abc"}, "legal_basis_id"),
])
def test_a_bad_instrument_is_refused(client, auth, people, data, field):
    germany = make_partner(db.session, "DE", kind=PartnerKind.COUNTRY)
    un = make_legal_basis(db.session, "un-cybercrime", kind=LegalBasisKind.MULTILATERAL)
    db.session.commit()
    auth.login("admin")

    response = client.post(f"/partners/{germany.id}/instruments/new", data={"legal_basis_id": str(un.id)} | data)

    assert response.status_code == 400
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert _count(PartnerInstrument) == 0


def test_the_same_legal_basis_cannot_be_recorded_twice(client, auth, people):
    germany = make_partner(db.session, "DE", kind=PartnerKind.COUNTRY)
    un = make_legal_basis(db.session, "un-cybercrime", kind=LegalBasisKind.MULTILATERAL)
    germany.instruments.append(PartnerInstrument(legal_basis=un))
    db.session.commit()
    auth.login("admin")

    response = client.post(f"/partners/{germany.id}/instruments/new", data={"legal_basis_id": str(un.id)})

    assert response.status_code == 400
    assert "уже записано" in response.get_data(as_text=True)
    assert _count(PartnerInstrument) == 1


# --- Legal bases and request types -------------------------------------------------------------------------

def test_a_new_treaty_is_an_administrators_edit(client, auth, people):
    auth.login("admin")

    response = client.post("/partners/legal-bases/new", data={
        "code": "Bilateral-DE-2026", "kind": "bilateral", "name_ru": "Договор с Германией",
        "name_en": "Treaty with Germany", "adopted_on": "2026-03-01", "articles": "", "active": "y"})

    basis = db.session.scalar(select(LegalBasis))
    assert response.status_code == 302
    assert (basis.code, basis.kind, basis.adopted_on, basis.articles) == (
        "bilateral-de-2026", LegalBasisKind.BILATERAL, date(2026, 3, 1), None)


def test_editing_a_legal_basis_keeps_its_code(client, auth, people):
    basis = make_legal_basis(db.session, "budapest", kind=LegalBasisKind.MULTILATERAL)
    db.session.commit()
    auth.login("admin")

    response = client.post(f"/partners/legal-bases/{basis.id}/edit", data={
        "code": "renamed", "kind": "multilateral", "name_ru": "Будапештская конвенция", "name_en": "Budapest",
        "name_kk": "", "articles": "29 — сохранность", "adopted_on": "", "notes": "", "notes_kk": "", "active": ""})

    assert response.status_code == 302
    db.session.expire_all()
    basis = db.session.get(LegalBasis, basis.id)
    assert (basis.code, basis.articles, basis.active) == ("budapest", "29 — сохранность", False)


@pytest.mark.parametrize(("data", "field"), [
    ({"code": "bad code"}, "code"),
    ({"code": "budapest"}, "code"),
    ({"name_ru": ""}, "name_ru"),
    ({"kind": "treaty"}, "kind"),
    ({"adopted_on": "31.02.2026"}, "adopted_on"),
])
def test_a_bad_legal_basis_is_refused(client, auth, people, data, field):
    make_legal_basis(db.session, "budapest", kind=LegalBasisKind.MULTILATERAL)
    db.session.commit()
    auth.login("admin")

    response = client.post("/partners/legal-bases/new", data={
        "code": "new-treaty", "kind": "bilateral", "name_ru": "Договор", "name_en": "Treaty"} | data)

    assert response.status_code == 400
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert _count(LegalBasis) == 1


def test_an_administrator_adds_and_edits_a_request_type(client, auth, people):
    auth.login("admin")

    created = client.post("/partners/request-types/new", data={
        "code": "asset_tracing", "name_ru": "Розыск активов", "name_en": "Asset tracing", "direction": "outgoing",
        "partner_kind": "provider", "sort_order": "125", "active": "y"})
    request_type = db.session.scalar(select(RequestType))
    form = client.get(f"/partners/request-types/{request_type.id}/edit").get_data(as_text=True)
    edited = client.post(f"/partners/request-types/{request_type.id}/edit", data={
        "code": "ignored", "name_ru": "Розыск активов", "name_en": "Asset tracing", "name_kk": "",
        "direction": "incoming",
        "partner_kind": "", "is_preservation": "", "is_emergency": "y", "description": "", "description_kk": "",
        "sort_order": "5", "active": "y"})

    assert created.status_code == edited.status_code == 302
    assert '<option selected value="provider">' in form
    db.session.expire_all()
    request_type = db.session.get(RequestType, request_type.id)
    assert (request_type.code, request_type.direction, request_type.partner_kind) == (
        "asset_tracing", Direction.INCOMING, None)
    assert (request_type.is_emergency, request_type.sort_order) == (True, 5)


@pytest.mark.parametrize(("data", "field"), [
    ({"code": "Asset-Tracing!"}, "code"),
    ({"code": "mla_outgoing"}, "code"),
    ({"direction": "sideways"}, "direction"),
    ({"partner_kind": "planet"}, "partner_kind"),
    ({"sort_order": "-1"}, "sort_order"),
    ({"name_en": ""}, "name_en"),
])
def test_a_bad_request_type_is_refused(client, auth, people, data, field):
    make_request_type(db.session, "mla_outgoing")
    db.session.commit()
    auth.login("admin")

    response = client.post("/partners/request-types/new", data={
        "code": "asset_tracing", "name_ru": "Розыск", "name_en": "Tracing", "direction": "outgoing",
        "partner_kind": "", "sort_order": "100"} | data)

    assert response.status_code == 400
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert _count(RequestType) == 1
