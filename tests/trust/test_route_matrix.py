"""Every route of coop against every role, and against nobody logged in: who may open it, who is refused,
and that a request (and everything that hangs off it) nobody showed you stays invisible.

The matrix below classifies each rule of `app.url_map`; a route it does not know fails the test, so that a
new page cannot arrive unprotected by accident. Each probe fills the URL with real objects and says what
each role must get. A refusal of a write must come before the write: the database is compared before and
after. The officer (not assigned to the restricted request) must never read a word of it, on any page.

One department is built per database and per test worker, and each role logs in once (with CSRF on, as in
production); writes that consume their object (a delete, a revocation) get a fresh one for every call.
"""

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from hashlib import sha256
from itertools import count
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from coop.deadlines.feeds import issue_feed_token
from coop.domain.deadlines import seed_deadline_rules
from coop.domain.documents import store_upload
from coop.domain.identifiers import parse_identifier
from coop.domain.letter_texts import builtin_docx
from coop.domain.letters import draft_letter, store_template
from coop.domain.requests import add_identifier, add_note, add_partner_reference, attach_document, change_status
from coop.domain.requests import create_request as create_cooperation_request
from coop.domain.tokens import issue_token
from coop.extensions import db
from coop.imports.processing import import_folder
from coop.models import (
    CalendarDay,
    ClockUnit,
    ContactRole,
    Deadline,
    DeadlineKind,
    DeadlineRule,
    Direction,
    DocumentKind,
    Identifier,
    IdentifierKind,
    ImportBatch,
    ImportState,
    LegalBasisKind,
    LetterKind,
    OutboxMessage,
    OutboxState,
    PartnerContact,
    PartnerInstrument,
    PartnerKind,
    Reminder,
    ReminderKind,
    ReminderState,
    Role,
    StartEvent,
    Status,
    StopEvent,
    TokenScope,
    WorkingCalendar,
    utcnow,
)
from tests.conftest import running_app, url_for_database
from tests.factories import TEST_PASSWORD, make_case, make_legal_basis, make_partner, make_request_type, make_user

ANONYMOUS, OFFICER, INSIDER, HEAD, ADMIN = "anonymous", "officer", "insider", "head", "admin"
ROLES = (ANONYMOUS, OFFICER, INSIDER, HEAD, ADMIN)
# Everything the restricted request shows carries this mark: the officer must never meet it.
SECRET = "zq7x"
CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')
_fresh = count(1)


# --- the department --------------------------------------------------------------------------------------------

@dataclass
class World:
    """Ids of everything the probes point at (ids, not objects: the session outlives many requests)."""

    users: dict[str, int]
    open_id: int  # the officer's outgoing request, sent: deadlines, reminders, a document, identifiers
    incoming_id: int
    restricted_id: int  # restricted, assigned to the insider only
    restricted_reference: str
    case_id: int
    meta_id: int
    country_id: int
    basis_id: int
    type_id: int
    document_id: int
    restricted_document_id: int
    deadline_id: int
    restricted_deadline_id: int
    rule_id: int
    contact_id: int
    instrument_id: int
    batch_id: int  # the officer's finished import
    letter_id: int  # drafted for the open request
    restricted_letter_id: int
    template_id: int


def _document(session, item, actor, name: str, content: bytes, folder) -> int:
    stored = store_upload(io.BytesIO(content), name, folder, 10 * 1024 * 1024)
    return attach_document(session, item, actor, stored, DocumentKind.REQUEST_LETTER, utcnow()).id


def _identifier(session, item, actor, kind: IdentifierKind, value: str, **options) -> int:
    parsed = parse_identifier(kind, value, now=utcnow(), **options)
    return add_identifier(session, item, actor, parsed, utcnow()).id


def _deadline_of(session, request_id: int) -> int:
    return session.scalar(sa.select(Deadline.id).where(Deadline.request_id == request_id).order_by(Deadline.id))


