"""Letters drafted from the record: which template, what the record still lacks, the fields a template may use,
checking an uploaded template, rendering it, numbering the outgoing register, and what sending a letter records.

Templates are .docx files with Jinja fields (docxtpl). They are uploaded by administrators but treated as
untrusted: they are parsed and rendered in Jinja's sandbox, every field they name must be one of FIELDS, and
a template is only stored once it has rendered a sample letter. No Flask here; functions that query take a
Session and never commit.
"""

import hashlib
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from docxtpl import DocxTemplate, Listing
from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError, meta
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from coop.domain import deadlines as deadline_rules
from coop.domain import requests as request_rules
from coop.domain.access import can_edit
from coop.domain.documents import store_upload
from coop.domain.identifiers import describe
from coop.domain.workflow import next_statuses
from coop.models import (
    ContactRole,
    CooperationRequest,
    Deadline,
    DeadlineKind,
    DeadlineState,
    Direction,
    DocumentKind,
    EventKind,
    IdentifierKind,
    Letter,
    LetterKind,
    LetterNumbering,
    LetterState,
    LetterTemplate,
    PartnerKind,
    ReferenceCounter,
    RequestEvent,
    RequestType,
    Status,
    User,
)

LANGUAGES = ("ru", "en", "kk")
FALLBACK_LANGUAGE = "en"  # a partner whose languages we have no template in gets English
DEFAULT_PATTERN = "{year}/{number}"
MAX_TEMPLATE_BYTES = 5 * 1024 * 1024
# A .docx is a zip: its parts together may not unpack to more than this (a zip bomb is refused unread).
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class LetterProblem(Exception):
    """A letter or template refused; `code` names the rule, `detail` what was at fault (a field name ...)."""

    def __init__(self, code: str, detail: str | None = None):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


# --- which letter, which template, which language ------------------------------------------------------------

def request_letter_kind(request_type: RequestType, direction: Direction) -> LetterKind:
    """The kind of the request's own letter: the preservation request, the emergency request, the reply ..."""
    if direction == Direction.INCOMING:
        return LetterKind.REPLY
    if request_type.is_preservation:
        return LetterKind.PRESERVATION
    if request_type.is_emergency:
        return LetterKind.EMERGENCY
    return LetterKind.ASSISTANCE


def letter_kinds_for(request: CooperationRequest) -> list[LetterKind]:
    """The letters a request may get: its own, then a status enquiry once sent, an extension for a preservation."""
    own = request_letter_kind(request.request_type, request.direction)
    kinds = [own]
    if request.direction == Direction.OUTGOING:
        kinds.append(LetterKind.STATUS_ENQUIRY)
        if own == LetterKind.PRESERVATION:
            kinds.append(LetterKind.EXTENSION)
    return kinds


def scope_key(kind: LetterKind, language: str, request_type_id: int | None = None, legal_basis_id: int | None = None,
              partner_id: int | None = None) -> str:
    parts = [kind.value, language] + [str(value) if value else "*" for value in
                                      (request_type_id, legal_basis_id, partner_id)]
    return ":".join(parts)


def specificity(template: LetterTemplate) -> tuple[int, int, int]:
    """Partner beats legal basis, which beats request type, which beats a template for any request."""
    return (template.partner_id is not None, template.legal_basis_id is not None, template.request_type_id is not None)


def choose_template(templates: Iterable[LetterTemplate], kind: LetterKind, language: str,
                    request: CooperationRequest) -> LetterTemplate | None:
    """The most specific active template of `kind` in `language` whose scope fits the request."""
    fitting = [
        template for template in templates
        if template.active and template.kind == kind and template.language == language
        and template.request_type_id in (None, request.request_type_id)
        and template.legal_basis_id in (None, request.legal_basis_id)
        and template.partner_id in (None, request.partner_id)
    ]
    return max(fitting, key=specificity, default=None)


def partner_languages(accepted: str | None) -> list[str]:
    """The partner's accepted languages, in its order ("en, ru" -> ["en", "ru"])."""
    return [code.strip().lower() for code in re.split(r"[,;\s]+", accepted or "") if code.strip()]


def default_language(accepted: str | None, available: Iterable[str]) -> str:
    """The first language the partner accepts that we have a template in, else English, else any we have."""
    available = [language for language in LANGUAGES if language in set(available)]
    for language in partner_languages(accepted):
        if language in available:
            return language
    if FALLBACK_LANGUAGE in available or not available:
        return FALLBACK_LANGUAGE
    return available[0]


