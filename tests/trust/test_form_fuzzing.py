"""Every form that writes, posted with generated hostile input: overlong text, NUL and other control
characters, bytes that are not UTF-8, right-to-left marks, emoji, huge and negative numbers, impossible and
extreme dates, choices that are not offered, fields left out, repeated, or sent where one value is expected.

Whatever arrives, coop answers without a server error: a redirect when it accepted the input, or the page again
with an error message; and when it refused, nothing stored has changed (every table is compared before and
after). Deterministic (derandomized) and small, so that it fits the suite's time on both databases.
"""

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import count
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from coop.domain.calendars import build_calendar
from coop.domain.requests import create_request
from coop.domain.workflow import HEAD_ONLY, REASON_REQUIRED, next_statuses
from coop.extensions import db
from coop.models import (
    CalendarDay,
    Case,
    CooperationRequest,
    DeadlineRule,
    Direction,
    ImportBatch,
    LoginAttempt,
    Partner,
    Role,
    User,
    utcnow,
)
from tests.conftest import running_app, url_for_database
from tests.factories import TEST_PASSWORD, make_legal_basis, make_request_type, make_user
from tests.trust.test_route_matrix import World, build_world, fingerprint, fresh_rule

EXAMPLES = 12
ERROR_SHOWN = re.compile(r'class="error"|flash-error|error-page')
_unique = count(1)

# Values no form expects, by kind, so that each kind turns up about as often as the others.
NUL = st.sampled_from(["\x00", "a\x00b", "2026-01-01\x00", "1\x00", "\x00" * 300])
CONTROL = st.sampled_from(["\x01\x02\x1b[31m", "\x7f", "\x0b\x0c", "line\x08back", "\x1f"])
OVERLONG = st.sampled_from(["x" * 100_000, "😀" * 30_000, "я" * 5_000, "a" * 301, "b" * 65])
NOT_UTF8 = st.sampled_from([b"\xff\xfe", b"\xed\xa0\x80", b"\xc3\x28", b"caf\xe9"])
ODD_TEXT = st.one_of(st.sampled_from(["", " ", "\t\n", "\u202e\u200fسلام", "\ufeffBOM", "Ω≈ç√∫", "' OR 1=1 --",
                                      "<script>alert(1)</script>", "%s%n{0}", "{{7*7}}", "None", "null", "[]", "true",
                                      "y", "on", "../../etc/passwd"]), st.text(max_size=40))
NUMBERS = st.one_of(st.sampled_from(["99999999999999999999999999", "2147483648", "-9223372036854775809", "-1", "0",
                                     "1e308", "NaN", "١٢٣", "0x1F", "1.5"]),
                    st.integers(min_value=-(2**70), max_value=2**70).map(str))
DATES = st.sampled_from(["0001-01-01", "9999-12-31", "2026-02-30", "2026-13-01", "31.12.2026", "garbage",
                         "2026-01-01T25:61", "9999-12-31T23:59:59", "0001-01-01T00:00", "24:00", "23:59:60"])
hostile_values = st.one_of(NUL, CONTROL, OVERLONG, NOT_UTF8, ODD_TEXT, NUMBERS, DATES)
hostile_files = st.tuples(
    st.sampled_from([b"", b"%PDF-1.7 hostile", b"\x00" * 64, b"MZ\x90\x00 not a pdf", "Дата;Номер\n1;2\n".encode()]),
    st.sampled_from(["", ".pdf", "a.pdf", "a.PDF.exe", "../../evil.pdf", "\x00.pdf", "x" * 300 + ".pdf",
                     "заявка.docx", "register.csv", "register.xlsx", "\u202efdp.exe"]),
)


@dataclass(frozen=True)
class FormCase:
    """A form: where it posts, who posts it, a valid submission (fresh for each example), and its answers."""

    name: str
    role: str | None  # None: a visitor not logged in, a new one for each example
    path: Callable[[World], str]
    valid: Callable[[World], dict]
    success: frozenset = frozenset({302})
    # Refused input is a 400 (409: someone saved the object meanwhile) with the form and its errors, never a 200.
    refusal: frozenset = frozenset({400, 409, 422})
    files: tuple[str, ...] = ()
    # Tables a refusal may still write to, on purpose (a failed login is counted).
    refusal_writes: tuple[str, ...] = ()


def unique(prefix: str) -> str:
    return f"{prefix}{next(_unique)}"