def build_world(session, upload_folder) -> World:
    """People of every role, partners, a case, three requests (one restricted) with all that hangs off them."""
    now = utcnow()
    then = now - timedelta(days=40)
    officer = make_user(session, OFFICER, Role.OFFICER, email="officer@police.kz")
    insider = make_user(session, INSIDER, Role.OFFICER, email="insider@police.kz")
    head = make_user(session, HEAD, Role.HEAD, email="head@police.kz")
    admin = make_user(session, ADMIN, Role.ADMIN, email="admin@police.kz")
    meta = make_partner(session, "meta", PartnerKind.PROVIDER, time_zone="America/Los_Angeles")
    germany = make_partner(session, "DE", PartnerKind.COUNTRY, time_zone="Europe/Berlin", weekend_days="6,7")
    basis = make_legal_basis(session, "budapest", LegalBasisKind.MULTILATERAL)
    make_legal_basis(session, "provider-policy", LegalBasisKind.PROVIDER_POLICY)
    disclosure = make_request_type(session, "direct_disclosure", Direction.OUTGOING, partner_kind=PartnerKind.PROVIDER)
    incoming_type = make_request_type(session, "mla_incoming", Direction.INCOMING, partner_kind=PartnerKind.COUNTRY)
    make_request_type(session, "mla_outgoing", Direction.OUTGOING, partner_kind=PartnerKind.COUNTRY)
    seed_deadline_rules(session)
    case = make_case(session, "2026-000417", title="Мошенничество в Instagram")

    def sent(actor, title: str, **fields):
        item = create_cooperation_request(session, actor, {
            "direction": Direction.OUTGOING, "title": title, "request_type_id": disclosure.id,
            "partner_id": meta.id, "case_id": case.id, **fields}, then)
        for status, who in ((Status.AWAITING_APPROVAL, actor), (Status.APPROVED, head), (Status.SENT, actor)):
            change_status(session, item, who, status, then)
        return item

    opened = sent(officer, "Данные аккаунта @fake_shop_kz")
    restricted = sent(insider, f"Закрытый запрос {SECRET}", restricted=True,
                      facts=f"Источник {SECRET}")
    incoming = create_cooperation_request(session, head, {
        "direction": Direction.INCOMING, "title": "Запрос Германии", "request_type_id": incoming_type.id,
        "partner_id": germany.id, "received_at": then, "officers": [officer]}, then)
    # The same e-mail address in both: the open request's page lists matches elsewhere, never this one.
    _identifier(session, opened, officer, IdentifierKind.EMAIL, "shared@example.com")
    _identifier(session, restricted, insider, IdentifierKind.EMAIL, "shared@example.com")
    _identifier(session, restricted, insider, IdentifierKind.EMAIL, f"{SECRET}@example.com")
    # A phone only the restricted request names (its page must not exist for the officer), and a Telegram account
    # the open and the incoming request share (a network the officer may see).
    _identifier(session, restricted, insider, IdentifierKind.PHONE, "+77017770000")
    _identifier(session, opened, officer, IdentifierKind.ACCOUNT, "@fake_shop_kz", platform="telegram")
    _identifier(session, incoming, head, IdentifierKind.ACCOUNT, "@fake_shop_kz", platform="telegram")
    add_partner_reference(session, opened, officer, "META-1", now)
    add_partner_reference(session, restricted, insider, f"META-{SECRET}", now)
    add_note(session, restricted, insider, f"Заметка {SECRET}", now)
    document = _document(session, opened, officer, "letter.pdf", b"%PDF-1.7 letter", upload_folder)
    secret_document = _document(session, restricted, insider, f"{SECRET}.pdf", b"%PDF-1.7 secret", upload_folder)
    deadline, secret_deadline = _deadline_of(session, opened.id), _deadline_of(session, restricted.id)
    # The partner may extend the open request's clock, so that its extension form is there to be used.
    extendable = session.get(Deadline, deadline).rule
    extendable.extension_amount, extendable.max_extensions = 1, 100_000
    for request_id, deadline_id, person in ((opened.id, deadline, officer), (restricted.id, secret_deadline, insider)):
        due = session.get(Deadline, deadline_id).due_at
        session.add(Reminder(request_id=request_id, deadline_id=deadline_id, recipient_id=person.id,
                             kind=ReminderKind.BEFORE, offset_code="D-3", deadline_due_at=due,
                             due_at=now - timedelta(hours=1), state=ReminderState.PENDING))
    rule = session.scalar(sa.select(DeadlineRule.id).order_by(DeadlineRule.id))
    day = CalendarDay(country="KZ", day=date(2031, 1, 6), working=False, note="Указ", created_by_id=admin.id,
                      created_at=now)
    message = OutboxMessage(key="test:failed", message_id="<failed@coop>", to_address="x@example.com",
                            subject="s", body_text="b", state=OutboxState.FAILED, attempts=5)
    contact = PartnerContact(partner=meta, role=ContactRole.POINT_24_7, name="Law enforcement response team")
    instrument = PartnerInstrument(partner=germany, legal_basis=basis)
    batch = ImportBatch(user_id=officer.id, original_name="register.csv", sha256="0" * 64, size=10,
                        file_format="csv", state=ImportState.IMPORTED, report={}, created_at=now)
    session.add_all([day, message, contact, instrument, batch])
    session.flush()
    template = store_template(session, LetterKind.ASSISTANCE, "ru", builtin_docx(LetterKind.ASSISTANCE, "ru"),
                              "Built in", None, now, builtin=True)
    letter, secret_letter = (draft_letter(session, item, person, LetterKind.ASSISTANCE, "ru", now,
                                          ZoneInfo("Asia/Almaty"), upload_folder, accept_gaps=True)
                             for item, person in ((opened, officer), (restricted, insider)))
    return World(
        users={OFFICER: officer.id, INSIDER: insider.id, HEAD: head.id, ADMIN: admin.id},
        open_id=opened.id, incoming_id=incoming.id, restricted_id=restricted.id,
        restricted_reference=restricted.reference, case_id=case.id, meta_id=meta.id, country_id=germany.id,
        basis_id=basis.id, type_id=disclosure.id, document_id=document, restricted_document_id=secret_document,
        deadline_id=deadline, restricted_deadline_id=secret_deadline, rule_id=rule, contact_id=contact.id,
        instrument_id=instrument.id, batch_id=batch.id, letter_id=letter.id,
        restricted_letter_id=secret_letter.id, template_id=template.id,
    )


# --- fresh objects, for the writes that consume theirs --------------------------------------------------------

def user_of(role: str, world: World) -> int | None:
    """The id of the user who plays `role` (None for a visitor)."""
    return world.users.get(role)


def fresh_identifier(world: World, request_id: int) -> int:
    from coop.models import CooperationRequest, User

    item = db.session.get(CooperationRequest, request_id)
    actor = db.session.get(User, world.users[INSIDER if item.restricted else OFFICER])
    return _identifier(db.session, item, actor, IdentifierKind.EMAIL, f"fresh{next(_fresh)}@example.com")


def fresh_link(world: World, restricted: bool) -> int:
    """A link from the shared e-mail to a fresh key of the open request (or of the restricted one)."""
    from coop.domain.networks import add_link
    from coop.models import User

    fresh_identifier(world, world.restricted_id if restricted else world.open_id)
    fresh = db.session.scalar(sa.select(Identifier.normalized).order_by(Identifier.id.desc()).limit(1))
    insider = db.session.get(User, world.users[INSIDER])
    return add_link(db.session, insider, (IdentifierKind.EMAIL, "shared@example.com"), (IdentifierKind.EMAIL, fresh),
                    "Один человек", utcnow()).id


def fresh_contact(world: World) -> int:
    contact = PartnerContact(partner_id=world.meta_id, role=ContactRole.OTHER, name=f"Contact {next(_fresh)}")
    db.session.add(contact)
    db.session.flush()
    return contact.id


def fresh_instrument(world: World) -> int:
    basis = make_legal_basis(db.session, f"fresh-{next(_fresh)}", LegalBasisKind.BILATERAL)
    instrument = PartnerInstrument(partner_id=world.country_id, legal_basis=basis)
    db.session.add(instrument)
    db.session.flush()
    return instrument.id


def fresh_rule(world: World) -> int:
    number = next(_fresh)
    request_type = make_request_type(db.session, f"fresh_{number}", Direction.OUTGOING)
    rule = DeadlineRule(scope_key=f"fresh_{number}", request_type=request_type, kind=DeadlineKind.ANSWER_EXPECTED,
                        start_event=StartEvent.SENT, amount=30, unit=ClockUnit.CALENDAR_DAYS,
                        calendar=WorkingCalendar.KAZAKHSTAN, stop_event=StopEvent.ANSWERED, reminders=[],
                        max_extensions=0, active=True)
    db.session.add(rule)
    db.session.flush()
    return rule.id


def fresh_calendar_day(world: World, country: str = "KZ") -> int:
    day = CalendarDay(country=country, day=date(2032, 1, 1) + timedelta(days=next(_fresh)), working=False,
                      note="Указ", created_by_id=world.users[ADMIN], created_at=utcnow())
    db.session.add(day)
    db.session.flush()
    return day.id