def templates_for(session: Session, kind: LetterKind) -> list[LetterTemplate]:
    return list(session.scalars(select(LetterTemplate).where(LetterTemplate.kind == kind,
                                                             LetterTemplate.active.is_(True))))


# --- what the record still lacks ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Gap:
    """Something a letter should say and the record does not (yet): a checklist item, or a fact made useless by
    a missing part (an IP address without its time)."""

    code: str
    detail: str | None = None


# The checklist only matters for the letters that carry the request itself.
CHECKLIST_KINDS = frozenset({LetterKind.PRESERVATION, LetterKind.ASSISTANCE, LetterKind.EMERGENCY})


def letter_gaps(request: CooperationRequest, kind: LetterKind) -> list[Gap]:
    """What to complete before drafting: missing checklist items, IP addresses without their exact time, a
    requested date without its reasons; for an enquiry, a request not sent yet."""
    gaps: list[Gap] = []
    if kind in CHECKLIST_KINDS:
        gaps += [Gap(code) for code in request_rules.missing_contents(request)]
        if request.requested_by is not None and not request.requested_by_reasons \
                and all(gap.code != "requested_by_reasons" for gap in gaps):
            gaps.append(Gap("requested_by_reasons"))
    if kind in CHECKLIST_KINDS | {LetterKind.EXTENSION}:
        for identifier in request.identifiers:
            if identifier.kind == IdentifierKind.IP and identifier.observed_at is None:
                gaps.append(Gap("ip_without_time", identifier.normalized))
    if kind in (LetterKind.STATUS_ENQUIRY, LetterKind.EXTENSION) and request.sent_at is None:
        gaps.append(Gap("not_sent_yet"))
    if kind == LetterKind.REPLY and request.direction != Direction.INCOMING:
        gaps.append(Gap("not_incoming"))
    return gaps


# --- the fields a template may use ---------------------------------------------------------------------------

class Text(Listing):
    """Text that keeps its line breaks in Word (docxtpl's Listing) and is false when empty, so that a template
    can write {% if facts %}."""

    def __init__(self, text: str | None):
        self.plain = text or ""
        super().__init__(self.plain)

    def __bool__(self) -> bool:
        return bool(self.plain)

    def __len__(self) -> int:
        return len(self.plain)

    def __eq__(self, other) -> bool:
        return self.plain == (other.plain if isinstance(other, Text) else other)

    def __hash__(self) -> int:
        return hash(self.plain)


# Every field a template may name, in the order the administrator's help lists them. A template naming
# anything else is refused at upload.
FIELDS = (
    "number", "date", "language", "letter_kind", "signatory", "signatory_role",
    "reference", "title", "request_type", "urgency", "is_emergency", "emergency_justification",
    "legal_basis", "legal_basis_article", "partner", "partner_kind", "addressee", "addressee_address",
    "partner_references", "case_number", "case_title",
    "requesting_authority", "investigation_subject", "facts", "offence", "assistance_sought", "persons",
    "identifiers", "identifier_lines", "purpose", "data_period", "data_period_from", "data_period_to",
    "requested_by", "requested_by_reasons", "confidentiality", "data_custodian", "follow_up_promised",
    "sent_on", "days_since_sent", "enquiry_number", "preservation_expires", "follows_reference", "received_on",
)

# The article of each legal basis on which each kind of letter rests (coop's defaults; the basis' own text
# lists them all). A basis not named here gives its name alone.
BASIS_ARTICLES = {
    "un-cybercrime": {LetterKind.PRESERVATION: "42", LetterKind.ASSISTANCE: "40", LetterKind.EMERGENCY: "41",
                      LetterKind.STATUS_ENQUIRY: "40", LetterKind.EXTENSION: "42", LetterKind.REPLY: "40"},
    "budapest": {LetterKind.PRESERVATION: "29", LetterKind.ASSISTANCE: "25–27", LetterKind.EMERGENCY: "35",
                 LetterKind.STATUS_ENQUIRY: "25–27", LetterKind.EXTENSION: "29", LetterKind.REPLY: "25–27"},
    "budapest-protocol-2": {LetterKind.ASSISTANCE: "7", LetterKind.EMERGENCY: "9"},
}

