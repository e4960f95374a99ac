"""A small department for API tests: people, partners, types, a case, requests made through the domain, tokens."""

from dataclasses import dataclass
from datetime import timedelta

from coop.domain.requests import change_status, create_request
from coop.domain.tokens import issue_token
from coop.models import (
    ClockUnit,
    Deadline,
    DeadlineKind,
    DeadlineState,
    Direction,
    LegalBasisKind,
    PartnerKind,
    Reminder,
    ReminderKind,
    ReminderState,
    Role,
    Status,
    TokenScope,
    User,
    utcnow,
)
from tests.factories import make_case, make_legal_basis, make_partner, make_request_type, make_user


@dataclass
class ApiWorld:
    officer: User
    other_officer: User
    head: User
    admin: User
    write_token: str  # the officer's
    read_token: str  # the officer's
    head_token: str
    admin_token: str
    outgoing_id: int
    incoming_id: int
    restricted_id: int  # restricted, assigned to other_officer only
    case_number: str


def seed_api_world(session) -> ApiWorld:
    """People of every role with tokens, partners, types and a few requests (one restricted)."""
    now = utcnow() - timedelta(days=3)
    officer = make_user(session, "officer", Role.OFFICER, full_name="Айдар Сейтказиев", locale="en")
    other = make_user(session, "a.karimova", Role.OFFICER, full_name="Асель Каримова")
    head = make_user(session, "head", Role.HEAD, full_name="Гульнара Ахметова")
    admin = make_user(session, "admin", Role.ADMIN, full_name="Ерлан Жумабаев")
    meta = make_partner(session, "meta", PartnerKind.PROVIDER, name_ru="Meta (Facebook, Instagram)", name_en="Meta")
    us = make_partner(session, "US", PartnerKind.COUNTRY, name_ru="Соединенные Штаты", name_en="United States")
    make_partner(session, "DE", PartnerKind.COUNTRY, name_ru="Германия", name_en="Germany")
    make_legal_basis(session, "provider-policy", LegalBasisKind.PROVIDER_POLICY, name_ru="Политика провайдера")
    make_legal_basis(session, "budapest", LegalBasisKind.MULTILATERAL, name_ru="Будапештская конвенция")
    preservation = make_request_type(session, "preservation_provider", Direction.OUTGOING,
                                     partner_kind=PartnerKind.PROVIDER, is_preservation=True)
    make_request_type(session, "mla_outgoing", Direction.OUTGOING, partner_kind=PartnerKind.COUNTRY)
    make_request_type(session, "direct_disclosure", Direction.OUTGOING, partner_kind=PartnerKind.PROVIDER)
    mla_incoming = make_request_type(session, "mla_incoming", Direction.INCOMING, partner_kind=PartnerKind.COUNTRY)
    case = make_case(session, "2026-000417", title="Мошенничество в Instagram")
    outgoing = create_request(session, officer, {
        "direction": Direction.OUTGOING, "title": "Сохранение данных аккаунта @fake_shop_kz",
        "request_type_id": preservation.id, "partner_id": meta.id, "case_id": case.id,
    }, now)
    change_status(session, outgoing, officer, Status.LEGAL_CHECK, now)
    incoming = create_request(session, head, {
        "direction": Direction.INCOMING, "title": "Запрос США о правовой помощи", "request_type_id": mla_incoming.id,
        "partner_id": us.id, "received_at": now,
    }, now)
    restricted = create_request(session, other, {
        "direction": Direction.OUTGOING, "title": "Закрытый запрос", "request_type_id": preservation.id,
        "partner_id": meta.id, "restricted": True,
    }, now)
    # A clock and reminders, as the deadlines area would make them, so that their routes have something to show.
    deadline = Deadline(request_id=incoming.id, kind=DeadlineKind.EXECUTION_DEADLINE, state=DeadlineState.OPEN,
                        unit=ClockUnit.WORKING_DAYS, started_at=now, due_at=now + timedelta(days=30))
    session.add(deadline)
    session.flush()
    session.add(Reminder(request_id=incoming.id, deadline_id=deadline.id, recipient_id=officer.id,
                         kind=ReminderKind.BEFORE, offset_code="D-3", deadline_due_at=deadline.due_at,
                         due_at=now + timedelta(days=27), state=ReminderState.PENDING))
    tokens = {}
    for key, user, scope in (("write", officer, TokenScope.WRITE), ("read", officer, TokenScope.READ),
                             ("head", head, TokenScope.WRITE), ("admin", admin, TokenScope.WRITE)):
        tokens[key] = issue_token(session, user, f"{key} token", scope, utcnow(), 30)[1]
    session.flush()
    return ApiWorld(officer, other, head, admin, tokens["write"], tokens["read"], tokens["head"], tokens["admin"],
                    outgoing.id, incoming.id, restricted.id, case.number)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