def fresh_failed_message(world: World) -> int:
    number = next(_fresh)
    message = OutboxMessage(key=f"test:{number}", message_id=f"<{number}@coop>", to_address="x@example.com",
                            subject="s", body_text="b", state=OutboxState.FAILED, attempts=5)
    db.session.add(message)
    db.session.flush()
    return message.id


def fresh_user() -> int:
    return make_user(db.session, f"fresh{next(_fresh)}").id


def fresh_token(user_id: int) -> int:
    from coop.models import User

    return issue_token(db.session, db.session.get(User, user_id), f"token {next(_fresh)}", TokenScope.READ,
                       utcnow(), 30)[0].id


def fresh_batch(user_id: int, waiting: bool = False) -> int:
    """An import of `user_id`: finished, or `waiting` for its mapping with its file in place."""
    batch = ImportBatch(user_id=user_id, original_name="register.csv", sha256="0" * 64, size=10, file_format="csv",
                        state=ImportState.IMPORTED, created_at=utcnow(), mapping={"columns": {}})
    if waiting:
        name = f"fresh{next(_fresh)}.csv"
        import_folder().mkdir(parents=True, exist_ok=True)
        (import_folder() / name).write_text("Номер;Партнёр;Тип;Название\n1;meta;direct_disclosure;Данные\n")
        batch.state, batch.stored_name = ImportState.UPLOADED, name
        batch.mapping = {"columns": {"0": "external_number", "1": "partner", "2": "request_type", "3": "title"}}
    db.session.add(batch)
    db.session.flush()
    return batch.id


def own_batch(waiting: bool = False):
    """URL values naming a fresh import of the calling user (of the officer, for those who cannot import)."""
    return lambda world, role: {"batch_id": fresh_batch(user_of(role, world) or world.users[OFFICER], waiting)}


def anothers_batch(waiting: bool = False):
    """URL values naming a fresh import of somebody else than the caller."""
    return lambda world, role: {"batch_id": fresh_batch(world.users[HEAD if role != HEAD else OFFICER], waiting)}


def fresh_feed(user_id: int) -> str:
    from coop.models import User

    return issue_feed_token(db.session, db.session.get(User, user_id), utcnow())


# --- what each role must get ------------------------------------------------------------------------------------

LOGIN = "login"  # a redirect to the login page (a 401 under /api/v1)
FORBIDDEN = frozenset({403})
HIDDEN = frozenset({404})
OK = frozenset({200})
REDIRECT = frozenset({302})
REFUSED_FORM = frozenset({400})


def access(allowed, ok=OK, *, public: bool = False, hidden=(), refused=FORBIDDEN) -> dict:
    """The outcome per role: `ok` for the roles in `allowed`, `hidden` ones get 404, the others `refused`;
    anonymous visitors are sent to log in unless the route is `public`."""
    outcome = {}
    for role in ROLES:
        if role in hidden:
            outcome[role] = HIDDEN
        elif role == ANONYMOUS:
            outcome[role] = ok if public else LOGIN
        elif role in allowed:
            outcome[role] = ok
        else:
            outcome[role] = refused
    return outcome


EVERYONE = (OFFICER, INSIDER, HEAD, ADMIN)
EDITORS = (OFFICER, INSIDER, HEAD)
HEADS = (HEAD, ADMIN)
ADMINS = (ADMIN,)


@dataclass(frozen=True)
class Probe:
    """One call of a route: its URL values (from the world, for the calling role), what is sent, what each role
    must get."""

    name: str
    expected: dict
    values: Callable[[World, str], dict] = lambda world, role: {}
    form: dict | None = None
    json: dict | None = None


def on(request: str, **extra):
    """URL values naming the open or the restricted request (and, via `extra`, things of it)."""
    def values(world: World, role: str) -> dict:
        request_id = world.restricted_id if request == "restricted" else world.open_id
        return {"request_id": request_id, **{name: make(world, request_id) for name, make in extra.items()}}

    return values


def deadline_of(request: str):
    def values(world: World, role: str) -> dict:
        return {"deadline_id": world.restricted_deadline_id if request == "restricted" else world.deadline_id}

    return values


def both_requests(expected_open: dict, make_values: Callable[[str], Callable], **probe) -> list[Probe]:
    """The open request as `expected_open` says, and the restricted one: hidden from the officer (404) and, for
    everyone else, as for the open one."""
    restricted = dict(expected_open)
    restricted[OFFICER] = HIDDEN
    return [Probe("open", expected_open, make_values("open"), **probe),
            Probe("restricted", restricted, make_values("restricted"), **probe)]


def letter_of(request: str):
    def values(world: World, role: str) -> dict:
        return {"letter_id": world.restricted_letter_id if request == "restricted" else world.letter_id}

    return values


def constant(**values):
    return lambda world, role: values


def of_world(**names):
    """URL values taken from the world: of_world(case_id="case_id") gives {"case_id": world.case_id}."""
    return lambda world, role: {name: getattr(world, attribute) for name, attribute in names.items()}