# The few words a letter says itself, in each language.
WORDS = {
    "ru": {"yes": "да", "no": "нет", "urgent": "срочно", "emergency": "экстренно", "normal": "в обычном порядке",
           "head": "Начальник", "officer": "Офицер связи", "article": "ст."},
    "en": {"yes": "yes", "no": "no", "urgent": "urgent", "emergency": "emergency", "normal": "normal",
           "head": "Head of Department", "officer": "Liaison Officer", "article": "Article"},
    "kk": {"yes": "иә", "no": "жоқ", "urgent": "шұғыл", "emergency": "төтенше", "normal": "әдеттегі тәртіппен",
           "head": "Басқарма бастығы", "officer": "Байланыс офицері", "article": "-бап"},
}


def _day(value: date | datetime | None, zone: ZoneInfo) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(zone).date()
    return value.strftime("%d.%m.%Y")


def _article(request: CooperationRequest, kind: LetterKind, language: str) -> str:
    basis = request.legal_basis
    if basis is None:
        return ""
    name = basis.name("ru" if language == "kk" else language)
    article = BASIS_ARTICLES.get(basis.code, {}).get(kind)
    if not article:
        return name
    if language == "kk":
        return f"{name}, {article}{WORDS['kk']['article']}"
    return f"{WORDS[language]['article']} {article}, {name}"


def addressee_of(request: CooperationRequest, language: str) -> tuple[str, str]:
    """Who the letter goes to, and their address: a country's central authority, a provider's legal entity."""
    partner = request.partner
    name = partner.name(language)
    if partner.kind == PartnerKind.PROVIDER:
        return (partner.legal_entity or name), (partner.request_portal or "")
    preferred = (ContactRole.POINT_24_7,) if request.urgency.value == "emergency" else ()
    for role in (*preferred, ContactRole.CENTRAL_AUTHORITY):
        contact = next((contact for contact in partner.contacts if contact.role == role), None)
        if contact is not None:
            return f"{contact.name}, {name}", (contact.address or "")
    return name, ""


def letter_context(request: CooperationRequest, kind: LetterKind, language: str, number: str, dated: date,
                   signatory: User, zone: ZoneInfo, deadline: Deadline | None = None,
                   enquiry_number: int | None = None) -> dict:
    """Every field of FIELDS, filled from the record in `language` (missing facts are empty, never absent)."""
    words = WORDS[language]
    addressee, address = addressee_of(request, language)
    identifiers = [{"kind": identifier.kind.value, "platform": identifier.platform or "",
                    "value": identifier.value, "normalized": identifier.normalized,
                    "time_utc": (f"{identifier.observed_at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"
                                 if identifier.observed_at else ""),
                    "zone": identifier.observed_zone or "", "text": describe(identifier)}
                   for identifier in request.identifiers]
    period = ""
    if request.data_period_from or request.data_period_to:
        period = f"{_day(request.data_period_from, zone) or '…'} – {_day(request.data_period_to, zone) or '…'}"
    sent_day = request.sent_at.astimezone(zone).date() if request.sent_at else None
    lapse = deadline.due_at if deadline is not None and deadline.kind == DeadlineKind.PRESERVATION_EXPIRY else None
    return {
        "number": number, "date": _day(dated, zone), "language": language, "letter_kind": kind.value,
        "signatory": signatory.full_name,
        "signatory_role": words["head"] if signatory.role.value == "head" else words["officer"],
        "reference": request.reference, "title": Text(request.title),
        "request_type": request.request_type.name("ru" if language == "kk" else language),
        "urgency": words[request.urgency.value], "is_emergency": request.urgency.value == "emergency",
        "emergency_justification": Text(request.emergency_justification),
        "legal_basis": request.legal_basis.name("ru" if language == "kk" else language) if request.legal_basis else "",
        "legal_basis_article": _article(request, kind, language),
        "partner": request.partner.name(language), "partner_kind": request.partner.kind.value,
        "addressee": Text(addressee), "addressee_address": Text(address),
        "partner_references": ", ".join(item.reference for item in request.partner_references),
        "case_number": request.case.number if request.case else "",
        "case_title": Text(request.case.title if request.case else ""),
        "requesting_authority": Text(request.requesting_authority),
        "investigation_subject": Text(request.investigation_subject), "facts": Text(request.facts),
        "offence": Text(request.offence), "assistance_sought": Text(request.assistance_sought),
        "persons": Text(request.persons), "identifiers": identifiers,
        "identifier_lines": Text("\n".join(item["text"] for item in identifiers)),
        "purpose": Text(request.purpose), "data_period": period,
        "data_period_from": _day(request.data_period_from, zone), "data_period_to": _day(request.data_period_to, zone),
        "requested_by": _day(request.requested_by, zone), "requested_by_reasons": Text(request.requested_by_reasons),
        "confidentiality": Text(request.confidentiality), "data_custodian": Text(request.data_custodian),
        "follow_up_promised": bool(request.follow_up_promised),
        "sent_on": _day(sent_day, zone), "days_since_sent": (dated - sent_day).days if sent_day else "",
        "enquiry_number": enquiry_number or "", "preservation_expires": _day(lapse, zone),
        "follows_reference": request.follows.reference if request.follows else "",
        "received_on": _day(request.received_at, zone),
    }


