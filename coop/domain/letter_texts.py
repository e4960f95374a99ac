"""coop's built-in letter templates, in Russian, English and Kazakh, made into .docx files with python-docx when
they are seeded. An administrator downloads one, edits it in Word and uploads it back (or uploads another).

Each letter: the sender and the outgoing number, the addressee, the title, the opening, one numbered section per
item of the contents checklist (DOMAIN.md), the closing and the signature. Fields are docxtpl's Jinja.
"""

import io
from datetime import datetime
from functools import cache

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt
from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.domain.letters import LANGUAGES, scope_key, store_template
from coop.models import LetterKind, LetterTemplate

K = LetterKind

HEADER = {
    "ru": ["Исх. № {{ number }} от {{ date }}", "Наш номер: {{ reference }}",
           "{% if case_number %}Уголовное дело № {{ case_number }}{% endif %}"],
    "en": ["Ref. No. {{ number }} of {{ date }}", "Our reference: {{ reference }}",
           "{% if case_number %}Criminal case No. {{ case_number }}{% endif %}"],
    "kk": ["Шығ. № {{ number }}, {{ date }}", "Біздің нөмір: {{ reference }}",
           "{% if case_number %}№ {{ case_number }} қылмыстық іс{% endif %}"],
}
TO = {"ru": "Кому: {{ addressee }}", "en": "To: {{ addressee }}", "kk": "Кімге: {{ addressee }}"}
SALUTATION = {"ru": "Уважаемые коллеги!", "en": "Dear Colleagues,", "kk": "Құрметті әріптестер!"}
CLOSING = {"ru": "Выражаем признательность за сотрудничество.", "en": "We thank you for your cooperation.",
           "kk": "Ынтымақтастығыңыз үшін алғыс білдіреміз."}

TITLES = {
    K.PRESERVATION: {"ru": "ЗАПРОС об обеспечении сохранности хранимых данных",
                     "en": "REQUEST FOR THE EXPEDITED PRESERVATION OF STORED DATA",
                     "kk": "САҚТАЛҒАН ДЕРЕКТЕРДІҢ САҚТАЛУЫН ЖЕДЕЛ ҚАМТАМАСЫЗ ЕТУ ТУРАЛЫ СҰРАУ"},
    K.ASSISTANCE: {"ru": "ЗАПРОС о взаимной правовой помощи по уголовному делу",
                   "en": "REQUEST FOR MUTUAL LEGAL ASSISTANCE IN A CRIMINAL MATTER",
                   "kk": "ҚЫЛМЫСТЫҚ ІС БОЙЫНША ӨЗАРА ҚҰҚЫҚТЫҚ КӨМЕК ТУРАЛЫ СҰРАУ"},
    K.EMERGENCY: {"ru": "ЭКСТРЕННЫЙ ЗАПРОС о раскрытии данных",
                  "en": "EMERGENCY DISCLOSURE REQUEST",
                  "kk": "ДЕРЕКТЕРДІ АШУ ТУРАЛЫ ТӨТЕНШЕ СҰРАУ"},
    K.STATUS_ENQUIRY: {"ru": "ЗАПРОС о ходе исполнения", "en": "STATUS ENQUIRY",
                       "kk": "ОРЫНДАЛУ БАРЫСЫ ТУРАЛЫ СҰРАУ"},
    K.EXTENSION: {"ru": "ЗАПРОС о продлении срока сохранности данных",
                  "en": "REQUEST TO EXTEND THE PRESERVATION OF DATA",
                  "kk": "ДЕРЕКТЕРДІ САҚТАУ МЕРЗІМІН ҰЗАРТУ ТУРАЛЫ СҰРАУ"},
    K.REPLY: {"ru": "ОТВЕТ на запрос о правовой помощи", "en": "REPLY TO THE REQUEST FOR ASSISTANCE",
              "kk": "ҚҰҚЫҚТЫҚ КӨМЕК ТУРАЛЫ СҰРАУҒА ЖАУАП"},
}