def _pdf() -> tuple[bytes, str]:
    return (f"%PDF-1.7 document {next(_unique)}".encode(), "letter.pdf")


def _request_version(world: World) -> int:
    return db.session.get(CooperationRequest, world.edited_id).version


def _transition(world: World) -> dict:
    item = db.session.get(CooperationRequest, world.incoming_id)
    targets = [status for status in next_statuses(item.direction, item.status)
               if status not in HEAD_ONLY and status not in REASON_REQUIRED] or [item.status]
    return {"target": targets[0].value, "current_status": item.status.value, "reason": "", "occurred_on": "",
            "channel": "", "partner_reference": "", "document_id": "", "file_kind": ""}


def _request_fields(world: World) -> dict:
    return {"title": "Данные аккаунта", "request_type_id": str(world.type_id), "partner_id": str(world.meta_id),
            "legal_basis_id": "", "case_number": "2026-000417", "follows_reference": "", "urgency": "normal",
            "emergency_justification": "", "officer_ids": str(world.users["officer"]), "requesting_authority": "",
            "investigation_subject": "", "facts": "Факты", "offence": "", "assistance_sought": "", "persons": "",
            "purpose": "", "data_period_from": "2026-01-01", "data_period_to": "2026-01-31", "requested_by": "",
            "requested_by_reasons": "", "confidentiality": "", "data_custodian": ""}


def _partner_fields(world: World, partner_id: int | None) -> dict:
    partner = db.session.get(Partner, partner_id) if partner_id else None
    return {"kind": "provider", "code": partner.code if partner else unique("fuzz-"), "name_ru": "Провайдер",
            "name_en": "Provider", "name_kk": "", "active": "y", "time_zone": "America/Los_Angeles",
            "accepted_languages": "en, ru", "channels": "law_enforcement_portal", "legal_entity": "Provider Inc.",
            "governing_law": "", "request_portal": "https://portal.example.com", "discloses_directly": "",
            "requires_formal_assistance": "", "preservation_days": "90", "preservation_extension": "",
            "emergency_channel": "", "emergency_criteria": "", "notifies_user": "", "known_limits": "", "notes": "",
            "version": str(partner.version if partner else 1)}


def _rule_fields(world: World) -> dict:
    fresh_type = make_request_type(db.session, unique("fuzz_rule_type_"), Direction.INCOMING)
    return {"request_type": fresh_type.code, "legal_basis": "", "partner_code": "", "kind": "head_review",
            "start_event": "received", "amount": "10", "unit": "working_days", "calendar": "kazakhstan", "series": "",
            "repeat_every": "", "stop_event": "answered", "extension_amount": "", "max_extensions": "0",
            "reminders": "D-3", "advice_ru": "", "advice_en": "", "advice_kk": "", "note": "", "active": "y",
            "pauses": ""}


def _edited_rule_fields(world: World) -> dict:
    rule = db.session.get(DeadlineRule, world.edited_rule_id)
    return _rule_fields(world) | {"request_type": rule.request_type.code, "kind": rule.kind.value,
                                  "start_event": "sent", "version": str(rule.version)}


def _case_fields(world: World, case_id: int | None) -> dict:
    case = db.session.get(Case, case_id) if case_id else None
    return {"number": case.number if case else unique("2026-F"), "title": "Мошенничество", "offence": "ст. 190",
            "summary": "", "responsible_officer_id": str(world.users["officer"]), "opened_on": "2026-01-15",
            "status": "open", "version": str(case.version) if case else ""}


def _free_working_day() -> date:
    """A working day in Kazakhstan that no entry has moved yet."""
    calendar, moved = build_calendar("KZ"), set(db.session.scalars(sa.select(CalendarDay.day)))
    day = date(2031, 3, 3) + timedelta(days=next(_unique))
    while day in moved or not calendar.is_working_day(day):
        day += timedelta(days=1)
    return day


def _free_country_code() -> str:
    """Two capital letters no partner has yet."""
    taken = set(db.session.scalars(sa.select(Partner.code)))
    return next(f"{first}{second}" for first in "QXZ" for second in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                if f"{first}{second}" not in taken)


def _login_fields(world: World) -> dict:
    # The failures of earlier examples are forgotten: else the account is locked and every login refused.
    db.session.execute(sa.delete(LoginAttempt))
    return {"username": "fuzzer", "password": TEST_PASSWORD}


def _deadline_path(world: World, action: str) -> str:
    return f"/deadlines/{world.deadline_id}/{action}"