def sample_context() -> dict:
    """A context with every field filled, to try an uploaded template on before it is stored."""
    context = {name: Text(f"[{name}]") for name in FIELDS}
    context |= {"identifiers": [{"kind": "ip", "platform": "", "value": "203.0.113.7", "normalized": "203.0.113.7",
                                 "time_utc": "2026-01-01 00:00:00 UTC", "zone": "Asia/Almaty",
                                 "text": "203.0.113.7 · 2026-01-01 00:00:00 UTC (Asia/Almaty)"}],
                "is_emergency": False, "follow_up_promised": True, "days_since_sent": 30, "enquiry_number": 1}
    return context


# --- checking and rendering templates -------------------------------------------------------------------------

def sandbox() -> SandboxedEnvironment:
    """The environment every template is parsed and rendered in: sandboxed, escaping, strict about names."""
    return SandboxedEnvironment(autoescape=True, undefined=StrictUndefined)


def _open_docx(content: bytes, max_bytes: int | None = MAX_TEMPLATE_BYTES) -> DocxTemplate:
    if max_bytes is not None and len(content) > max_bytes:
        raise LetterProblem("too_large")
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = archive.namelist()
            if "word/document.xml" not in names or "[Content_Types].xml" not in names:
                raise LetterProblem("not_docx")
            if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
                raise LetterProblem("too_large")
    except (zipfile.BadZipFile, OSError, ValueError):
        raise LetterProblem("not_docx") from None
    try:
        template = DocxTemplate(io.BytesIO(content))
        template.init_docx()
    except LetterProblem:
        raise
    except Exception:  # python-docx raises many kinds of error on a damaged package
        raise LetterProblem("not_docx") from None
    return template


_PARAGRAPH = re.compile(r"<w:p([ >])")
_TAG = re.compile(r"<[^>]+>")


def _template_source(template: DocxTemplate) -> str:
    """The Jinja source docxtpl renders (body, headers, footers), one paragraph a line as docxtpl splits it, so
    that an error's line number names the paragraph."""
    parts = [template.patch_xml(template.get_xml())]
    for uri in (template.HEADER_URI, template.FOOTER_URI):
        for _key, part in template.get_headers_footers(uri):
            parts.append(template.patch_xml(template.get_part_xml(part)))
    return "\n".join(_PARAGRAPH.sub(r"\n<w:p\1", part) for part in parts)


def _near(source: str, line: int | None) -> str:
    """The text of the paragraph at `line`, without its markup, shortened."""
    lines = source.splitlines()
    if not line or line > len(lines):
        return ""
    text = " ".join(_TAG.sub("", lines[line - 1]).split())
    return text if len(text) <= 80 else text[:77] + "..."


def check_template(content: bytes, max_bytes: int = MAX_TEMPLATE_BYTES) -> set[str]:
    """Raise LetterProblem unless `content` is a .docx template coop can fill; returns the fields it uses.

    Codes: not_docx, too_large, syntax (detail: line and message), unknown_field (detail: the names),
    unsafe (the sandbox refused something), render_failed (detail: the error).
    """
    template = _open_docx(content, max_bytes)
    environment = sandbox()
    source = _template_source(template)
    try:
        parsed = environment.parse(source)
    except TemplateSyntaxError as error:
        near = _near(source, error.lineno)
        raise LetterProblem("syntax", f"{error.message}" + (f" — «{near}»" if near else "")) from None
    used = meta.find_undeclared_variables(parsed)
    unknown = sorted(used - set(FIELDS))
    if unknown:
        raise LetterProblem("unknown_field", ", ".join(unknown))
    try:
        render_template_bytes(content, sample_context())
    except LetterProblem:
        raise
    return used