def _routes() -> dict[tuple[str, str], list[Probe]]:
    request_page = access(EVERYONE)
    edit_page = access(EDITORS)
    edit_form = access(EDITORS, REFUSED_FORM)
    edit_redirect = access(EDITORS, REDIRECT)
    admin_page, admin_form, admin_redirect = access(ADMINS), access(ADMINS, REFUSED_FORM), access(ADMINS, REDIRECT)
    # An edit page given none of its fields refuses the incomplete form (never reads a missing box as unticked).
    admin_edit = admin_form
    heads_page = access(HEADS)
    api_read = access(EVERYONE)
    api_edit = access(EDITORS, frozenset({400, 422}))
    return {
        ("GET", "/"): [Probe("home", access(EVERYONE))],
        ("GET", "/account/password"): [Probe("page", access(EVERYONE))],
        ("POST", "/account/password"): [Probe("empty", access(EVERYONE, REFUSED_FORM), form={})],
        # The second factor: nobody in the matrix has one (the setting requiring it is off in the tests), so the
        # code page and the pages that manage an authenticator send them to enrolment.
        ("GET", "/login/second-factor"): [Probe("no authenticator", access(EVERYONE, REDIRECT))],
        ("POST", "/login/second-factor"): [Probe("no authenticator", access(EVERYONE, REDIRECT), form={})],
        ("GET", "/account/second-factor"): [Probe("page", access(EVERYONE))],
        ("GET", "/account/second-factor/setup"): [Probe("page", access(EVERYONE))],
        ("POST", "/account/second-factor/setup"): [Probe("empty", access(EVERYONE, REFUSED_FORM), form={})],
        ("POST", "/account/second-factor/recovery-codes"): [
            Probe("no authenticator", access(EVERYONE, REDIRECT), form={})],
        ("POST", "/account/second-factor/replace"): [Probe("no authenticator", access(EVERYONE, REDIRECT), form={})],
        ("GET", "/account/tokens/"): [Probe("page", access(EVERYONE))],
        ("POST", "/account/tokens/"): [Probe("empty", access(EVERYONE, REFUSED_FORM), form={})],
        ("POST", "/account/tokens/<int:token_id>/revoke"): [
            Probe("own", access(EVERYONE, REDIRECT),
                  lambda world, role: {"token_id": fresh_token(user_of(role, world) or world.users[HEAD])}, form={}),
            Probe("another user's", access((), hidden=EVERYONE),
                  lambda world, role: {"token_id": fresh_token(world.users[HEAD if role != HEAD else OFFICER])},
                  form={}),
        ],
        ("GET", "/admin/calendar-days"): [Probe("page", admin_page)],
        ("POST", "/admin/calendar-days"): [Probe("empty", admin_form, form={})],
        ("POST", "/admin/calendar-days/<int:day_id>/delete"): [
            Probe("fresh", admin_redirect, lambda world, role: {"day_id": fresh_calendar_day(world)}, form={})],
        ("GET", "/admin/partner-calendar-days"): [Probe("page", admin_page),
                                                  Probe("one partner", admin_page, constant(partner="DE"))],
        ("POST", "/admin/partner-calendar-days"): [Probe("empty", admin_form, form={})],
        ("POST", "/admin/partner-calendar-days/<int:day_id>/delete"): [
            Probe("fresh", admin_redirect, lambda world, role: {"day_id": fresh_calendar_day(world, "DE")}, form={}),
            Probe("Kazakhstan's", access((), hidden=ADMINS), lambda world, role: {"day_id": fresh_calendar_day(world)},
                  form={})],
        ("GET", "/admin/deadline-rules"): [Probe("page", admin_page)],
        ("POST", "/admin/deadline-rules/<int:rule_id>/delete"): [
            Probe("fresh", admin_redirect, lambda world, role: {"rule_id": fresh_rule(world)}, form={})],
        ("GET", "/admin/deadline-rules/<int:rule_id>/edit"): [
            Probe("page", admin_page, of_world(rule_id="rule_id"))],
        ("POST", "/admin/deadline-rules/<int:rule_id>/edit"): [
            Probe("empty", admin_form, of_world(rule_id="rule_id"), form={})],
        ("GET", "/admin/deadline-rules/new"): [Probe("page", admin_page)],
        ("POST", "/admin/deadline-rules/new"): [Probe("empty", admin_form, form={})],
        ("GET", "/admin/outbox"): [Probe("page", admin_page)],
        ("POST", "/admin/outbox"): [Probe("empty", admin_form, form={})],
        ("POST", "/admin/outbox/<int:message_id>/retry"): [
            Probe("fresh", admin_redirect, lambda world, role: {"message_id": fresh_failed_message(world)}, form={})],
        ("GET", "/admin/users"): [Probe("page", admin_page)],
        ("GET", "/admin/users/<int:user_id>"): [
            Probe("page", admin_page, lambda world, role: {"user_id": world.users[OFFICER]})],
        # A form without its fields is refused: the (fresh) user stays as stored, active.
        ("POST", "/admin/users/<int:user_id>"): [
            Probe("without fields", admin_form, lambda world, role: {"user_id": fresh_user()}, form={})],
        ("GET", "/admin/users/new"): [Probe("page", admin_page)],
        ("POST", "/admin/users/<int:user_id>/second-factor/reset"): [
            Probe("fresh", admin_redirect, lambda world, role: {"user_id": fresh_user()}, form={})],
        # The audit trail's checkpoints: heads and administrators.
        ("GET", "/audit/"): [Probe("page", heads_page)],
        ("POST", "/audit/verify"): [Probe("nothing pasted", heads_page, form={})],
        ("POST", "/audit/checkpoint"): [Probe("now", access(HEADS, REDIRECT), form={})],
        # The form comes back with its errors and a 400, as every refused form does.
        ("POST", "/admin/users/new"): [Probe("empty", access(ADMINS, frozenset({400})), form={})],
        # The JSON API: a session works as a token does; nobody logged in gets a 401.
        ("GET", "/api/v1/deadlines"): [Probe("list", api_read)],
        ("GET", "/api/v1/docs"): [Probe("page", api_read)],
        ("GET", "/api/v1/legal-bases"): [Probe("list", api_read)],
        ("GET", "/api/v1/me"): [Probe("me", api_read)],
        ("GET", "/api/v1/openapi.json"): [Probe("document", api_read)],
        ("GET", "/api/v1/partners"): [Probe("list", api_read)],
        ("GET", "/api/v1/partners/<string(maxlength=32):code>"): [
            Probe("meta", api_read, constant(code="meta")),
            Probe("missing", access(EVERYONE, HIDDEN), constant(code="nobody"))],
        ("GET", "/api/v1/reminders"): [Probe("list", api_read)],
        ("POST", "/api/v1/reminders/<int:deadline_id>/done"): both_requests(api_read, deadline_of, json={}),
        ("GET", "/api/v1/reminders/waiting"): [Probe("list", api_read)],
        ("GET", "/api/v1/request-types"): [Probe("list", api_read)],
        ("GET", "/api/v1/requests"): [Probe("list", api_read)],
        ("POST", "/api/v1/requests"): [Probe("empty", api_edit, json={})],
        ("GET", "/api/v1/requests/<int:request_id>"): both_requests(api_read, on),
        ("PATCH", "/api/v1/requests/<int:request_id>"): both_requests(api_edit, on, json={}),
        ("GET", "/api/v1/requests/<int:request_id>/deadlines"): both_requests(api_read, on),
        ("GET", "/api/v1/requests/<int:request_id>/history"): both_requests(api_read, on),
        ("GET", "/api/v1/requests/<int:request_id>/notes"): both_requests(api_read, on),
        ("POST", "/api/v1/requests/<int:request_id>/notes"): both_requests(api_edit, on, json={}),
        ("GET", "/api/v1/requests/<int:request_id>/identifiers"): both_requests(api_read, on),
        ("POST", "/api/v1/requests/<int:request_id>/identifiers"): both_requests(api_edit, on, json={}),
        ("GET", "/api/v1/requests/<int:request_id>/documents"): both_requests(api_read, on),
        # A form without a file: not the multipart body an upload is (415), once the right to write is settled.
        ("POST", "/api/v1/requests/<int:request_id>/documents"): both_requests(access(EDITORS, frozenset({415})), on,
                                                                                form={}),
        ("GET", "/api/v1/requests/<int:request_id>/documents/<int:document_id>"): both_requests(
            api_read, lambda which: on(which, document_id=_document_of)) + [
            Probe("of another request", access((), hidden=EVERYONE),
                  lambda world, role: {"request_id": world.open_id, "document_id": world.restricted_document_id})],
        ("POST", "/api/v1/requests/<int:request_id>/status"): both_requests(api_edit, on, json={}),
        ("GET", "/api/v1/requests/<int:request_id>/letters"): both_requests(api_read, on),
        ("POST", "/api/v1/requests/<int:request_id>/letters"): both_requests(api_edit, on, json={}),
        ("GET", "/api/v1/letters"): [Probe("register", api_read)],
        # Letters: everyone reads those of the requests they see, officers and heads draft and send them,
        # administrators keep the templates and the numbering.
        ("GET", "/letters/"): [Probe("register", access(EVERYONE))],
        ("GET", "/letters/<int:letter_id>"): both_requests(access(EVERYONE), letter_of),
        ("GET", "/letters/<int:letter_id>/print"): both_requests(access(EVERYONE), letter_of),
        # Without a file, and unsigned: refused with the form's message.
        ("POST", "/letters/<int:letter_id>/final"): both_requests(access(EDITORS, REFUSED_FORM), letter_of,
                                                                  form={}),
        ("POST", "/letters/<int:letter_id>/send"): both_requests(access(EDITORS, REFUSED_FORM), letter_of, form={}),
        ("GET", "/letters/request/<int:request_id>/draft"): both_requests(access(EDITORS), on),
        ("POST", "/letters/request/<int:request_id>/draft"): both_requests(access(EDITORS, REFUSED_FORM), on,
                                                                           form={}),
        # The open request's clock awaits an answer: no letter answers its reminder.
        ("POST", "/letters/deadline/<int:deadline_id>/draft"): both_requests(
            access(EDITORS, HIDDEN), deadline_of, form={}),
        ("GET", "/letters/templates"): [Probe("page", access(ADMINS))],
        ("GET", "/letters/templates/new"): [Probe("page", access(ADMINS))],
        ("POST", "/letters/templates/new"): [Probe("empty", access(ADMINS, REFUSED_FORM), form={})],
        ("GET", "/letters/templates/<int:template_id>"): [
            Probe("page", access(ADMINS), of_world(template_id="template_id"))],
        ("POST", "/letters/templates/<int:template_id>"): [
            Probe("empty", access(ADMINS, REFUSED_FORM), of_world(template_id="template_id"), form={})],
        ("GET", "/letters/templates/<int:template_id>/file"): [
            Probe("file", access(ADMINS), of_world(template_id="template_id"))],
        ("POST", "/letters/numbering"): [Probe("empty", access(ADMINS, REFUSED_FORM), form={})],
        # Reminders, deadlines, calendars.
        ("GET", "/calendar"): [Probe("page", access(EVERYONE))],
        ("GET", "/calendar/<token>.ics"): [
            Probe("the officer's feed", access(EVERYONE, public=True),
                  lambda world, role: {"token": fresh_feed(world.users[OFFICER])}),
            Probe("a made-up token", access(EVERYONE, HIDDEN, public=True), constant(token="x" * 43)),
        ],
        ("POST", "/calendar/revoke"): [Probe("own", access(EVERYONE, REDIRECT), form={})],
        ("POST", "/calendar/token"): [Probe("own", access(EVERYONE), form={})],
        ("GET", "/deadlines/<int:deadline_id>"): both_requests(request_page, deadline_of),
        ("GET", "/deadlines/<int:deadline_id>/date"): both_requests(edit_page, deadline_of),
        ("POST", "/deadlines/<int:deadline_id>/date"): both_requests(edit_form, deadline_of, form={}),
        ("POST", "/deadlines/<int:deadline_id>/enquiry-sent"): both_requests(edit_redirect, deadline_of, form={}),
        ("GET", "/deadlines/<int:deadline_id>/extend"): both_requests(edit_page, deadline_of),
        ("POST", "/deadlines/<int:deadline_id>/extend"): both_requests(edit_form, deadline_of, form={}),
        ("GET", "/deadlines/request/<int:request_id>.ics"): both_requests(request_page, on),
        ("GET", "/deadlines/request/<int:request_id>/enter/<kind>"): both_requests(
            edit_page, lambda which: _with(on(which), kind="answer_expected")),
        ("POST", "/deadlines/request/<int:request_id>/enter/<kind>"): both_requests(
            edit_form, lambda which: _with(on(which), kind="answer_expected"), form={}),
        ("GET", "/reminders"): [Probe("page", access(EVERYONE))],
        ("POST", "/reminders/<int:deadline_id>/done"): both_requests(access(EVERYONE, REDIRECT), deadline_of,
                                                                     form={}),
        ("POST", "/reminders/<int:deadline_id>/snooze"): both_requests(access(EVERYONE, REDIRECT), deadline_of,
                                                                       form={}),
        # Cases.
        ("GET", "/cases/"): [Probe("list", access(EVERYONE))],
        ("GET", "/cases/<int:case_id>"): [
            Probe("page", access(EVERYONE), of_world(case_id="case_id")),
            Probe("missing", access(EVERYONE, HIDDEN), constant(case_id=999999))],
        ("GET", "/cases/<int:case_id>/edit"): [Probe("page", edit_page, of_world(case_id="case_id"))],
        ("POST", "/cases/<int:case_id>/edit"): [
            Probe("empty", edit_form, of_world(case_id="case_id"), form={})],
        ("GET", "/cases/new"): [Probe("page", edit_page)],
        ("POST", "/cases/new"): [Probe("empty", edit_form, form={})],
        # The head's dashboard (administrators see it too); an officer's own list exports for everyone.
        ("GET", "/dashboard/"): [Probe("page", heads_page)],
        ("GET", "/dashboard/export/<table>.<fmt>"): [
            Probe("overdue", heads_page, constant(table="overdue", fmt="csv"))],
        ("GET", "/dashboard/export/requests.<fmt>"): [Probe("csv", access(EVERYONE), constant(fmt="csv"))],
        ("GET", "/dashboard/partners/<code>"): [Probe("meta", heads_page, constant(code="meta"))],
        ("GET", "/dashboard/report"): [Probe("page", heads_page)],
        ("GET", "/health"): [Probe("health", access(EVERYONE, public=True))],
        # Imports: officers and heads, each their own uploads (a head reads everyone's results).
        ("GET", "/imports/"): [Probe("page", edit_page)],
        ("POST", "/imports/"): [Probe("empty", edit_form, form={})],
        ("GET", "/imports/<int:batch_id>"): [
            Probe("the officer's", access((OFFICER, HEAD), hidden=(INSIDER,)),
                  of_world(batch_id="batch_id"))],
        ("POST", "/imports/<int:batch_id>/cancel"): [
            Probe("own", edit_redirect, own_batch(waiting=True), form={}),
            Probe("another's", access((), hidden=EDITORS), anothers_batch(waiting=True), form={})],
        ("POST", "/imports/<int:batch_id>/import"): [
            Probe("own, finished", edit_redirect, own_batch(), form={}),
            Probe("another's", access((), hidden=EDITORS), anothers_batch(waiting=True), form={})],
        ("GET", "/imports/<int:batch_id>/mapping"): [
            Probe("own", edit_page, own_batch(waiting=True)),
            Probe("own, finished", edit_redirect, own_batch()),
            Probe("another's", access((), hidden=EDITORS), anothers_batch(waiting=True))],
        # The columns a submission leaves out keep the mapping proposed: here a complete one.
        ("POST", "/imports/<int:batch_id>/mapping"): [
            Probe("own, nothing chosen", edit_redirect, own_batch(waiting=True), form={})],
        ("GET", "/imports/<int:batch_id>/preview"): [
            Probe("own", edit_page, own_batch(waiting=True)),
            Probe("another's", access((), hidden=EDITORS), anothers_batch(waiting=True))],
        # Public pages of the account.
        ("POST", "/language/<code>"): [Probe("unknown language", access(EVERYONE, REDIRECT, public=True),
                                             constant(code="xx"), form={})],
        ("GET", "/login"): [Probe("page", access(EVERYONE, REDIRECT, public=True) | {ANONYMOUS: OK})],
        ("POST", "/login"): [
            Probe("empty", access(EVERYONE, REDIRECT, public=True) | {ANONYMOUS: REFUSED_FORM}, form={})],
        ("POST", "/logout"): [Probe("logout", access(EVERYONE, REDIRECT), form={})],
        # Partners and reference data: everyone reads, administrators edit.
        ("GET", "/partners/"): [Probe("list", access(EVERYONE))],
        ("GET", "/partners/<int:partner_id>"): [
            Probe("meta", access(EVERYONE), of_world(partner_id="meta_id")),
            Probe("missing", access(EVERYONE, HIDDEN), constant(partner_id=999999))],
        ("GET", "/partners/<int:partner_id>/contacts/<int:contact_id>"): [
            Probe("page", admin_page, of_world(partner_id="meta_id", contact_id="contact_id")),
            Probe("of another partner", access((), hidden=ADMINS),
                  lambda world, role: {"partner_id": world.country_id, "contact_id": world.contact_id})],
        ("POST", "/partners/<int:partner_id>/contacts/<int:contact_id>"): [
            Probe("empty", admin_edit, of_world(partner_id="meta_id", contact_id="contact_id"), form={})],
        ("POST", "/partners/<int:partner_id>/contacts/<int:contact_id>/delete"): [
            Probe("fresh", admin_redirect, lambda world, role: {"partner_id": world.meta_id,
                                                                "contact_id": fresh_contact(world)}, form={}),
            Probe("of another partner", access((), hidden=ADMINS),
                  lambda world, role: {"partner_id": world.country_id, "contact_id": fresh_contact(world)}, form={})],
        ("GET", "/partners/<int:partner_id>/contacts/new"): [
            Probe("page", admin_page, of_world(partner_id="meta_id"))],
        ("POST", "/partners/<int:partner_id>/contacts/new"): [
            Probe("empty", admin_form, of_world(partner_id="meta_id"), form={})],
        ("GET", "/partners/<int:partner_id>/edit"): [
            Probe("page", admin_page, of_world(partner_id="meta_id"))],
        ("POST", "/partners/<int:partner_id>/edit"): [
            Probe("empty", admin_form, of_world(partner_id="meta_id"), form={})],
        ("GET", "/partners/<int:partner_id>/instruments/<int:instrument_id>"): [
            Probe("page", admin_page, of_world(partner_id="country_id", instrument_id="instrument_id")),
            Probe("of another partner", access((), hidden=ADMINS),
                  lambda world, role: {"partner_id": world.meta_id, "instrument_id": world.instrument_id})],
        ("POST", "/partners/<int:partner_id>/instruments/<int:instrument_id>"): [
            Probe("empty", admin_edit, of_world(partner_id="country_id", instrument_id="instrument_id"), form={})],
        ("POST", "/partners/<int:partner_id>/instruments/<int:instrument_id>/delete"): [
            Probe("fresh", admin_redirect, lambda world, role: {"partner_id": world.country_id,
                                                                "instrument_id": fresh_instrument(world)}, form={})],
        ("GET", "/partners/<int:partner_id>/instruments/new"): [
            Probe("page", admin_page, of_world(partner_id="country_id"))],
        ("POST", "/partners/<int:partner_id>/instruments/new"): [
            Probe("empty", admin_form, of_world(partner_id="country_id"), form={})],
        ("GET", "/partners/legal-bases"): [Probe("list", access(EVERYONE))],
        ("GET", "/partners/legal-bases/<int:basis_id>"): [
            Probe("page", access(EVERYONE), of_world(basis_id="basis_id"))],
        ("GET", "/partners/legal-bases/<int:basis_id>/edit"): [
            Probe("page", admin_page, of_world(basis_id="basis_id"))],
        ("POST", "/partners/legal-bases/<int:basis_id>/edit"): [
            Probe("empty", admin_edit, of_world(basis_id="basis_id"), form={})],
        ("GET", "/partners/legal-bases/new"): [Probe("page", admin_page)],
        ("POST", "/partners/legal-bases/new"): [Probe("empty", admin_form, form={})],
        ("GET", "/partners/new"): [Probe("page", admin_page)],
        ("POST", "/partners/new"): [Probe("empty", admin_form, form={})],
        ("GET", "/partners/request-types"): [Probe("list", access(EVERYONE))],
        ("GET", "/partners/request-types/<int:type_id>/edit"): [
            Probe("page", admin_page, of_world(type_id="type_id"))],
        ("POST", "/partners/request-types/<int:type_id>/edit"): [
            Probe("empty", admin_edit, of_world(type_id="type_id"), form={})],
        ("GET", "/partners/request-types/new"): [Probe("page", admin_page)],
        ("POST", "/partners/request-types/new"): [Probe("empty", admin_form, form={})],
        # Requests: everyone reads what they may see, officers and heads change it, administrators only read.
        ("GET", "/requests/"): [Probe("list", access(EVERYONE))],
        ("GET", "/requests/<int:request_id>"): both_requests(request_page, on),
        ("POST", "/requests/<int:request_id>/documents"): both_requests(edit_form, on, form={}),
        ("GET", "/requests/<int:request_id>/documents/<int:document_id>"): both_requests(
            request_page, lambda which: on(which, document_id=_document_of)) + [
            Probe("of another request", access((), hidden=EVERYONE),
                  lambda world, role: {"request_id": world.open_id, "document_id": world.restricted_document_id})],
        ("GET", "/requests/<int:request_id>/edit"): both_requests(edit_page, on),
        ("POST", "/requests/<int:request_id>/edit"): both_requests(edit_form, on, form={}),
        ("POST", "/requests/<int:request_id>/identifiers"): both_requests(edit_form, on, form={}),
        ("POST", "/requests/<int:request_id>/identifiers/<int:identifier_id>/delete"): both_requests(
            edit_redirect, lambda which: on(which, identifier_id=lambda world, request_id: fresh_identifier(
                world, request_id)), form={}) + [
            Probe("of another request", access((), hidden=EDITORS),
                  lambda world, role: {"request_id": world.open_id,
                                       "identifier_id": fresh_identifier(world, world.restricted_id)}, form={})],
        ("POST", "/requests/<int:request_id>/notes"): both_requests(edit_form, on, form={}),
        ("POST", "/requests/<int:request_id>/partner-references"): both_requests(edit_form, on, form={}),
        ("POST", "/requests/<int:request_id>/transition"): both_requests(edit_form, on, form={}),
        ("GET", "/requests/new"): [
            Probe("page", edit_page),
            Probe("following the restricted request", access(EDITORS, hidden=(OFFICER,)),
                  of_world(follows_id="restricted_id"))],
        ("POST", "/requests/new"): [Probe("empty", edit_form, form={})],
        # Identifiers and networks: everyone reads what they may see; a key only restricted requests name does not
        # exist for the officer; officers and heads link identifiers; heads and administrators list networks.
        ("GET", "/identifiers/<string(maxlength=16):kind>/<path:normalized>"): [
            Probe("shared", access(EVERYONE), constant(kind="email", normalized="shared@example.com")),
            Probe("only in the restricted request", access((INSIDER, HEAD, ADMIN), hidden=(OFFICER,)),
                  constant(kind="phone", normalized="+77017770000")),
            Probe("unknown kind", access((), hidden=EVERYONE), constant(kind="nothing", normalized="x"))],
        ("POST", "/identifiers/links"): [
            Probe("empty, of a shared key", edit_form, form={"kind": "email", "normalized": "shared@example.com"}),
            Probe("of the restricted request's key", access((INSIDER, HEAD), REFUSED_FORM, hidden=(OFFICER,)),
                  form={"kind": "phone", "normalized": "+77017770000"})],
        ("POST", "/identifiers/links/<int:link_id>/delete"): [
            Probe("fresh", edit_redirect, lambda world, role: {"link_id": fresh_link(world, restricted=False)},
                  form={}),
            Probe("to the restricted request's key", access((INSIDER, HEAD), REDIRECT, hidden=(OFFICER,)),
                  lambda world, role: {"link_id": fresh_link(world, restricted=True)}, form={})],
        ("GET", "/networks/"): [Probe("list", heads_page)],
        ("GET", "/cases/<int:case_id>/network"): [Probe("page", request_page, of_world(case_id="case_id"))],
        ("GET", "/cases/<int:case_id>/network.json"): [Probe("graph", request_page, of_world(case_id="case_id"))],
        # The CSV is read for the restricted request's marks; the XLSX is the same rows (tests/networks).
        ("GET", "/cases/<int:case_id>/network/export.<fmt>"): [
            Probe("csv", request_page, _with(of_world(case_id="case_id"), fmt="csv"))],
        ("GET", "/api/v1/identifiers"): [
            Probe("shared", api_read, constant(kind="email", value="shared@example.com")),
            Probe("only in the restricted request", access((INSIDER, HEAD, ADMIN), hidden=(OFFICER,)),
                  constant(kind="phone", value="+77017770000"))],
        ("GET", "/api/v1/cases/<int:case_id>/network"): [Probe("network", api_read, of_world(case_id="case_id"))],
        ("GET", "/api/v1/networks"): [Probe("list", heads_page)],
        ("GET", "/static/<path:filename>"): [Probe("style sheet", access(EVERYONE, public=True),
                                                   constant(filename="css/coop.css"))],
    }


