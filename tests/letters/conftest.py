"""The request tests' department, with the built-in letter templates and a request whose record is complete."""

from datetime import UTC, date, datetime

import pytest

from coop.domain.identifiers import parse_identifier
from coop.domain.letter_texts import seed_letter_templates
from coop.domain.requests import add_identifier
from coop.extensions import db
from coop.models import IdentifierKind
from tests.requests.conftest import NOW, Department, dept  # noqa: F401  (the department fixture)

COMPLETE = {
    "requesting_authority": "Департамент по противодействию киберпреступности МВД РК",
    "investigation_subject": "Мошенничество через поддельный магазин; расследует следователь Айдар Сейтказиев",
    "facts": "С 1 по 20 января 2026 г. 14 потерпевших перевели предоплату за несуществующие телефоны",
    "offence": "ст. 190 ч. 4 УК РК, лишение свободы от 5 до 10 лет",
    "assistance_sought": "Регистрационные данные и журналы входов аккаунта",
    "persons": "Неустановленное лицо, использующее аккаунт @fake_shop_almaty",
    "purpose": "Установить личность пользователя аккаунта",
    "data_period_from": date(2026, 1, 1), "data_period_to": date(2026, 1, 31),
    "requested_by": date(2026, 4, 30),
    "requested_by_reasons": "Срок предварительного следствия истекает 15 мая 2026 г.",
    "confidentiality": "Просим не уведомлять пользователя",
    "data_custodian": "Meta Platforms, Inc., Менло-Парк, США",
    "follow_up_promised": True,
}


@pytest.fixture
def letter_templates(app):
    """Every built-in template (made once per process, inserted per test)."""
    seed_letter_templates(db.session, NOW)
    db.session.commit()


def complete_request(department: Department, **overrides):
    """A request whose contents checklist is complete, with an IP address and its exact time."""
    request = department.new_request(**(COMPLETE | overrides))
    parsed = parse_identifier(IdentifierKind.IP, "95.56.12.34", observed_at=datetime(2026, 1, 5, 14, 3),
                              zone="Asia/Almaty", now=NOW)
    add_identifier(db.session, request, department.officer, parsed, NOW)
    return request


def sent_at(day: datetime = datetime(2026, 2, 1, 9, tzinfo=UTC)) -> datetime:
    return day