def render_template_bytes(content: bytes, context: dict) -> bytes:
    """The filled .docx; LetterProblem when the template cannot be filled (it was checked at upload)."""
    template = _open_docx(content, max_bytes=None)
    try:
        template.render(context, jinja_env=sandbox())
    except UndefinedError as error:
        raise LetterProblem("unknown_field", str(error.message)) from None
    except SecurityError as error:
        raise LetterProblem("unsafe", str(error)) from None
    except TemplateSyntaxError as error:
        raise LetterProblem("syntax", str(error.message)) from None
    except (TemplateError, TypeError, ValueError, AttributeError) as error:
        raise LetterProblem("render_failed", str(error)[:200]) from None
    output = io.BytesIO()
    template.save(output)
    return output.getvalue()


def docx_text(content: bytes) -> str:
    """The text of a .docx, paragraph by paragraph (tables included), for the printable view and tests."""
    from docx import Document

    document = Document(io.BytesIO(content))
    lines = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(lines)


def docx_paragraphs(content: bytes) -> list[tuple[str, str]]:
    """(kind, text) of each paragraph, for the printable view: "title" (bold and centred), "center", "right",
    "strong" (bold) or "text"."""
    from docx import Document

    document = Document(io.BytesIO(content))
    rows = []
    for paragraph in document.paragraphs:
        runs = [run for run in paragraph.runs if run.text.strip()]
        bold = bool(runs) and all(run.bold for run in runs)
        alignment = int(paragraph.alignment) if paragraph.alignment is not None else 0
        style = paragraph.style.name if paragraph.style is not None else ""
        if style.startswith(("Heading", "Title")) or (bold and alignment == 1):
            kind = "title"
        elif alignment == 1:
            kind = "center"
        elif alignment == 2:
            kind = "right"
        else:
            kind = "strong" if bold else "text"
        rows.append((kind, paragraph.text))
    return rows


def store_template(session: Session, kind: LetterKind, language: str, content: bytes, name: str,
                   actor: User | None, now: datetime, *, request_type_id: int | None = None,
                   legal_basis_id: int | None = None, partner_id: int | None = None,
                   original_name: str | None = None, builtin: bool = False,
                   replacing: LetterTemplate | None = None, max_bytes: int = MAX_TEMPLATE_BYTES) -> LetterTemplate:
    """Check `content` and store it as the template of its scope (replacing the one there, if any).

    The check comes first: a refused upload leaves every stored template as it was.
    """
    if language not in LANGUAGES:
        raise LetterProblem("unknown_language", language)
    if not builtin:  # coop's own templates are checked by their tests, once, not at every seeding
        check_template(content, max_bytes)
    key = scope_key(kind, language, request_type_id, legal_basis_id, partner_id)
    existing = session.scalar(select(LetterTemplate).where(LetterTemplate.scope_key == key))
    if replacing is not None and existing is not None and existing.id != replacing.id:
        raise LetterProblem("duplicate_scope")
    template = replacing or existing or LetterTemplate(scope_key=key, created_at=now)
    template.scope_key, template.kind, template.language = key, kind, language
    template.request_type_id, template.legal_basis_id, template.partner_id = request_type_id, legal_basis_id, \
        partner_id
    template.name = name.strip()[:200] or key
    template.content, template.sha256, template.size = content, hashlib.sha256(content).hexdigest(), len(content)
    template.original_name, template.builtin, template.active = original_name, builtin, True
    template.updated_by_id, template.updated_at = (actor.id if actor else None), now
    session.add(template)
    session.flush()
    return template


# --- numbering the outgoing register -------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def check_pattern(pattern: str) -> str:
    """The pattern trimmed, or LetterProblem: it must hold {number} once, may hold {year}, nothing else in braces."""
    pattern = (pattern or "").strip()
    if not pattern or len(pattern) > 40:
        raise LetterProblem("pattern_length")
    names = _PLACEHOLDER.findall(pattern)
    if names.count("number") != 1:
        raise LetterProblem("pattern_number")
    unknown = sorted(set(names) - {"number", "year"})
    if unknown or pattern.replace("{number}", "").replace("{year}", "").count("{") \
            or pattern.replace("{number}", "").replace("{year}", "").count("}"):
        raise LetterProblem("pattern_placeholder", ", ".join(unknown) or "{ }")
    return pattern