FORMS = [
    # Not a FlaskForm: the language switch, and where it sends the visitor back to.
    FormCase("language", None, lambda world: "/language/en", lambda world: {"next": "/requests/?page=2"},
             refusal=frozenset()),
    FormCase("log in", None, lambda world: "/login", _login_fields,
             refusal=frozenset({400, 429}), refusal_writes=("login_attempt",)),
    FormCase("change password", "fuzzer", lambda world: "/account/password",
             lambda world: {"current_password": TEST_PASSWORD, "new_password": "a much longer passphrase 42",
                            "confirm": "a much longer passphrase 42"}),
    FormCase("new API token", "officer", lambda world: "/account/tokens/",
             lambda world: {"name": unique("Sync "), "scope": "read", "valid_days": "90"},
             success=frozenset({200}), refusal=frozenset({400})),
    # A check of the audit trail reads only: any text is checked (200) or refused with a message (400).
    FormCase("check the audit trail", "admin", lambda world: "/audit/verify", lambda world: {"pasted": ""},
             success=frozenset({200}), refusal=frozenset({400})),
    FormCase("new user", "admin", lambda world: "/admin/users/new",
             lambda world: {"username": unique("new."), "full_name": "Новый Сотрудник", "email": "new@police.kz",
                            "role": "officer", "active": "y", "password": "a long enough password"}),
    FormCase("edit user", "admin", lambda world: f"/admin/users/{world.target_id}",
             lambda world: {"username": "target", "full_name": "Цель", "email": "", "role": "officer",
                            "active": "y", "password": "",
                            "version": str(db.session.get(User, world.target_id).version)}),
    FormCase("new case", "officer", lambda world: "/cases/new", lambda world: _case_fields(world, None)),
    FormCase("edit case", "officer", lambda world: f"/cases/{world.case_id}/edit",
             lambda world: _case_fields(world, world.case_id)),
    FormCase("new request", "officer", lambda world: "/requests/new",
             lambda world: _request_fields(world) | {"received_on": "", "partner_reference": "",
                                                     "copy_identifiers": "y"}),
    FormCase("edit request", "officer", lambda world: f"/requests/{world.edited_id}/edit",
             lambda world: _request_fields(world) | {"version": str(_request_version(world)), "restricted": "",
                                                     "follow_up_promised": ""}),
    FormCase("identifier", "officer", lambda world: f"/requests/{world.open_id}/identifiers",
             lambda world: {"kind": "email", "value": f"{unique('fuzz')}@example.com", "platform": "", "network": "",
                            "observed_at": "2026-01-05T10:00:00", "zone": "Asia/Almaty", "note": ""}),
    FormCase("partner's reference", "officer", lambda world: f"/requests/{world.open_id}/partner-references",
             lambda world: {"reference": unique("META-FUZZ-"), "note": ""}),
    FormCase("note", "officer", lambda world: f"/requests/{world.open_id}/notes", lambda world: {"text": "Заметка"}),
    FormCase("document", "officer", lambda world: f"/requests/{world.open_id}/documents",
             lambda world: {"file": _pdf(), "kind": "request_letter", "dated": "2026-01-10", "note": ""},
             files=("file",)),
    FormCase("transition", "officer", lambda world: f"/requests/{world.incoming_id}/transition", _transition,
             files=("file",)),
    FormCase("extend a deadline", "officer", lambda world: _deadline_path(world, "extend"),
             lambda world: {"reason": "Партнёр согласился"}),
    FormCase("change a deadline's date", "officer", lambda world: _deadline_path(world, "date"),
             lambda world: {"due_date": "2026-09-01", "due_time": "", "reason": "Решение суда"}),
    FormCase("enter a deadline's date", "officer",
             lambda world: f"/deadlines/request/{world.open_id}/enter/answer_expected",
             lambda world: {"due_date": "2026-10-01", "due_time": "12:00", "reason": "Санкция суда"}),
    # These two always come back to the page they were sent from, with a message flashed.
    FormCase("status enquiry sent", "officer", lambda world: _deadline_path(world, "enquiry-sent"),
             lambda world: {"note": "Письмо"}, refusal=frozenset()),
    FormCase("snooze a reminder", "officer", lambda world: f"/reminders/{world.deadline_id}/snooze",
             lambda world: {"until": "tomorrow"}, refusal=frozenset()),
    FormCase("new partner", "admin", lambda world: "/partners/new?kind=provider",
             lambda world: _partner_fields(world, None)),
    FormCase("new country", "admin", lambda world: "/partners/new?kind=country",
             lambda world: {"kind": "country", "code": _free_country_code(), "name_ru": "Страна", "name_en": "Country",
                            "name_kk": "", "active": "y", "time_zone": "Europe/Paris", "accepted_languages": "fr, en",
                            "channels": "central_authority", "weekend_days": "6", "holiday_calendar": "FR",
                            "dual_criminality_notes": "", "use_limitations": "", "notes": "", "version": "1"}),
    FormCase("edit partner", "admin", lambda world: f"/partners/{world.meta_id}/edit",
             lambda world: _partner_fields(world, world.meta_id)),
    FormCase("partner contact", "admin", lambda world: f"/partners/{world.meta_id}/contacts/new",
             lambda world: {"role": "other", "name": "LERT", "email": "lert@example.com", "phone": "+1 202 555 0100",
                            "address": "", "office_hours": "24/7"}),
    FormCase("partner instrument", "admin", lambda world: f"/partners/{world.country_id}/instruments/new",
             lambda world: {"legal_basis_id": str(make_legal_basis(db.session, unique("fuzz-basis-")).id),
                            "signed_on": "2001-11-23",
                            "in_force_on": "2004-07-01", "notes": ""}),
    FormCase("legal basis", "admin", lambda world: "/partners/legal-bases/new",
             lambda world: {"code": unique("treaty-"), "kind": "bilateral", "name_ru": "Договор",
                            "name_en": "Treaty", "articles": "", "adopted_on": "2020-05-05", "notes": "",
                            "active": "y"}),
    FormCase("request type", "admin", lambda world: "/partners/request-types/new",
             lambda world: {"code": unique("fuzz_type_"), "name_ru": "Тип", "name_en": "Type",
                            "direction": "outgoing", "partner_kind": "", "description": "", "sort_order": "100",
                            "active": "y"}),
    FormCase("deadline rule", "admin", lambda world: "/admin/deadline-rules/new", _rule_fields),
    FormCase("edit deadline rule", "admin", lambda world: f"/admin/deadline-rules/{world.edited_rule_id}/edit",
             _edited_rule_fields),
    FormCase("calendar day", "admin", lambda world: "/admin/calendar-days",
             lambda world: {"day": _free_working_day().isoformat(), "working": "0", "note": "Указ № 1"}),
    FormCase("test e-mail", "admin", lambda world: "/admin/outbox", lambda world: {"address": "admin@police.kz"}),
    FormCase("import upload", "officer", lambda world: "/imports/",
             lambda world: {"file": ("Номер;Партнёр;Тип;Название\n1;meta;direct_disclosure;Данные\n".encode(),
                                     "register.csv")}, refusal=frozenset({400}), files=("file",)),
    FormCase("import mapping", "officer", lambda world: f"/imports/{world.waiting_batch_id}/mapping",
             lambda world: {"default_request_type": "direct_disclosure", "column_0": "external_number",
                            "column_1": "partner", "column_2": "request_type", "column_3": "title"}),
]


