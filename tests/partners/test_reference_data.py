"""Seeding the reference data: complete, idempotent, and never over an administrator's edits."""

from datetime import date

import pytest
from sqlalchemy import func, select

from coop.domain.reference_data import (
    EditConflict,
    country_rows,
    main_time_zones,
    parse_languages,
    parse_weekdays,
    seed_reference_data,
    update_partner,
)
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

LEGAL_BASIS_CODES = {
    "un-cybercrime", "budapest", "budapest-protocol-2", "minsk-1993", "chisinau-2002", "cis-2001", "cis-2018",
    "bilateral-us-2015", "bilateral-gb-2015", "bilateral-cz", "bilateral-kg", "bilateral-pe-2024", "reciprocity",
    "provider-policy",
}
REQUEST_TYPE_CODES = {
    "preservation_state", "preservation_provider", "traffic_disclosure", "emergency_state", "emergency_provider",
    "direct_disclosure", "mla_outgoing", "realtime_collection", "mla_incoming", "joint_investigation",
    "extradition_transfer", "freezing_confiscation", "spontaneous_information",
}
PROVIDER_CODES = {"meta", "whatsapp", "telegram", "google", "microsoft", "apple", "tiktok", "x", "vk", "yandex",
                  "binance", "godaddy"}


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _partner(code: str) -> Partner:
    return db.session.scalar(select(Partner).where(Partner.code == code))


def test_every_iso_country_is_generated_with_names_in_three_languages():
    rows = {row["code"]: row for row in country_rows()}
    assert len(rows) == 249
    assert rows["DE"]["name_ru"] == "Германия"
    assert rows["DE"]["name_en"] == "Germany"
    assert rows["KZ"]["name_kk"] == "Қазақстан"
    assert all(row["name_ru"] and row["name_en"] and row["name_kk"] for row in rows.values())


def test_a_country_gets_the_zone_of_its_capital_not_the_first_listed():
    zones = main_time_zones()
    assert zones["KZ"] == "Asia/Almaty"
    assert zones["RU"] == "Europe/Moscow"  # zone.tab lists Kaliningrad first
    assert zones["US"] == "America/New_York"
    assert zones["AU"] == "Australia/Sydney"
    assert "AQ" not in zones


def test_weekends_follow_the_holidays_package():
    rows = {row["code"]: row for row in country_rows()}
    assert rows["SA"]["weekend_days"] == "5,6"  # Friday and Saturday
    assert rows["DE"]["weekend_days"] == "6,7"
    assert rows["KZ"]["holiday_calendar"] == "KZ"


def test_seeding_fills_an_empty_database(app):
    added = seed_reference_data(db.session)
    db.session.commit()

    assert added["countries"] == 249
    assert added["providers"] == len(PROVIDER_CODES)
    assert set(db.session.scalars(select(LegalBasis.code))) == LEGAL_BASIS_CODES
    assert set(db.session.scalars(select(RequestType.code))) == REQUEST_TYPE_CODES
    assert set(db.session.scalars(select(Partner.code).where(Partner.kind == PartnerKind.PROVIDER))) == PROVIDER_CODES
    germany = _partner("DE")
    assert (germany.name_ru, germany.name_en, germany.time_zone) == ("Германия", "Germany", "Europe/Berlin")
    assert germany.name_kk


def test_seeding_twice_adds_nothing(app):
    seed_reference_data(db.session)
    db.session.commit()
    counts = [_count(model) for model in (Partner, LegalBasis, RequestType, PartnerInstrument, PartnerContact)]

    again = seed_reference_data(db.session)
    db.session.commit()

    assert set(again.values()) == {0}
    assert [_count(model) for model in (Partner, LegalBasis, RequestType, PartnerInstrument, PartnerContact)] == counts


def test_an_administrators_edits_survive_reseeding(app):
    seed_reference_data(db.session)
    db.session.commit()
    meta = _partner("meta")
    meta.preservation_days = 120
    germany = _partner("DE")
    germany.name_ru = "ФРГ"
    un = db.session.scalar(select(LegalBasis).where(LegalBasis.code == "un-cybercrime"))
    un.notes = "Ратифицирована"
    preservation = db.session.scalar(select(RequestType).where(RequestType.code == "preservation_provider"))
    preservation.name_ru = "Сохранение (провайдер)"
    us = _partner("US")
    db.session.delete(us.instruments[0])  # the administrator decides the treaty does not apply
    db.session.delete(us.contacts[0])
    db.session.commit()

    seed_reference_data(db.session)
    db.session.commit()
    db.session.expire_all()

    assert _partner("meta").preservation_days == 120
    assert _partner("DE").name_ru == "ФРГ"
    assert db.session.scalar(select(LegalBasis.notes).where(LegalBasis.code == "un-cybercrime")) == "Ратифицирована"
    assert db.session.scalar(select(RequestType.name_ru).where(RequestType.code == "preservation_provider")) \
        == "Сохранение (провайдер)"
    assert _partner("US").instruments == []
    assert _partner("US").contacts == []


def test_a_missing_row_is_added_back_without_touching_the_others(app):
    seed_reference_data(db.session)
    db.session.commit()
    telegram = _partner("telegram")
    db.session.delete(telegram)
    _partner("meta").known_limits = "edited"
    db.session.commit()

    added = seed_reference_data(db.session)
    db.session.commit()

    assert added["providers"] == 1
    assert _partner("telegram") is not None
    assert _partner("meta").known_limits == "edited"