def format_number(pattern: str, number: int, year: int) -> str:
    return pattern.replace("{year}", str(year)).replace("{number}", str(number))


def series_of(pattern: str, year: int) -> str:
    """The counter a pattern draws from: each distinct text around the number (with its year) counts on its own,
    so a number once given can never come round again, whatever the administrator changes."""
    fixed = pattern.replace("{year}", str(year))
    return "L-" + hashlib.sha256(fixed.encode()).hexdigest()[:24]


def current_pattern(session: Session) -> str:
    row = session.scalar(select(LetterNumbering).order_by(LetterNumbering.id).limit(1))
    return row.pattern if row is not None else DEFAULT_PATTERN


def set_pattern(session: Session, pattern: str, actor: User, now: datetime) -> LetterNumbering:
    pattern = check_pattern(pattern)
    row = session.scalar(select(LetterNumbering).order_by(LetterNumbering.id).limit(1))
    if row is None:
        row = LetterNumbering(pattern=pattern)
        session.add(row)
    row.pattern, row.updated_by_id, row.updated_at = pattern, actor.id, now
    session.flush()
    return row


def allocate_number(session: Session, pattern: str, year: int) -> str:
    """The next outgoing number of the pattern's series, taken inside the caller's transaction.

    The counter row is incremented in place by one UPDATE ... RETURNING (as request references are): parallel
    drafts queue on the row lock (PostgreSQL) or the write transaction (SQLite), each gets the next number.
    A number already in the register (typed by hand before coop, say) is skipped, never given twice.
    """
    series = series_of(pattern, year)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(ReferenceCounter).values(series=series, last_value=0)
                    .on_conflict_do_nothing(index_elements=["series"]))
    while True:
        value = session.execute(
            update(ReferenceCounter).where(ReferenceCounter.series == series)
            .values(last_value=ReferenceCounter.last_value + 1).returning(ReferenceCounter.last_value)
            .execution_options(synchronize_session=False)).scalar_one()
        number = format_number(pattern, value, year)
        if session.scalar(select(Letter.id).where(Letter.number == number)) is None:
            return number


# --- drafting, the signed version, sending ------------------------------------------------------------------

DRAFTABLE_STATUSES = frozenset(Status) - {Status.CLOSED, Status.WITHDRAWN, Status.REFUSED, Status.NO_DATA,
                                          Status.EXPIRED}


def enquiry_deadline(session: Session, request: CooperationRequest, kind: LetterKind) -> Deadline | None:
    """The open clock a status enquiry or extension request answers: the enquiry due, the preservation running."""
    wanted = {LetterKind.STATUS_ENQUIRY: DeadlineKind.STATUS_ENQUIRY,
              LetterKind.EXTENSION: DeadlineKind.PRESERVATION_EXPIRY}.get(kind)
    if wanted is None:
        return None
    return session.scalar(select(Deadline).where(Deadline.request_id == request.id, Deadline.kind == wanted,
                                                 Deadline.state == DeadlineState.OPEN)
                          .order_by(Deadline.due_at, Deadline.id).limit(1))


def draft_letter(session: Session, request: CooperationRequest, actor: User, kind: LetterKind, language: str,
                 now: datetime, zone: ZoneInfo, folder: Path, *, deadline: Deadline | None = None,
                 accept_gaps: bool = False) -> Letter:
    """Fill the request's template, number the letter, keep the .docx as a document of the request.

    Raises LetterProblem: not_allowed, kind_not_for_request, unknown_language, finished, no_template, gaps
    (detail: the codes, unless `accept_gaps`), and the template's own problems.
    """
    if not can_edit(actor, request):
        raise LetterProblem("not_allowed")
    if kind not in letter_kinds_for(request):
        raise LetterProblem("kind_not_for_request", kind.value)
    if language not in LANGUAGES:
        raise LetterProblem("unknown_language", language)
    if request.status not in DRAFTABLE_STATUSES:
        raise LetterProblem("finished")
    gaps = letter_gaps(request, kind)
    if gaps and not accept_gaps:
        raise LetterProblem("gaps", ",".join(gap.code for gap in gaps))
    template = choose_template(templates_for(session, kind), kind, language, request)
    if template is None:
        raise LetterProblem("no_template", f"{kind.value}/{language}")
    if deadline is None:
        deadline = enquiry_deadline(session, request, kind)
    dated = now.astimezone(zone).date()
    number = allocate_number(session, current_pattern(session), dated.year)
    enquiry_number = deadline.sequence + 1 if deadline is not None and kind == LetterKind.STATUS_ENQUIRY else None
    context = letter_context(request, kind, language, number, dated, actor, zone, deadline, enquiry_number)
    content = render_template_bytes(template.content, context)
    name = f"{_file_stem(number)}_{kind.value}_{language}.docx"
    stored = store_upload(io.BytesIO(content), name, folder, len(content) + 1)
    document = request_rules.attach_document(session, request, actor, stored, _document_kind(kind), now,
                                             dated=dated, note=number)
    addressee, _address = addressee_of(request, language)
    letter = Letter(number=number, request=request, kind=kind, language=language, state=LetterState.DRAFTED,
                    dated=dated, addressee=addressee, subject=request.title[:300], template_id=template.id,
                    deadline_id=deadline.id if deadline is not None else None,
                    missing=",".join(gap.code for gap in gaps) or None, draft_document=document,
                    drafted_by=actor, drafted_at=now)
    session.add(letter)
    session.flush()
    return letter