# --- the department and its browsers -----------------------------------------------------------------------------

@dataclass
class FuzzWorld(World):
    fuzzer_id: int = 0  # changes their password
    target_id: int = 0  # the user the administrator edits
    waiting_batch_id: int = 0  # the officer's upload, waiting for its mapping
    edited_id: int = 0  # the request the edit form changes (its type, and so its clocks: not the open one's)
    edited_rule_id: int = 0  # the rule the edit form changes: of a type no request has


@dataclass
class Office:
    app: object
    world: FuzzWorld
    clients: dict


def _log_in(app, username: str):
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": TEST_PASSWORD})
    assert response.status_code == 302, f"{username} could not log in"
    return client


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def office(request, tmp_path_factory):
    """The department of the route matrix, plus a user to change the password of and one to edit, and an upload
    waiting for its mapping; built once per database and test worker."""
    folder = tmp_path_factory.mktemp("fuzz")
    url = url_for_database(request, folder)
    with running_app(url, folder) as app:
        world = FuzzWorld(**vars(build_world(db.session, folder / "uploads")),
                          fuzzer_id=make_user(db.session, "fuzzer", Role.OFFICER).id,
                          target_id=make_user(db.session, "target", Role.OFFICER).id)
        officer = db.session.get(User, world.users["officer"])
        world.edited_id = create_request(db.session, officer, {
            "direction": Direction.OUTGOING, "title": "Черновик", "request_type_id": world.type_id,
            "partner_id": world.meta_id}, utcnow()).id
        world.edited_rule_id = fresh_rule(world)
        db.session.commit()
        clients = {role: _log_in(app, role) for role in ("officer", "head", "admin", "fuzzer")}
        upload = clients["officer"].post("/imports/", data={"file": (io.BytesIO(
            "Номер;Партнёр;Тип;Название\n1;meta;direct_disclosure;Данные\n".encode()), "register.csv")})
        assert upload.status_code == 302, upload.get_data(as_text=True)
        world.waiting_batch_id = db.session.scalar(sa.select(sa.func.max(ImportBatch.id)))
        yield Office(app, world, clients)