OPENINGS = {
    K.PRESERVATION: {
        "ru": "В связи с расследованием уголовного дела № {{ case_number }} просим незамедлительно обеспечить "
              "сохранность нижеуказанных данных до получения запроса о взаимной правовой помощи.",
        "en": "In connection with the investigation of criminal case No. {{ case_number }}, we request that you "
              "preserve without delay the data described below, pending a request for mutual legal assistance.",
        "kk": "№ {{ case_number }} қылмыстық істі тергеуге байланысты өзара құқықтық көмек туралы сұрау алынғанға "
              "дейін төменде көрсетілген деректердің сақталуын кідіріссіз қамтамасыз етуді сұраймыз."},
    K.ASSISTANCE: {
        "ru": "Просим оказать правовую помощь по уголовному делу № {{ case_number }} в объёме, изложенном ниже.",
        "en": "We request mutual legal assistance in criminal case No. {{ case_number }} as set out below.",
        "kk": "№ {{ case_number }} қылмыстық іс бойынша төменде баяндалған көлемде құқықтық көмек көрсетуді "
              "сұраймыз."},
    K.EMERGENCY: {
        "ru": "Направляем экстренный запрос о раскрытии данных: существует непосредственная угроза жизни или "
              "причинения тяжкого вреда здоровью человека.",
        "en": "This is an emergency disclosure request: there is an imminent threat to life or of serious "
              "physical harm to a person.",
        "kk": "Деректерді ашу туралы төтенше сұрау жолдаймыз: адамның өміріне немесе денсаулығына ауыр зиян "
              "келтірудің тікелей қаупі бар."},
    K.STATUS_ENQUIRY: {
        "ru": "Ссылаясь на наш запрос {{ reference }} от {{ sent_on }}{% if partner_references %} (ваш номер: "
              "{{ partner_references }}){% endif %} — «{{ title }}», просим сообщить о ходе его исполнения и "
              "ожидаемых сроках. Со дня направления запроса прошло {{ days_since_sent }} дн.",
        "en": "With reference to our request {{ reference }} of {{ sent_on }}{% if partner_references %} (your "
              "reference: {{ partner_references }}){% endif %}, “{{ title }}”, we kindly ask you to inform us of "
              "the status of its execution and of the expected time of completion. {{ days_since_sent }} days "
              "have passed since the request was sent.",
        "kk": "{{ sent_on }} жіберілген {{ reference }} сұрауымызға{% if partner_references %} (сіздің "
              "нөміріңіз: {{ partner_references }}){% endif %} — «{{ title }}» — сілтеме жасай отырып, оның "
              "орындалу барысы мен күтілетін мерзімдері туралы хабарлауыңызды сұраймыз. Сұрау жіберілген күннен "
              "бері {{ days_since_sent }} күн өтті."},
    K.EXTENSION: {
        "ru": "Ссылаясь на наш запрос о сохранности данных {{ reference }} от {{ sent_on }}{% if "
              "partner_references %} (ваш номер: {{ partner_references }}){% endif %}, срок сохранности по "
              "которому истекает {{ preservation_expires }}, просим продлить сохранность указанных данных. Запрос "
              "о взаимной правовой помощи для их получения готовится и будет направлен дополнительно.",
        "en": "With reference to our preservation request {{ reference }} of {{ sent_on }}{% if "
              "partner_references %} (your reference: {{ partner_references }}){% endif %}, whose preservation "
              "period ends on {{ preservation_expires }}, we request that you extend the preservation of the "
              "data. A request for mutual legal assistance to obtain them is being prepared and will follow.",
        "kk": "{{ sent_on }} жіберілген {{ reference }} деректерді сақтау туралы сұрауымызға{% if "
              "partner_references %} (сіздің нөміріңіз: {{ partner_references }}){% endif %} сілтеме жасай "
              "отырып, сақтау мерзімі {{ preservation_expires }} аяқталатынын ескеріп, аталған деректердің "
              "сақталуын ұзартуды сұраймыз. Оларды алу үшін өзара құқықтық көмек туралы сұрау дайындалуда және "
              "қосымша жіберілетін болады."},
    K.REPLY: {
        "ru": "В ответ на ваш запрос{% if partner_references %} № {{ partner_references }}{% endif %}, поступивший "
              "{{ received_on }}, — «{{ title }}» (наш номер {{ reference }}) сообщаем следующее.",
        "en": "In reply to your request{% if partner_references %} No. {{ partner_references }}{% endif %} "
              "received on {{ received_on }}, “{{ title }}” (our reference {{ reference }}), we inform you as "
              "follows.",
        "kk": "{{ received_on }} келіп түскен{% if partner_references %} № {{ partner_references }}{% endif %} "
              "сұрауыңызға — «{{ title }}» (біздің нөмір {{ reference }}) — жауап ретінде мынаны хабарлаймыз."},
}