def _file_stem(number: str) -> str:
    return re.sub(r"[^0-9A-Za-zА-Яа-яЁё_-]+", "-", number).strip("-") or "letter"


def _document_kind(kind: LetterKind) -> DocumentKind:
    return DocumentKind.REQUEST_LETTER if kind in CHECKLIST_KINDS else DocumentKind.CORRESPONDENCE


def attach_final(session: Session, letter: Letter, actor: User, stored, now: datetime) -> Letter:
    """Keep the final, signed version (a stored file) beside the draft; a new upload replaces the previous one."""
    if letter.state == LetterState.SENT:
        raise LetterProblem("already_sent")
    document = request_rules.attach_document(session, letter.request, actor, stored, _document_kind(letter.kind),
                                             now, dated=letter.dated, note=letter.number)
    letter.final_document, letter.state = document, LetterState.SIGNED
    session.flush()
    return letter


def record_sent(session: Session, letter: Letter, actor: User, now: datetime, *, channel: str | None = None,
                partner_reference: str | None = None, zone: ZoneInfo) -> RequestEvent:
    """Record that the signed letter went out, with what that means for the request:

    - the request's own letter moves the request to "sent" through the workflow (so an unapproved request
      cannot be sent), with the signed letter as the move's document;
    - a status enquiry meets the enquiry due and starts the next one of the series;
    - any other letter (an extension request, a reply) is a history entry with its document.
    The letter is linked to the entry that records it.
    """
    request = letter.request
    if letter.state == LetterState.SENT:
        raise LetterProblem("already_sent")
    if letter.final_document is None:
        raise LetterProblem("not_signed")
    note = f"{letter.number}"
    if letter.kind in CHECKLIST_KINDS and request.status != Status.SENT and Status.SENT in \
            next_statuses(request.direction, request.status):
        event = request_rules.change_status(session, request, actor, Status.SENT, now, reason=note, channel=channel,
                                            partner_reference=partner_reference, document=letter.final_document,
                                            zone=zone)
    elif letter.kind in CHECKLIST_KINDS and request.status in (Status.DRAFT, Status.LEGAL_CHECK,
                                                               Status.AWAITING_APPROVAL):
        raise LetterProblem("not_approved")
    else:
        if letter.kind == LetterKind.STATUS_ENQUIRY:
            deadline = letter.deadline or enquiry_deadline(session, request, letter.kind)
            if deadline is not None and deadline.state == DeadlineState.OPEN:
                deadline_rules.mark_enquiry_sent(session, deadline, request, actor, now, note)
        if partner_reference:
            request_rules.add_partner_reference(session, request, actor, partner_reference, now)
        event = RequestEvent(request=request, kind=EventKind.DOCUMENT, at=now, actor=actor,
                             field=letter.final_document.kind.value, new_value=letter.final_document.original_name,
                             document=letter.final_document, comment=note, channel=channel)
        session.add(event)
    letter.state, letter.sent_at, letter.sent_event = LetterState.SENT, now, event
    session.flush()
    return event


def request_letters(session: Session, request_id: int) -> Sequence[Letter]:
    return session.scalars(select(Letter).where(Letter.request_id == request_id)
                           .order_by(Letter.dated.desc(), Letter.id.desc())).all()
