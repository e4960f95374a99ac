"""Recognising what a register says: its headings, and the partners, types, statuses it names."""

from datetime import date, datetime

import pytest

from coop.domain.import_matching import AMBIGUOUS, Vocabulary, guess_mapping, load_lookups, mapping_problems
from coop.domain.importing import parse_day
from coop.domain.reference_data import seed_reference_data
from coop.extensions import db
from coop.models import Partner, Role, Status
from tests.factories import make_user
from tests.imports.registers import HEADINGS

TODAY = date(2026, 1, 20)


def test_the_headings_of_a_russian_register_are_recognised():
    mapping = guess_mapping(HEADINGS)

    assert {HEADINGS[index]: name for index, name in mapping.items()} == {
        "Исх. №": "external_number", "Дата направления": "sent_on", "Партнёр": "partner",
        "Тип запроса": "request_type", "Краткое содержание": "title", "Правовое основание": "legal_basis",
        "№ УД": "case_number", "Статус": "status", "Дата ответа": "answered_on", "Исполнитель": "officer",
        "Примечание": "notes",
    }


@pytest.mark.parametrize(("heading", "field"), [
    ("Номер", "external_number"), ("Страна", "partner"), ("Партнёр (ISO)", "partner"), ("Country", "partner"),
    ("Тип запроса", "request_type"), ("Request type", "request_type"), ("Дата направления запроса", "sent_on"),
    ("Статус", "status"), ("Status", "status"), ("Дата поступления", "received_on"), ("Date sent", "sent_on"),
    ("Номер партнёра", "partner_reference"), ("Их исх. № (номер партнера)", "partner_reference"),
    ("Номер ЕРДР", "case_number"), ("Срочность", "urgency"), ("Ответственный сотрудник", "officer"),
    ("ПРИМЕЧАНИЕ", "notes"), ("Direction", "direction"),
])
def test_headings_in_russian_and_english_are_guessed(heading, field):
    assert guess_mapping([heading, "Ещё"]) == {0: field}


def test_unknown_headings_are_left_unmapped_and_a_field_is_guessed_once():
    mapping = guess_mapping(["№ п/п", "Что-то своё", "Статус", "Статус запроса"])

    assert mapping == {2: "status"}


def test_a_country_name_and_its_iso_code_side_by_side_both_fill_the_partner():
    assert guess_mapping(["Страна", "Партнёр (ISO)"]) == {0: "partner", 1: "partner"}


def test_a_mapping_without_the_required_fields_names_them():
    assert mapping_problems({0: "partner"}, has_default_type=False) == ["request_type", "title"]
    assert mapping_problems({0: "partner", 1: "title"}, has_default_type=True) == []


@pytest.mark.parametrize(("written", "expected"), [
    ("05.03.2025", date(2025, 3, 5)), ("5.3.2025", date(2025, 3, 5)), ("05.03.25", date(2025, 3, 5)),
    ("05.03.99", date(1999, 3, 5)), ("2025-03-05", date(2025, 3, 5)), ("05/03/2025", date(2025, 3, 5)),
    ("05.03.2025 14:30", date(2025, 3, 5)), ("05.03.2025г.", date(2025, 3, 5)),
    (datetime(2025, 3, 5, 10, 0), date(2025, 3, 5)), (45721, date(2025, 3, 5)), (45721.0, date(2025, 3, 5)),
])
def test_dates_are_read_as_registers_write_them(written, expected):
    assert parse_day(written, TODAY) == expected


@pytest.mark.parametrize("written", ["31.02.2025", "вчера", "2025", "5 марта", 12, True, "13.13.2013"])
def test_what_is_not_a_date_is_refused(written):
    with pytest.raises(ValueError):
        parse_day(written, TODAY)


@pytest.fixture
def lookups(app):
    seed_reference_data(db.session)
    make_user(db.session, "officer", Role.OFFICER, full_name="Айдар Сейтказиев")
    db.session.flush()
    return load_lookups(db.session, [("Направлен", Status.SENT), ("Sent", Status.SENT)])


def _code(found) -> str | None:
    return found.code if isinstance(found, Partner) else None


PARTNER_NAMES = {
    "US": "US", "us": "US", "USA": "US", "США": "US", "Соединённые Штаты Америки": "US", "United States": "US",
    "DEU": "DE", "Германия": "DE", "ФРГ": "DE", "Germany": "DE", "Российская Федерация": "RU", "Россия": "RU",
    "Киргизия": "KG", "Кыргызстан": "KG", "Великобритания": "GB", "Турция": "TR", "Türkiye": "TR",
    "meta": "meta", "Meta": "meta", "Facebook": "meta", "Instagram": "meta", "Telegram": "telegram",
    "ВКонтакте": "vk", "«Яндекс»": "yandex", "X (Twitter)": "x", "Twitter": "x",
}


def test_partners_are_found_by_iso_code_and_by_name_in_russian_or_english(lookups):
    found = {written: _code(lookups.partners.find(written)) for written in PARTNER_NAMES}

    assert found == PARTNER_NAMES


def test_a_name_nobody_has_finds_nothing(lookups):
    assert lookups.partners.find("Атлантида") is None


def test_a_name_two_partners_share_finds_neither():
    vocabulary = Vocabulary()
    vocabulary.add("Корея", "KR", strong=False)
    vocabulary.add("Корея", "KP", strong=False)

    assert vocabulary.find("корея") is AMBIGUOUS


STATUS_WORDS = {
    "Направлен": Status.SENT, "направлено": Status.SENT, "Sent": Status.SENT, "sent": Status.SENT,
    "На исполнении": Status.IN_EXECUTION, "Исполнен": Status.ANSWERED, "Ответ получен": Status.ANSWERED,
    "Отказ": Status.REFUSED, "Закрыт": Status.CLOSED, "Частично исполнен": Status.PARTIALLY_ANSWERED,
}


def test_statuses_are_recognised_in_the_words_registers_use(lookups):
    assert {written: lookups.statuses.find(written) for written in STATUS_WORDS} == STATUS_WORDS


def test_types_legal_bases_and_officers_are_found_by_code_or_name(lookups):
    assert lookups.request_types.find("mla_outgoing").code == "mla_outgoing"
    assert lookups.request_types.find("Запрос провайдеру о сохранении данных").code == "preservation_provider"
    assert lookups.legal_bases.find("Будапештская конвенция").code == "budapest"
    assert lookups.legal_bases.find("Минская конвенция").code == "minsk-1993"
    assert lookups.officers.find("айдар сейтказиев").username == "officer"
    assert lookups.officers.find("OFFICER").username == "officer"