def _with(make_values, **extra):
    return lambda world, role: make_values(world, role) | extra


def _document_of(world: World, request_id: int) -> int:
    return world.restricted_document_id if request_id == world.restricted_id else world.document_id


ROUTES = _routes()


# --- running the probes -----------------------------------------------------------------------------------------

@dataclass
class Visitor:
    client: object
    csrf_token: str


@dataclass
class Department:
    app: object
    world: World
    visitors: dict[str, Visitor]

    def visitor(self, role: str) -> Visitor:
        return self.visitors[role]


def csrf_token_of(page: str) -> str:
    found = CSRF_FIELD.search(page)
    assert found, "no CSRF token on the page"
    return found.group(1) or found.group(2)


def log_in(app, role: str) -> Visitor:
    client = app.test_client()
    token = csrf_token_of(client.get("/login").get_data(as_text=True))
    if role == ANONYMOUS:
        return Visitor(client, token)
    response = client.post("/login", data={"username": role, "password": TEST_PASSWORD, "csrf_token": token})
    assert response.status_code == 302, f"{role} could not log in"
    return Visitor(client, csrf_token_of(client.get("/calendar").get_data(as_text=True)))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def department(request, tmp_path_factory):
    """The department, on each database, with a logged-in browser per role; built once per test worker."""
    folder = tmp_path_factory.mktemp("matrix")
    url = url_for_database(request, folder)
    with running_app(url, folder, WTF_CSRF_ENABLED=True) as app:
        world = build_world(db.session, folder / "uploads")
        db.session.commit()
        yield Department(app, world, {role: log_in(app, role) for role in ROLES})


