"""A small department for the deadline tests: people with e-mail, partners, the request types that have
clocks, and coop's default deadline rules."""

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from coop.domain.deadlines import seed_deadline_rules
from coop.domain.requests import change_status, create_request
from coop.extensions import db
from coop.models import (
    ClockUnit,
    CooperationRequest,
    DeadlineKind,
    DeadlineRule,
    Direction,
    LegalBasisKind,
    Partner,
    PartnerKind,
    Role,
    StartEvent,
    Status,
    StopEvent,
    User,
)
from tests.factories import make_legal_basis, make_partner, make_request_type, make_user

# A Monday morning in Almaty (09:30 local).
NOW = datetime(2026, 3, 2, 4, 30, tzinfo=UTC)

TYPES = {
    "preservation_state": (Direction.OUTGOING, PartnerKind.COUNTRY, {"is_preservation": True}),
    "preservation_provider": (Direction.OUTGOING, PartnerKind.PROVIDER, {"is_preservation": True}),
    "traffic_disclosure": (Direction.OUTGOING, PartnerKind.COUNTRY, {}),
    "emergency_provider": (Direction.OUTGOING, PartnerKind.PROVIDER, {"is_emergency": True}),
    "direct_disclosure": (Direction.OUTGOING, PartnerKind.PROVIDER, {}),
    "mla_outgoing": (Direction.OUTGOING, PartnerKind.COUNTRY, {}),
    "realtime_collection": (Direction.OUTGOING, PartnerKind.COUNTRY, {}),
    "mla_incoming": (Direction.INCOMING, PartnerKind.COUNTRY, {}),
    "spontaneous_information": (Direction.INCOMING, None, {}),
}


def make_rule(**fields) -> DeadlineRule:
    """A rule not stored anywhere, for the pure computations (defaults: 30 calendar days from sending)."""
    values = {"kind": DeadlineKind.ANSWER_EXPECTED, "start_event": StartEvent.SENT, "amount": 30,
              "unit": ClockUnit.CALENDAR_DAYS, "pauses": False, "stop_event": StopEvent.ANSWERED, "series": None,
              "repeat_every": None, "reminders": [], "extension_amount": None, "max_extensions": 0, "active": True}
    values.update(fields)
    return DeadlineRule(**values)


@dataclass
class Department:
    officer: User
    colleague: User
    head: User
    admin: User
    germany: Partner
    usa: Partner
    meta: Partner
    types: dict

    def request(self, type_code: str, partner: Partner | None = None, actor: User | None = None,
                now: datetime = NOW, **fields) -> CooperationRequest:
        direction = TYPES[type_code][0]
        values = {"direction": direction, "title": f"Запрос {type_code}", "request_type_id": self.types[type_code].id,
                  "partner_id": (partner or self.germany).id}
        values.update(fields)
        return create_request(db.session, actor or self.officer, values, now)

    def move(self, request: CooperationRequest, *statuses: Status, now: datetime = NOW,
             actor: User | None = None, reason: str | None = None) -> None:
        for status in statuses:
            change_status(db.session, request, actor or self.officer, status, now, reason=reason)

    def send(self, request: CooperationRequest, now: datetime = NOW) -> None:
        """Take an outgoing request through approval to the partner at `now`."""
        self.move(request, Status.AWAITING_APPROVAL, now=now)
        self.move(request, Status.APPROVED, now=now, actor=self.head)
        self.move(request, Status.SENT, now=now)


@pytest.fixture
def dept(app) -> Department:
    session = db.session
    types = {code: make_request_type(session, code, direction, partner_kind=kind, **extra)
             for code, (direction, kind, extra) in TYPES.items()}
    make_legal_basis(session, "budapest", LegalBasisKind.MULTILATERAL)
    make_legal_basis(session, "provider-policy", LegalBasisKind.PROVIDER_POLICY)
    department = Department(
        officer=make_user(session, "officer", Role.OFFICER, full_name="Айдар Сейтказиев", email="officer@police.kz"),
        colleague=make_user(session, "colleague", Role.OFFICER, full_name="Асель Каримова",
                            email="colleague@police.kz"),
        head=make_user(session, "head", Role.HEAD, full_name="Гульнара Ахметова", email="head@police.kz"),
        admin=make_user(session, "admin", Role.ADMIN, full_name="Ерлан Жумабаев", email="admin@police.kz"),
        germany=make_partner(session, "DE", PartnerKind.COUNTRY, time_zone="Europe/Berlin", holiday_calendar="DE",
                             weekend_days="6,7"),
        usa=make_partner(session, "US", PartnerKind.COUNTRY, time_zone="America/New_York", holiday_calendar="US",
                         weekend_days="6,7"),
        meta=make_partner(session, "meta", PartnerKind.PROVIDER, time_zone="America/Los_Angeles"),
        types=types,
    )
    seed_deadline_rules(session)
    session.commit()
    return department