def _encoded(pairs: list[tuple[str, object]]) -> bytes:
    return urlencode(pairs).encode("ascii")


def _send(office: Office, case: FormCase, pairs: list[tuple[str, object]]):
    client = office.app.test_client() if case.role is None else office.clients[case.role]
    with client.session_transaction() as session:
        session.pop("_flashes", None)  # messages of an earlier redirect, never shown: not this answer's
    path = case.path(office.world)
    if case.files:
        data = MultiDict()
        for name, value in pairs:
            if name in case.files and isinstance(value, tuple):
                value = (io.BytesIO(value[0]), value[1])
            elif isinstance(value, bytes):
                value = value.decode("latin-1")
            data.add(name, value)
        return client.post(path, data=data, content_type="multipart/form-data", buffered=True)
    return client.post(path, data=_encoded(pairs), content_type="application/x-www-form-urlencoded", buffered=True)


def _restore(office: Office, case: FormCase) -> None:
    """Undo what a successful example may have changed that the next one relies on."""
    if case.name == "change password":
        user = db.session.get(User, office.world.fuzzer_id)
        user.password_hash = db.session.get(User, office.world.users["officer"]).password_hash  # the test one
        db.session.commit()


@st.composite
def submissions(draw, valid: dict, files: tuple[str, ...]) -> list[tuple[str, object]]:
    """The valid submission with up to three of its fields (or an unexpected one) left out, replaced, repeated."""
    names = draw(st.lists(st.sampled_from([*valid, "unexpected"]), max_size=3, unique=True))
    pairs = {name: [value] for name, value in valid.items()}
    for name in names:
        hostile = hostile_files if name in files else hostile_values
        how = draw(st.sampled_from(["left out", "replaced", "repeated"]))
        if how == "left out":
            pairs.pop(name, None)
        elif how == "replaced":
            pairs[name] = [draw(hostile)]
        else:
            pairs[name] = draw(st.lists(st.one_of(hostile, st.just(valid.get(name, ""))), min_size=2, max_size=3))
    return [(name, value) for name, values in pairs.items() for value in values]


def _shown(pairs: list[tuple[str, object]]) -> str:
    def short(value):
        text = repr(value)
        return text if len(text) < 80 else f"{text[:60]}... ({len(text)} characters)"

    return ", ".join(f"{name}={short(value)}" for name, value in pairs)


@pytest.mark.parametrize("case", FORMS, ids=[case.name for case in FORMS])
def test_hostile_input_is_refused_with_a_message_or_accepted_never_a_server_error(office, case):
    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def run(data):
        valid = case.valid(office.world)
        db.session.commit()
        pairs = data.draw(submissions(valid, case.files))
        before = _fingerprint(case)
        response = _send(office, case, pairs)
        status = response.status_code
        where = f"{case.name}: POST {case.path(office.world)} with {_shown(pairs)} answered {status}"
        assert status < 500, where
        if status in case.success:
            _restore(office, case)
            return
        assert status in case.refusal, f"{where}, neither a success {sorted(case.success)} nor a refusal"
        assert ERROR_SHOWN.search(response.get_data(as_text=True)), f"{where} without an error message"
        assert _fingerprint(case) == before, f"{where}: refused, yet something stored changed"

    run()


def _fingerprint(case: FormCase) -> str:
    return fingerprint(skip=case.refusal_writes)