def fingerprint(skip: tuple[str, ...] = ()) -> str:
    """A digest of every row of every table (but those in `skip`), to prove that a refused write changed nothing."""
    db.session.rollback()
    with db.engine.connect() as connection:
        rows = connection.exec_driver_sql(_fingerprint_query(db.engine.dialect.name, skip)).all()
    # UNION ALL promises no order: PostgreSQL may append the parts in parallel, in any order.
    return sha256(repr(sorted(rows, key=lambda row: row[0])).encode()).hexdigest()


@cache
def _fingerprint_query(dialect: str, skip: tuple[str, ...]) -> str:
    """One statement that reads every table as text: it runs twice per refused write, a round trip per table
    would cost more than the rows."""
    parts = []
    for table in db.metadata.sorted_tables:
        if table.name in skip:
            continue
        order = ", ".join(f'"{column.name}"' for column in table.primary_key.columns or table.columns)
        if dialect == "postgresql":
            rows = f"string_agg(t::text, '|' ORDER BY {order})"
            parts.append(f'SELECT \'{table.name}\', md5(coalesce({rows}, \'\')) FROM "{table.name}" t')
        else:
            row = " || ',' || ".join(f'quote("{column.name}")' for column in table.columns)
            parts.append(f"SELECT '{table.name}', (SELECT group_concat(r, '|') FROM "
                         f'(SELECT {row} AS r FROM "{table.name}" ORDER BY {order}))')
    return " UNION ALL ".join(parts)