# Section labels; the value of each section is the field of the same name (or the Jinja given in SECTIONS).
LABELS = {
    "ru": {"requesting_authority": "Запрашивающий орган",
           "investigation_subject": "Предмет и характер расследования, орган, его проводящий",
           "facts": "Краткое изложение фактов", "offence": "Преступление и предусмотренное наказание",
           "assistance_sought": "Запрашиваемая помощь и порядок её оказания",
           "persons": "Лица, предметы и аккаунты", "purpose": "Цель запроса",
           "data_period": "Период, за который запрашиваются данные",
           "requested_by": "Желательный срок исполнения и его обоснование",
           "confidentiality": "Конфиденциальность и условия использования", "legal_basis": "Правовое основание",
           "data_named": "Данные, подлежащие сохранению",
           "data_custodian": "Владелец (хранитель) данных и их местонахождение",
           "urgency_reasons": "Обоснование срочности",
           "emergency_justification": "Основания экстренности (угроза жизни или тяжкого вреда)",
           "accounts": "Аккаунты и идентификаторы", "results": "Результаты исполнения"},
    "en": {"requesting_authority": "Requesting authority",
           "investigation_subject": "Subject and nature of the investigation, and the authority conducting it",
           "facts": "Summary of the facts", "offence": "Offence and applicable penalty",
           "assistance_sought": "Assistance sought and procedure to be followed",
           "persons": "Persons, items and accounts concerned", "purpose": "Purpose of the request",
           "data_period": "Time period of the data sought",
           "requested_by": "Requested date of execution and reasons",
           "confidentiality": "Confidentiality and conditions of use", "legal_basis": "Legal basis",
           "data_named": "Data to be preserved", "data_custodian": "Custodian and location of the data",
           "urgency_reasons": "Why the data must be preserved urgently",
           "emergency_justification": "Grounds for the emergency (threat to life or of serious harm)",
           "accounts": "Accounts and identifiers", "results": "Results of execution"},
    "kk": {"requesting_authority": "Сұрау салушы орган",
           "investigation_subject": "Тергеудің мәні мен сипаты, оны жүргізетін орган",
           "facts": "Мән-жайлардың қысқаша баяндамасы", "offence": "Қылмыс және көзделген жаза",
           "assistance_sought": "Сұралатын көмек және оны көрсету тәртібі",
           "persons": "Тұлғалар, заттар және аккаунттар", "purpose": "Сұраудың мақсаты",
           "data_period": "Деректер сұралатын кезең",
           "requested_by": "Орындаудың қалаулы мерзімі және оның негіздемесі",
           "confidentiality": "Құпиялылық және пайдалану шарттары", "legal_basis": "Құқықтық негіз",
           "data_named": "Сақталуға тиіс деректер",
           "data_custodian": "Деректерді ұстаушы және олардың орналасқан жері",
           "urgency_reasons": "Шұғылдықтың негіздемесі",
           "emergency_justification": "Төтенше жағдайдың негіздері (өмірге қауіп немесе ауыр зиян қаупі)",
           "accounts": "Аккаунттар және сәйкестендіргіштер", "results": "Орындау нәтижелері"},
}

FOLLOW_UP = {
    "ru": "{% if follow_up_promised %}Запрос о взаимной правовой помощи для получения указанных данных будет "
          "направлен дополнительно.{% endif %}",
    "en": "{% if follow_up_promised %}A request for mutual legal assistance to obtain these data will "
          "follow.{% endif %}",
    "kk": "{% if follow_up_promised %}Аталған деректерді алу үшін өзара құқықтық көмек туралы сұрау қосымша "
          "жіберілетін болады.{% endif %}",
}
TO_COMPLETE = {"ru": "[заполнить]", "en": "[to be completed]", "kk": "[толтыру қажет]"}

