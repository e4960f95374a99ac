"""Recognising what a register says: which column holds which field, and which partner, type, status,
legal basis, officer ... a cell names, in the words people write (Russian or English, codes or names).

No Flask: the vocabularies are loaded from the database once per file (`load_lookups`).
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.models import Direction, LegalBasis, Partner, PartnerKind, RequestType, Role, Status, Urgency, User

# A mapping must fill these (the type may instead come from a default chosen for the whole file).
REQUIRED_FIELDS = ("partner", "request_type", "title")

# Headings as registers write them, normalised (see `normalize`); the first field whose list holds the
# heading wins, then the field with the longest of its headings contained in the column's heading.
HEADINGS = {
    "external_number": ["номер", "№", "исх №", "исх номер", "исходящий номер", "исходящий №", "рег №",
                        "регистрационный номер", "номер запроса", "№ запроса", "номер в журнале", "вх №",
                        "входящий номер", "входящий №", "number", "no", "ref", "reference", "our reference",
                        "register number", "outgoing number", "request number"],
    "partner": ["партнер iso", "iso", "код iso", "код страны", "страна iso", "страна", "партнер", "государство",
                "провайдер", "адресат", "получатель", "страна провайдер", "партнер страна", "страна партнер",
                "country", "partner", "partner iso", "country code", "iso code", "provider", "recipient",
                "addressee"],
    "request_type": ["тип запроса", "вид запроса", "тип", "вид", "характер запроса", "request type", "type",
                     "kind"],
    "title": ["краткое содержание", "суть запроса", "содержание", "содержание запроса", "краткая суть",
              "наименование", "заголовок", "тема", "предмет запроса", "title", "subject", "summary",
              "description"],
    "status": ["статус", "состояние", "статус запроса", "ход исполнения", "status", "state"],
    "sent_on": ["дата направления", "дата отправки", "дата исх", "дата исходящего", "направлен", "отправлен",
                "дата запроса", "date sent", "sent", "sent on", "sent date"],
    "received_on": ["дата поступления", "дата получения", "дата вх", "дата входящего", "поступил",
                    "date received", "received", "received on"],
    "answered_on": ["дата ответа", "ответ получен", "дата исполнения", "дата получения ответа", "answered",
                    "answer date", "date answered", "answered on"],
    "legal_basis": ["правовое основание", "основание", "правовая основа", "договор", "конвенция", "legal basis",
                    "basis", "treaty"],
    "case_number": ["уголовное дело", "№ уд", "номер уд", "уд", "№ дела", "номер дела", "ердр", "№ ердр",
                    "номер ердр", "дело", "case", "case number", "criminal case"],
    "partner_reference": ["номер партнера", "исх партнера", "№ партнера", "ссылка партнера", "вх № партнера",
                          "номер у партнера", "регистрационный номер партнера", "partner reference",
                          "their reference", "partner ref"],
    "urgency": ["срочность", "приоритет", "urgency", "priority"],
    "officer": ["исполнитель", "ответственный", "сотрудник", "ответственный сотрудник", "officer", "assignee",
                "responsible", "responsible officer"],
    "requested_by": ["срок", "срок исполнения", "запрошенный срок", "контрольный срок", "deadline",
                     "requested by", "due", "due date"],
    "offence": ["статья", "статья ук", "статья ук рк", "состав", "квалификация", "offence", "article"],
    "facts": ["фабула", "обстоятельства", "facts", "summary of facts"],
    "assistance_sought": ["запрашиваемая помощь", "что запрошено", "запрошено", "assistance sought",
                          "data requested"],
    "notes": ["примечание", "примечания", "комментарий", "комментарии", "notes", "note", "comment", "comments",
              "remarks"],
    "direction": ["направление", "вх исх", "исх вх", "входящий исходящий", "direction"],
}
_MIN_CONTAINED = 5  # shorter headings ("уд", "iso", "вид") only match exactly


def normalize(text: str) -> str:
    """Text compared loosely: lower case, ё as е, quotes and punctuation as spaces, spaces collapsed."""
    text = str(text).casefold().replace("ё", "е")
    text = re.sub(r"[^\w№]+", " ", text)
    return " ".join(text.split())


def guess_mapping(headings: list[str]) -> dict[int, str]:
    """{column index: field name} for the headings recognised; unknown ones are left out."""
    exact = {}
    for name, variants in HEADINGS.items():
        for variant in variants:
            exact.setdefault(normalize(variant), name)
    mapping = {}
    for index, heading in enumerate(headings):
        wanted = normalize(heading)
        if not wanted:
            continue
        if wanted in exact:
            mapping[index] = exact[wanted]
            continue
        contained = [(len(normalize(variant)), name) for name, variants in HEADINGS.items() for variant in variants
                     if len(normalize(variant)) >= _MIN_CONTAINED and f" {normalize(variant)} " in f" {wanted} "]
        if contained:
            mapping[index] = max(contained)[1]
    # One column per field, except the partner (a name and an ISO code may sit side by side) and the number.
    seen = set()
    for index in sorted(mapping):
        name = mapping[index]
        if name in seen and name not in ("partner", "external_number"):
            del mapping[index]
        seen.add(name)
    return mapping


def mapping_problems(mapping: dict[int, str], has_default_type: bool) -> list[str]:
    """The required fields no column fills."""
    mapped = set(mapping.values())
    return [name for name in REQUIRED_FIELDS
            if name not in mapped and not (name == "request_type" and has_default_type)]


# --- recognising partners, types, statuses ... in the words people write ----------------------------------

AMBIGUOUS = object()

# Names a register may use for a country besides the official ones (Russian usage in Kazakhstan, English).
COUNTRY_ALIASES = {
    "US": ["США", "Соединенные Штаты Америки", "Америка", "USA", "United States of America", "U.S.", "U.S.A."],
    "GB": ["Великобритания", "Соединенное Королевство", "Англия", "UK", "United Kingdom", "Great Britain",
           "Britain"],
    "RU": ["Россия", "Российская Федерация", "РФ", "Russian Federation"],
    "BY": ["Беларусь", "Белоруссия", "Республика Беларусь"],
    "KG": ["Кыргызстан", "Киргизия", "Кыргызская Республика", "Kyrgyz Republic"],
    "UZ": ["Республика Узбекистан"],
    "TJ": ["Республика Таджикистан"],
    "TM": ["Туркмения"],
    "MD": ["Молдавия", "Республика Молдова"],
    "CZ": ["Чехия", "Чешская Республика", "Czech Republic"],
    "KR": ["Южная Корея", "Республика Корея", "South Korea"],
    "KP": ["КНДР", "Северная Корея", "North Korea"],
    "CN": ["Китай", "КНР", "Китайская Народная Республика"],
    "AE": ["ОАЭ", "Объединенные Арабские Эмираты", "UAE"],
    "DE": ["ФРГ", "Федеративная Республика Германия"],
    "NL": ["Голландия", "Holland"],
    "TR": ["Турция", "Турецкая Республика", "Türkiye"],
    "KZ": ["Казахстан", "Республика Казахстан", "РК"],
}

# Names registers use for the legal bases, by code (besides their full names and codes).
LEGAL_BASIS_ALIASES = {
    "un-cybercrime": ["Конвенция ООН", "Конвенция ООН против киберпреступности", "UN Convention",
                      "UN Cybercrime Convention"],
    "budapest": ["Будапештская конвенция", "Budapest Convention", "ETS 185"],
    "budapest-protocol-2": ["Второй протокол", "Второй дополнительный протокол", "Second Additional Protocol",
                            "CETS 224"],
    "minsk-1993": ["Минская конвенция", "Минская конвенция 1993", "Minsk Convention"],
    "chisinau-2002": ["Кишиневская конвенция", "Кишиневская конвенция 2002", "Chisinau Convention"],
    "cis-2001": ["Соглашение СНГ 2001", "Минское соглашение 2001"],
    "cis-2018": ["Соглашение СНГ 2018", "Душанбинское соглашение"],
    "reciprocity": ["взаимность", "на началах взаимности"],
    "provider-policy": ["политика провайдера"],
}

# Statuses as registers write them; the caller adds the labels coop shows, in every language.
STATUS_WORDS = {
    Status.DRAFT: ["черновик", "проект", "готовится", "draft"],
    Status.LEGAL_CHECK: ["правовая проверка", "на проверке", "legal check"],
    Status.AWAITING_APPROVAL: ["на согласовании", "на утверждении", "awaiting approval"],
    Status.APPROVED: ["согласован", "согласовано", "утвержден", "утверждено", "approved"],
    Status.TRANSLATION: ["на переводе", "перевод", "translation"],
    Status.SENT: ["направлен", "направлено", "отправлен", "отправлено", "sent"],
    Status.FORWARDED: ["передан центральным органом", "forwarded"],
    Status.ACKNOWLEDGED: ["подтвержден", "подтверждено", "получение подтверждено", "acknowledged"],
    Status.IN_EXECUTION: ["на исполнении", "в работе", "исполняется", "in execution", "in progress"],
    Status.ADDITIONAL_INFO_REQUESTED: ["запрошена дополнительная информация", "доп запрос", "дозапрос",
                                       "additional information requested"],
    Status.PARTIALLY_ANSWERED: ["частично исполнен", "частично исполнено", "частичный ответ", "partially answered"],
    Status.ANSWERED: ["исполнен", "исполнено", "ответ получен", "получен ответ", "answered"],
    Status.EVIDENCE_REVIEWED: ["доказательства изучены", "evidence reviewed"],
    Status.RECEIVED: ["поступил", "поступило", "получен", "received"],
    Status.REGISTERED: ["зарегистрирован", "зарегистрировано", "registered"],
    Status.ASSESSED: ["рассмотрен", "assessed"],
    Status.CONSULTATION: ["консультации", "consultation"],
    Status.CLOSED: ["закрыт", "закрыто", "завершен", "завершено", "closed"],
    Status.POSTPONED: ["отложен", "отложено", "postponed"],
    Status.REFUSED: ["отказ", "отказано", "отказан", "refused"],
    Status.NO_DATA: ["нет данных", "данные отсутствуют", "no data"],
    Status.EXPIRED: ["истек", "истек срок", "срок истек", "expired"],
    Status.WITHDRAWN: ["отозван", "отозвано", "withdrawn"],
}
DIRECTION_WORDS = {
    Direction.OUTGOING: ["исходящий", "исходящие", "исходящая", "исх", "outgoing", "out"],
    Direction.INCOMING: ["входящий", "входящие", "входящая", "вх", "incoming", "in"],
}
URGENCY_WORDS = {
    Urgency.NORMAL: ["обычный", "обычная", "обычно", "плановый", "нет", "normal"],
    Urgency.URGENT: ["срочный", "срочная", "срочно", "urgent"],
    Urgency.EMERGENCY: ["экстренный", "экстренная", "экстренно", "чрезвычайный", "emergency"],
}


class Vocabulary:
    """Finds a thing by any of its names; a name two things share finds neither (AMBIGUOUS)."""

    def __init__(self):
        self._strong: dict[str, object] = {}
        self._weak: dict[str, object] = {}

    def add(self, name: str | None, item, strong: bool = True) -> None:
        key = normalize(name or "")
        if not key:
            return
        names = self._strong if strong else self._weak
        known = names.get(key)
        names[key] = item if known is None or known is item else AMBIGUOUS

    def find(self, text: str):
        key = normalize(text)
        return self._strong.get(key) or self._weak.get(key)


def _name_parts(name: str) -> list[str]:
    """The parts of a name like "Meta (Facebook, Instagram, Messenger)": "Meta", "Facebook" ..."""
    head, _, rest = name.partition("(")
    return [head, *re.split(r"[,;/]", rest.rstrip(")"))] if rest else [head]


def _named_vocabulary(items: Iterable, extra_names=lambda item: ()) -> Vocabulary:
    vocabulary = Vocabulary()
    for item in items:
        vocabulary.add(item.code, item)
        for name in (item.name_ru, item.name_en, getattr(item, "name_kk", None)):
            if name:
                vocabulary.add(name, item)
                for part in _name_parts(name):
                    vocabulary.add(part, item, strong=False)
        for name in extra_names(item):
            vocabulary.add(name, item)
    return vocabulary


def _country_names(partner: Partner) -> list[str]:
    if partner.kind != PartnerKind.COUNTRY or len(partner.code) != 2:
        return []
    import pycountry

    names = list(COUNTRY_ALIASES.get(partner.code.upper(), []))
    country = pycountry.countries.get(alpha_2=partner.code.upper())
    if country is not None:
        names += [country.alpha_3, country.name, getattr(country, "official_name", None),
                  getattr(country, "common_name", None)]
    return [name for name in names if name]


@dataclass
class Lookups:
    """Everything rows are matched against, loaded once per file."""

    partners: Vocabulary
    request_types: Vocabulary
    legal_bases: Vocabulary
    statuses: Vocabulary
    officers: Vocabulary
    directions: Vocabulary
    urgencies: Vocabulary


def load_lookups(session: Session, status_labels: Iterable[tuple[str, Status]] = ()) -> Lookups:
    """The partners, types, legal bases and people of coop, and the words for statuses (plus `status_labels`,
    the names coop shows for them in each language)."""
    statuses = Vocabulary()
    for status in Status:
        statuses.add(status.value, status)
    for label, status in status_labels:
        statuses.add(label, status)
    for status, words in STATUS_WORDS.items():
        for word in words:
            statuses.add(word, status, strong=False)
    officers = Vocabulary()
    for person in session.scalars(select(User).where(User.role.in_([Role.OFFICER, Role.HEAD]))):
        officers.add(person.username, person)
        officers.add(person.full_name, person, strong=False)
    directions, urgencies = Vocabulary(), Vocabulary()
    for direction, words in DIRECTION_WORDS.items():
        for word in [direction.value, *words]:
            directions.add(word, direction)
    for urgency, words in URGENCY_WORDS.items():
        for word in [urgency.value, *words]:
            urgencies.add(word, urgency)
    return Lookups(
        partners=_named_vocabulary(session.scalars(select(Partner)), _country_names),
        request_types=_named_vocabulary(session.scalars(select(RequestType))),
        legal_bases=_named_vocabulary(session.scalars(select(LegalBasis)),
                                      lambda basis: LEGAL_BASIS_ALIASES.get(basis.code, ())),
        statuses=statuses, officers=officers, directions=directions, urgencies=urgencies,
    )