def attacks_on(value) -> list[str]:
    """The hostile values for a field, by what its valid value looks like: a NUL for every field, extreme years
    for a date, numbers beyond any column for a number, a code not offered for a choice."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        kind = ["0001-01-01", "9999-12-31"]
    elif re.fullmatch(r"\d{4}-\d{2}-\d{2}T[\d:]+", value):
        kind = ["0001-01-01T00:00:00", "9999-12-31T23:59:59"]
    elif re.fullmatch(r"-?\d+", value):
        kind = ["99999999999999999999", "-1"]
    elif re.fullmatch(r"[a-z][a-z0-9_]*", value):  # a choice's code
        kind = ["not_a_choice"]
    else:
        kind = []  # overlong text is the generated tests' business
    return ["a\x00b", *kind]


@pytest.mark.parametrize("case", FORMS, ids=[case.name for case in FORMS])
def test_each_field_meets_the_hostile_values_of_its_kind(office, case):
    """Field by field, the rest of the form valid: a NUL (PostgreSQL cannot store one, SQLite would, silently)
    is always refused; the year 1 or 9999 and a number beyond any column are refused with a message, or accepted
    and stored: never a server error, and a refusal changes nothing."""
    problems = []
    for name, value in case.valid(office.world).items():
        if name in case.files:
            continue
        for attack in attacks_on(value):
            pairs = [(field, attack if field == name else valid)
                     for field, valid in case.valid(office.world).items()]
            db.session.commit()
            before = _fingerprint(case)
            response = _send(office, case, pairs)
            status, shown = response.status_code, f"{name}={attack[:12]!r}"
            # A form that always redirects says no in a flashed message: a NUL it must have refused.
            refused = status in case.refusal if case.refusal else "\x00" in attack
            if status not in case.success | case.refusal:
                problems.append(f"{shown}: {status}")
            elif not refused:
                if "\x00" in attack:
                    problems.append(f"{shown}: accepted ({status})")
                _restore(office, case)
            elif case.refusal and not ERROR_SHOWN.search(response.get_data(as_text=True)):
                problems.append(f"{shown}: {status} without an error message")
            elif _fingerprint(case) != before:
                problems.append(f"{shown}: refused ({status}), yet something stored changed")
    assert not problems, f"{case.name}: " + "; ".join(problems)


# --- the pages that read their query: lists, filters, the dashboard ---------------------------------------------

READING_PAGES = [
    ("officer", "/requests/"), ("officer", "/cases/"), ("officer", "/partners/"), ("officer", "/partners/{meta_id}"),
    ("officer", "/requests/new"), ("officer", "/requests/{open_id}"), ("officer", "/dashboard/export/requests.csv"),
    ("officer", "/reminders"), ("head", "/dashboard/"), ("head", "/dashboard/report"),
    ("head", "/dashboard/partners/meta"), ("head", "/dashboard/export/overdue.csv"),
    ("admin", "/admin/deadline-rules"), ("admin", "/admin/calendar-days"),
]
EXPLAINED = {"/requests/", "/dashboard/export/requests.csv"}
ARGUMENTS = ["text", "q", "status", "officer", "partner", "partner_kind", "kind", "case", "request_type", "urgency",
             "direction", "page", "per_page", "sort", "created_from", "created_to", "sent_from", "sent_to", "overdue",
             "start", "end", "month", "type", "year", "show", "follows_id", "case_id", "added", "overdue_page",
             "due_page", "approval_page", "times_page", "provider_page", "country_page", "refusals_page"]


@pytest.mark.parametrize(("role", "page"), READING_PAGES, ids=[page for _role, page in READING_PAGES])
def test_hostile_query_arguments_never_break_a_page(office, role, page):
    path = page.format(**vars(office.world))

    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(arguments=st.lists(st.tuples(st.sampled_from(ARGUMENTS), hostile_values), min_size=1, max_size=4))
    def run(arguments):
        query = urlencode(arguments)
        response = office.clients[role].get(f"{path}?{query}", buffered=True)
        where = f"GET {path}?{query[:300]} answered {response.status_code}"
        assert response.status_code < 500, where
        if any("\x00" in value for _name, value in arguments if isinstance(value, str)):
            # Refused, but by the request list and its export, which explain a filter they cannot use instead.
            assert response.status_code == (200 if page in EXPLAINED else 400), where

    run()


@pytest.mark.parametrize("case", [case for case in FORMS if case.refusal],
                         ids=[case.name for case in FORMS if case.refusal])
def test_the_valid_submission_the_fuzzing_starts_from_is_accepted(office, case):
    """Else the generated input would only ever meet the refusals, never the code that stores."""
    db.session.commit()
    response = _send(office, case, list(case.valid(office.world).items()))
    page = response.get_data(as_text=True)
    assert response.status_code in case.success, re.findall(r'class="(?:error|flash flash-error)"[^>]*>([^<]*)', page)
    _restore(office, case)