def call(department: Department, method: str, rule, probe: Probe, role: str):
    """Make the probe's call as `role`; returns the response and whether it changed the database."""
    world = department.world
    values = probe.values(world, role)
    db.session.commit()
    path = rule.build(values, append_unknown=True)[1]  # values the rule does not name go in the query
    visitor = department.visitor(role)
    headers = {"X-CSRFToken": visitor.csrf_token}
    kwargs = {"headers": headers, "buffered": True}
    if probe.json is not None:
        kwargs["json"] = probe.json
    elif probe.form is not None:
        kwargs["data"] = MultiDict({**probe.form, "csrf_token": visitor.csrf_token})
    before = fingerprint() if method != "GET" else None
    response = visitor.client.open(path, method=method, **kwargs)
    changed = before is not None and fingerprint() != before
    if rule.endpoint == "auth.logout" and role != ANONYMOUS:
        # Logging out ends every session of the user, the shared browser's too: it logs in again.
        department.visitors[role] = log_in(department.app, role)
    return path, response, changed


def check(department: Department, method: str, rule, probe: Probe, role: str) -> list[str]:
    """What went wrong with one call (nothing: an empty list)."""
    path, response, changed = call(department, method, rule, probe, role)
    expected = probe.expected[role]
    status = response.status_code
    # Binary downloads (a .docx) are read as text too: the secret must not be in them either.
    body = response.get_data().decode("utf-8", "replace") if not response.is_streamed else ""
    where = f"{role} {method} {path} ({probe.name}): {status}"
    problems = []
    api = path.startswith("/api/")
    if expected == LOGIN:
        if api:
            if status != 401:
                problems.append(f"{where}, expected 401")
        elif status != 302 or not response.headers.get("Location", "").startswith("/login"):
            problems.append(f"{where}, expected a redirect to the login page")
    elif status not in expected:
        problems.append(f"{where}, expected {sorted(expected)}")
    refused = expected == LOGIN or expected in (FORBIDDEN, HIDDEN)
    if refused and changed:
        problems.append(f"{where}: refused, yet the database changed")
    if role in (ANONYMOUS, OFFICER) and (SECRET in body or department.world.restricted_reference in body):
        problems.append(f"{where}: shows the restricted request")
    return problems