# Each section: its label's key and the Jinja of its value, one paragraph per line.
_REQUESTED = "{{ requested_by }}{% if requested_by_reasons %} — {{ requested_by_reasons }}{% endif %}"
_PERSONS = ("{{ persons }}", "{{ identifier_lines }}")
_ASSISTANCE = [
    ("requesting_authority", ("{{ requesting_authority }}",)),
    ("investigation_subject", ("{{ investigation_subject }}",)),
    ("facts", ("{{ facts }}",)),
    ("offence", ("{{ offence }}",)),
    ("assistance_sought", ("{{ assistance_sought }}",)),
    ("persons", _PERSONS),
    ("purpose", ("{{ purpose }}",)),
    ("data_period", ("{{ data_period }}",)),
    ("requested_by", (_REQUESTED,)),
    ("confidentiality", ("{{ confidentiality }}",)),
    ("legal_basis", ("{{ legal_basis_article }}",)),
]
SECTIONS = {
    K.PRESERVATION: [
        ("requesting_authority", ("{{ requesting_authority }}",)),
        ("data_named", ("{{ assistance_sought }}",)),
        ("data_custodian", ("{{ data_custodian }}",)),
        ("persons", _PERSONS),
        ("data_period", ("{{ data_period }}",)),
        ("facts", ("{{ facts }}",)),
        ("offence", ("{{ offence }}",)),
        ("urgency_reasons", ("{{ requested_by_reasons }}",)),
        ("legal_basis", ("{{ legal_basis_article }}",)),
    ],
    K.ASSISTANCE: _ASSISTANCE,
    K.EMERGENCY: [("emergency_justification", ("{{ emergency_justification }}",)), *_ASSISTANCE],
    K.STATUS_ENQUIRY: [],
    K.EXTENSION: [("accounts", _PERSONS), ("legal_basis", ("{{ legal_basis_article }}",))],
    K.REPLY: [("results", ("TO_COMPLETE",)), ("confidentiality", ("{{ confidentiality }}",))],
}


def template_name(kind: LetterKind, language: str) -> str:
    title = TITLES[kind][language]
    return title[0] + title[1:].lower() if title.isupper() else title


@cache
def builtin_docx(kind: LetterKind, language: str) -> bytes:
    """The built-in template of `kind` in `language`, as a .docx (made once per process)."""
    document = Document()
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.left_margin, section.right_margin = Cm(3.0), Cm(1.5)
    section.top_margin = section.bottom_margin = Cm(2.0)
    normal = document.styles["Normal"]
    normal.font.name, normal.font.size = "Times New Roman", Pt(12)
    normal.paragraph_format.space_after = Pt(4)

    def paragraph(text: str, *, bold: bool = False, align=None, space_before: int = 0):
        added = document.add_paragraph()
        added.add_run(text).bold = bold
        if align is not None:
            added.alignment = align
        if space_before:
            added.paragraph_format.space_before = Pt(space_before)
        return added

    paragraph("{{ requesting_authority }}", bold=True)
    for line in HEADER[language]:
        paragraph(line)
    paragraph(TO[language], align=WD_ALIGN_PARAGRAPH.RIGHT, space_before=12)
    paragraph("{{ addressee_address }}", align=WD_ALIGN_PARAGRAPH.RIGHT)
    paragraph(TITLES[kind][language], bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, space_before=18)
    paragraph("{{ title }}", align=WD_ALIGN_PARAGRAPH.CENTER)
    paragraph(SALUTATION[language], space_before=12)
    paragraph(OPENINGS[kind][language], align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    for number, (label, values) in enumerate(SECTIONS[kind], start=1):
        paragraph(f"{number}. {LABELS[language][label]}", bold=True, space_before=8)
        for value in values:
            paragraph(TO_COMPLETE[language] if value == "TO_COMPLETE" else value, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    if kind == K.PRESERVATION:
        paragraph(FOLLOW_UP[language], bold=True, space_before=8)
    paragraph(CLOSING[language], space_before=12)
    paragraph("{{ signatory_role }}", space_before=18)
    paragraph("{{ signatory }}", bold=True)
    output = io.BytesIO()
    document.core_properties.title = TITLES[kind][language]
    document.core_properties.author = "coop"
    document.save(output)
    return output.getvalue()


def seed_letter_templates(session: Session, now: datetime) -> int:
    """Add the built-in template of every kind and language that has none yet (an administrator's own stays)."""
    existing = set(session.scalars(select(LetterTemplate.scope_key)))
    added = 0
    for kind in LetterKind:
        for language in LANGUAGES:
            if scope_key(kind, language) in existing:
                continue
            store_template(session, kind, language, builtin_docx(kind, language), template_name(kind, language),
                           None, now, builtin=True)
            added += 1
    return added
