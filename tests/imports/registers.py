"""A department's register of requests as it really looks: Russian headings, a title line above them, names
of countries as people write them, dates as text and as date cells, a few broken rows."""

import csv
import io
import random
from datetime import date, datetime, timedelta

from openpyxl import Workbook

HEADINGS = ["№ п/п", "Исх. №", "Дата направления", "Партнёр", "Тип запроса", "Краткое содержание",
            "Правовое основание", "№ УД", "Статус", "Дата ответа", "Исполнитель", "Примечание"]
# (what the register writes, partner code, type code) - countries by their Russian names, providers by theirs.
PARTNERS = [
    ("Meta", "meta", "direct_disclosure"),
    ("Telegram", "telegram", "direct_disclosure"),
    ("Google", "google", "preservation_provider"),
    ("TikTok", "tiktok", "direct_disclosure"),
    ("США", "US", "mla_outgoing"),
    ("Германия", "DE", "mla_outgoing"),
    ("Турция", "TR", "preservation_state"),
    ("Российская Федерация", "RU", "mla_outgoing"),
    ("Кыргызстан", "KG", "mla_outgoing"),
    ("UZ", "UZ", "mla_outgoing"),
    ("Великобритания", "GB", "preservation_state"),
]
TYPE_NAMES = {
    "direct_disclosure": "Прямой запрос провайдеру о раскрытии данных (абонентские данные, IP-адреса, номер "
                         "телефона)",
    "preservation_provider": "Запрос провайдеру о сохранении данных",
    "mla_outgoing": "mla_outgoing",
    "preservation_state": "Срочное обеспечение сохранности данных (государство)",
}
BASES = {"direct_disclosure": "provider-policy", "preservation_provider": "Политика провайдера для "
         "правоохранительных органов", "mla_outgoing": "Минская конвенция", "preservation_state": "budapest"}
STATUSES = [("Направлен", False), ("На исполнении", False), ("Исполнен", True), ("Закрыт", True),
            ("Ответ получен", True), ("Отказ", True)]
OFFICERS = ["Айдар Сейтказиев", "officer", ""]
# Row numbers (1-based among the requests) broken on purpose, and how.
BROKEN = {
    17: ("partner", "Атлантида"),
    58: ("sent", "31.02.2025"),
    103: ("title", ""),
    177: ("partner", "Нарния"),
    240: ("sent", "вчера"),
    301: ("status", "Потерян"),
}


def register_rows(count: int = 320, seed: int = 2025, today: date = date(2026, 1, 20)) -> list[list]:
    """The register's rows (without headings): `count` requests, BROKEN among them."""
    rng = random.Random(seed)
    rows = []
    start = today - timedelta(days=700)
    for number in range(1, count + 1):
        label, _code, type_code = rng.choice(PARTNERS)
        sent = start + timedelta(days=number * 2)
        status, answered = rng.choice(STATUSES)
        answer = sent + timedelta(days=rng.randint(5, 40)) if answered else None
        if answer is not None and answer > today:
            status, answer = "На исполнении", None
        sent_cell: object = sent.strftime("%d.%m.%Y") if number % 3 else datetime.combine(sent, datetime.min.time())
        row = [number, f"25-3-1/{1000 + number}", sent_cell, label, TYPE_NAMES[type_code],
               f"Данные владельца аккаунта по делу № {number}", BASES[type_code],
               f"2{number % 7:02d}000{number % 5}", status, answer.strftime("%d.%m.%Y") if answer else "",
               OFFICERS[number % 3], "срочно" if number % 50 == 0 else ""]
        if number in BROKEN:
            what, value = BROKEN[number]
            index = {"partner": 3, "sent": 2, "title": 5, "status": 8}[what]
            row[index] = value
        rows.append(row)
    return rows


def register_xlsx(rows: list[list], title_line: bool = True) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Журнал 2025"
    if title_line:
        sheet.append(["Журнал учёта запросов о международном сотрудничестве"])
    sheet.append(HEADINGS)
    for row in rows:
        sheet.append(row)
    for cell in sheet["C"]:
        if isinstance(cell.value, datetime):
            cell.number_format = "DD.MM.YYYY"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def register_csv(rows: list[list], encoding: str = "cp1251", delimiter: str = ";") -> bytes:
    """The register as Russian Excel saves "CSV (разделители - точка с запятой)"."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(HEADINGS)
    for row in rows:
        writer.writerow([value.strftime("%d.%m.%Y") if isinstance(value, datetime) else value for value in row])
    return buffer.getvalue().encode(encoding)


def seed_register_partners(session) -> None:
    """The partners, types and legal bases the registers above name (a light stand-in for `coop seed`)."""
    from coop.models import Direction, LegalBasisKind, PartnerKind
    from tests.factories import make_legal_basis, make_partner, make_request_type

    for code, name_ru, name_en in (("US", "Соединенные Штаты", "United States"), ("DE", "Германия", "Germany"),
                                   ("TR", "Турция", "Türkiye"), ("RU", "Россия", "Russia"),
                                   ("KG", "Кыргызстан", "Kyrgyzstan"), ("UZ", "Узбекистан", "Uzbekistan"),
                                   ("GB", "Великобритания", "United Kingdom")):
        make_partner(session, code, PartnerKind.COUNTRY, name_ru=name_ru, name_en=name_en)
    for code, name in (("meta", "Meta (Facebook, Instagram, Messenger)"), ("telegram", "Telegram"),
                       ("google", "Google"), ("tiktok", "TikTok")):
        make_partner(session, code, PartnerKind.PROVIDER, name_ru=name, name_en=name)
    for code, direction, kind, name_ru in (
        ("direct_disclosure", Direction.OUTGOING, PartnerKind.PROVIDER, TYPE_NAMES["direct_disclosure"]),
        ("preservation_provider", Direction.OUTGOING, PartnerKind.PROVIDER, TYPE_NAMES["preservation_provider"]),
        ("preservation_state", Direction.OUTGOING, PartnerKind.COUNTRY, TYPE_NAMES["preservation_state"]),
        ("mla_outgoing", Direction.OUTGOING, PartnerKind.COUNTRY, "Запрос о правовой помощи (исходящий)"),
        ("mla_incoming", Direction.INCOMING, PartnerKind.COUNTRY, "Запрос о правовой помощи (входящий)"),
    ):
        make_request_type(session, code, direction, partner_kind=kind, name_ru=name_ru, name_en=code)
    make_legal_basis(session, "provider-policy", LegalBasisKind.PROVIDER_POLICY,
                     name_ru="Политика провайдера для правоохранительных органов")
    make_legal_basis(session, "budapest", LegalBasisKind.MULTILATERAL,
                     name_ru="Конвенция Совета Европы о киберпреступности (Будапештская конвенция, ETS № 185)")
    make_legal_basis(session, "minsk-1993", LegalBasisKind.REGIONAL,
                     name_ru="Конвенция о правовой помощи (Минск, 1993)")