def test_a_new_legal_basis_binds_its_parties_even_when_they_exist(app):
    seed_reference_data(db.session)
    db.session.commit()
    minsk = db.session.scalar(select(LegalBasis).where(LegalBasis.code == "minsk-1993"))
    db.session.execute(PartnerInstrument.__table__.delete().where(PartnerInstrument.legal_basis_id == minsk.id))
    db.session.delete(minsk)
    db.session.commit()

    added = seed_reference_data(db.session)
    db.session.commit()

    assert added["legal_bases"] == 1
    russia = _partner("RU")
    assert "minsk-1993" in {item.legal_basis.code for item in russia.instruments}


def test_seeded_facts_match_the_domain(app):
    seed_reference_data(db.session)
    db.session.commit()

    meta = _partner("meta")
    assert meta.legal_entity.startswith("Meta Platforms, Inc.")
    assert meta.preservation_days == 90
    assert "WhatsApp" in meta.known_limits
    assert "содержимое" in _partner("whatsapp").known_limits
    russia = _partner("RU")
    assert russia.accepted_languages == "ru"
    assert {item.legal_basis.code for item in russia.instruments} >= {"minsk-1993", "cis-2018"}
    us = _partner("US")
    assert [item.legal_basis.code for item in us.instruments] == ["bilateral-us-2015"]
    assert us.contacts[0].role == ContactRole.CENTRAL_AUTHORITY
    assert "Office of International Affairs" in us.contacts[0].name
    assert all(contact.email is None and contact.phone is None
               for contact in db.session.scalars(select(PartnerContact)))
    un = db.session.scalar(select(LegalBasis).where(LegalBasis.code == "un-cybercrime"))
    assert (un.kind, un.adopted_on) == (LegalBasisKind.MULTILATERAL, date(2024, 12, 24))
    assert not _partner("KZ").active  # our own country is listed, but is not a partner


@pytest.mark.parametrize(("code", "direction", "kind", "preservation", "emergency"), [
    ("preservation_state", Direction.OUTGOING, PartnerKind.COUNTRY, True, False),
    ("preservation_provider", Direction.OUTGOING, PartnerKind.PROVIDER, True, False),
    ("emergency_provider", Direction.OUTGOING, PartnerKind.PROVIDER, False, True),
    ("emergency_state", Direction.OUTGOING, PartnerKind.COUNTRY, False, True),
    ("mla_incoming", Direction.INCOMING, PartnerKind.COUNTRY, False, False),
    ("spontaneous_information", Direction.INCOMING, None, False, False),
    ("freezing_confiscation", Direction.OUTGOING, None, False, False),
])
def test_request_types_carry_their_rules(app, code, direction, kind, preservation, emergency):
    seed_reference_data(db.session)
    request_type = db.session.scalar(select(RequestType).where(RequestType.code == code))
    assert (request_type.direction, request_type.partner_kind) == (direction, kind)
    assert (request_type.is_preservation, request_type.is_emergency) == (preservation, emergency)
    assert request_type.name_ru and request_type.name_en


def test_request_types_are_ordered_as_the_domain_lists_them(app):
    seed_reference_data(db.session)
    ordered = db.session.scalars(select(RequestType.code).order_by(RequestType.sort_order)).all()
    assert ordered[:2] == ["preservation_state", "preservation_provider"]
    assert ordered[-1] == "spontaneous_information"


def test_an_edit_at_the_current_version_is_applied_and_counts_up(app):
    seed_reference_data(db.session)
    db.session.commit()
    meta = _partner("meta")

    update_partner(db.session, meta.id, 1, {"preservation_days": 60})
    db.session.commit()

    assert (_partner("meta").preservation_days, _partner("meta").version) == (60, 2)


def test_an_edit_from_a_stale_version_is_refused(app):
    seed_reference_data(db.session)
    db.session.commit()
    meta = _partner("meta")
    update_partner(db.session, meta.id, 1, {"preservation_days": 60})
    db.session.commit()

    with pytest.raises(EditConflict) as conflict:
        update_partner(db.session, meta.id, 1, {"preservation_days": 30})
    db.session.rollback()

    assert conflict.value.current.preservation_days == 60
    assert _partner("meta").preservation_days == 60


def test_kind_and_code_cannot_be_edited(app):
    seed_reference_data(db.session)
    with pytest.raises(ValueError):
        update_partner(db.session, _partner("meta").id, 1, {"code": "facebook"})


@pytest.mark.parametrize(("text", "expected"), [("7, 6", "6,7"), ("5,6", "5,6"), ("1", "1")])
def test_weekdays_are_normalised(text, expected):
    assert parse_weekdays(text) == expected


@pytest.mark.parametrize("text", ["", "0", "8", "sat", "6,6", "1,2,3,4,5,6,7"])
def test_bad_weekdays_are_refused(text):
    with pytest.raises(ValueError):
        parse_weekdays(text)


def test_languages_are_normalised_and_checked():
    assert parse_languages(" RU, en ,ru") == "ru, en"
    with pytest.raises(ValueError, match="xx"):
        parse_languages("ru, xx")
    with pytest.raises(ValueError):
        parse_languages("rus")


def test_a_countrys_accepted_languages_default_to_its_official_ones():
    rows = {row["code"]: row for row in country_rows()}
    assert rows["DE"]["accepted_languages"] == "de"
    assert rows["CH"]["accepted_languages"] == "de, fr, it"
    assert rows["AQ"]["accepted_languages"] is None


def test_cis_partners_accept_russian_and_providers_rest_on_their_policy(app):
    seed_reference_data(db.session)
    assert _partner("KG").accepted_languages == "ru"
    assert _partner("KG").name_ru == "Кыргызстан"
    assert [item.legal_basis.code for item in _partner("telegram").instruments] == ["provider-policy"]