RULES_BY_KEY = {}


def _rule(app, method: str, rule_text: str):
    for rule in app.url_map.iter_rules():
        if rule.rule == rule_text and method in rule.methods:
            return rule
    raise AssertionError(f"{method} {rule_text} is not a route any more")


def served_routes(app) -> set[tuple[str, str]]:
    return {(method, rule.rule) for rule in app.url_map.iter_rules()
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def test_the_matrix_classifies_every_route(department):
    served = served_routes(department.app)
    unclassified = served - set(ROUTES)
    assert not unclassified, f"classify these routes in {__name__}.ROUTES: {sorted(unclassified)}"
    assert not set(ROUTES) - served, f"these routes are gone: {sorted(set(ROUTES) - served)}"


@pytest.mark.parametrize(("method", "rule_text"), list(ROUTES), ids=[f"{method} {rule}" for method, rule in ROUTES])
def test_each_role_gets_what_the_matrix_says(department, method, rule_text):
    rule = _rule(department.app, method, rule_text)
    problems = []
    for probe in ROUTES[(method, rule_text)]:
        for role in ROLES:
            problems += check(department, method, rule, probe, role)
    assert not problems, "\n".join(problems)


def _takes_ids(rule_text: str) -> bool:
    return "<int:" in rule_text


@pytest.mark.parametrize(("method", "rule_text"), [key for key in ROUTES if _takes_ids(key[1])],
                         ids=[f"{method} {rule}" for method, rule in ROUTES if _takes_ids(rule)])
def test_an_id_beyond_what_the_database_holds_names_nothing(department, method, rule_text):
    """A hand-made /requests/99999999999999999999 is a 404, not an overflow in the database driver."""
    rule = _rule(department.app, method, rule_text)
    values = ROUTES[(method, rule_text)][0].values(department.world, HEAD)
    visitor = department.visitor(HEAD)
    for impossible in (2**31, 10**20):
        values = {name: impossible if name in rule.arguments and isinstance(value, int) else value
                  for name, value in values.items()}
        path = rule.build(values, append_unknown=True)[1]
        response = visitor.client.open(path, method=method, data={"csrf_token": visitor.csrf_token},
                                       headers={"X-CSRFToken": visitor.csrf_token}, buffered=True)
        assert response.status_code == 404, f"{method} {path}: {response.status_code}"
