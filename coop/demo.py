"""Demo data: a believable department, so that a first look at coop shows real work.

Everything is drawn from a fixed random seed, so two loads on the same day give the same department. The
requests are made the way officers make them, through `coop.domain.requests`, with the clock set back:
every history entry, milestone and deadline is consistent with the request's status. All actions of all
requests are replayed in time order, so references are numbered in the order the requests were made.
"""

import hashlib
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from coop import demo_content as content
from coop.domain import figures
from coop.domain.accounts import hash_password
from coop.domain.deadlines import mark_enquiry_sent, recompute_all, seed_deadline_rules
from coop.domain.identifiers import IdentifierError, describe, parse_identifier
from coop.domain.letter_texts import seed_letter_templates
from coop.domain.reference_data import seed_reference_data
from coop.domain.requests import change_status, create_request
from coop.domain.workflow import FINAL
from coop.models import (
    Case,
    CaseStatus,
    CooperationRequest,
    Deadline,
    DeadlineKind,
    DeadlineState,
    Direction,
    EventKind,
    Identifier,
    IdentifierKind,
    LegalBasis,
    Partner,
    PartnerKind,
    Reminder,
    ReminderState,
    RequestEvent,
    RequestType,
    Role,
    Status,
    Urgency,
    User,
    utcnow,
)

DEMO_PASSWORD = "Demo-coop-2026"  # noqa: S105  (printed to the user on purpose)
DEMO_LOGINS = [
    ("officer", DEMO_PASSWORD, "liaison officer"),
    ("head", DEMO_PASSWORD, "department head"),
    ("admin", DEMO_PASSWORD, "administrator"),
]

DEMO_PEOPLE = [
    ("officer", "Айдар Сейтказиев", Role.OFFICER),
    ("head", "Гульнара Ахметова", Role.HEAD),
    ("admin", "Ерлан Жумабаев", Role.ADMIN),
    ("d.nurlanov", "Данияр Нурланов", Role.OFFICER),
    ("a.karimova", "Асель Каримова", Role.OFFICER),
    ("m.ivanov", "Максим Иванов", Role.OFFICER),
    ("s.omarov", "Сержан Омаров", Role.OFFICER),
    ("z.bekova", "Жанна Бекова", Role.OFFICER),
]
# Who works the cases, and how much: the demo officer carries the largest share, so their home page is full.
CASE_OFFICERS = {"officer": 5, "d.nurlanov": 3, "a.karimova": 3, "m.ivanov": 2, "s.omarov": 2, "z.bekova": 2}

SEED = 20260
CASES = 40
INCOMING = 45
HISTORY = timedelta(days=540)  # about 18 months

S = Status
OUTGOING_TARGETS = {
    S.DRAFT: 3, S.LEGAL_CHECK: 2, S.AWAITING_APPROVAL: 3, S.APPROVED: 1, S.TRANSLATION: 2, S.SENT: 7,
    S.FORWARDED: 3, S.ACKNOWLEDGED: 7, S.IN_EXECUTION: 10, S.ADDITIONAL_INFO_REQUESTED: 3,
    S.PARTIALLY_ANSWERED: 4, S.ANSWERED: 6, S.EVIDENCE_REVIEWED: 4, S.CLOSED: 32, S.POSTPONED: 2, S.REFUSED: 4,
    S.NO_DATA: 4, S.EXPIRED: 3, S.WITHDRAWN: 3,
}
INCOMING_TARGETS = {
    S.RECEIVED: 8, S.REGISTERED: 8, S.ASSESSED: 9, S.CONSULTATION: 8, S.IN_EXECUTION: 20, S.ANSWERED: 10,
    S.CLOSED: 35, S.REFUSED: 5, S.POSTPONED: 4, S.WITHDRAWN: 3,
}
# Statuses a request reaches within days of being made: drafts in an old case are recent drafts.
EARLY = frozenset({S.DRAFT, S.LEGAL_CHECK, S.AWAITING_APPROVAL, S.APPROVED, S.TRANSLATION, S.RECEIVED,
                   S.REGISTERED})
# How long each step takes, in days (lowest, highest), for a provider and for a state.
STEP_DAYS = {
    S.LEGAL_CHECK: ((0.2, 2), (0.5, 3)), S.AWAITING_APPROVAL: ((0.2, 2), (0.5, 3)), S.APPROVED: ((0.1, 1.5), (0.2, 3)),
    S.TRANSLATION: ((0.2, 1), (0.5, 2)), S.SENT: ((0.1, 2), (2, 10)), S.FORWARDED: ((1, 5), (5, 25)),
    S.ACKNOWLEDGED: ((0.3, 4), (5, 35)), S.IN_EXECUTION: ((1, 8), (10, 50)),
    S.ADDITIONAL_INFO_REQUESTED: ((4, 15), (15, 60)), S.PARTIALLY_ANSWERED: ((4, 20), (30, 110)),
    S.ANSWERED: ((3, 35), (30, 200)), S.EVIDENCE_REVIEWED: ((2, 15), (3, 20)), S.CLOSED: ((1, 20), (2, 30)),
    S.NO_DATA: ((5, 30), (20, 90)), S.REFUSED: ((5, 30), (20, 120)), S.EXPIRED: ((85, 92), (58, 62)),
    S.POSTPONED: ((10, 40), (20, 60)), S.WITHDRAWN: ((2, 30), (3, 40)),
    S.REGISTERED: ((0.1, 2), (0.1, 2)), S.ASSESSED: ((1, 6), (1, 6)), S.CONSULTATION: ((2, 10), (2, 10)),
}
RUSSIAN_SPEAKING = frozenset({"RU", "KG", "UZ", "BY", "TJ", "AM", "AZ", "TM", "MD", "vk", "yandex"})
# Legal bases by partner; others rest on reciprocity (countries) or the provider's policy.
BASES = {"US": "bilateral-us-2015", "GB": "bilateral-gb-2015", "KG": "bilateral-kg", "CZ": "bilateral-cz",
         "RU": "cis-2018", "BY": "cis-2018", "TJ": "cis-2018", "AM": "cis-2001", "UZ": "minsk-1993",
         "AZ": "minsk-1993", "TM": "minsk-1993", "MD": "minsk-1993"}
PROVIDER_REFERENCE_FORMATS = {
    "meta": "LERS-{n:07d}", "whatsapp": "WA-LE-{n:06d}", "telegram": "TG-{n:06d}", "google": "GLE-{n:07d}",
    "microsoft": "MS-LNS-{n:06d}", "apple": "APL-{n:06d}", "tiktok": "TT-LE-{n:06d}", "x": "X-{n:06d}",
    "vk": "VK-{n:05d}", "yandex": "ЯНД-{n:05d}", "binance": "BN-LE-{n:06d}", "godaddy": "GD-{n:06d}",
}


@dataclass
class Step:
    status: Status
    at: datetime
    actor: str
    reason: str | None = None
    channel: str | None = None
    partner_reference: str | None = None


@dataclass
class PlannedRequest:
    key: int
    direction: Direction
    type_code: str
    partner_code: str
    title: str
    created_at: datetime
    creator: str
    target: Status
    case_key: int | None = None
    follows_key: int | None = None
    officers: list[str] = field(default_factory=list)
    fields: dict = field(default_factory=dict)
    identifiers: list[dict] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    partner_reference: str | None = None
    not_before: datetime | None = None  # the case's opening, or the acknowledgement of the request it follows


@dataclass
class PlannedCase:
    key: int
    kind: content.CaseKind
    number: str
    title: str
    offence: str
    summary: str
    officer: str
    opened: datetime
    pools: dict[str, list[dict]]
    requests: list[PlannedRequest] = field(default_factory=list)


def load_demo_data(session: Session, now: datetime | None = None) -> str:
    """Fill an empty database with the demo department; return what was done, in one line."""
    seed_reference_data(session)
    seed_letter_templates(session, now or utcnow())  # the letters area
    if session.scalar(select(func.count(User.id))):
        session.commit()
        return "The database already has users: demo data not loaded."
    now = now or utcnow()
    # Counted once at the end, in the same transaction: keeping the tallies flush by flush doubles the load time.
    session.info[figures.PAUSED] = True
    try:
        people = _add_people(session)
        planner = DemoPlanner(random.Random(SEED), now, _partners(session))
        cases, requests = planner.plan()
        _replay(session, people, cases, requests)
        _compute_deadlines(session, now)  # the deadlines area
        _send_status_enquiries(session, people, now)
        _settle_old_reminders(session, now)
        session.flush()
    finally:
        session.info.pop(figures.PAUSED, None)
    figures.rebuild(session.connection())
    session.commit()
    return f"Demo data loaded: {len(people)} users, {len(cases)} cases, {len(requests)} requests."


def _add_people(session: Session) -> dict[str, User]:
    password_hash = hash_password(DEMO_PASSWORD)
    people = {}
    for username, full_name, role in DEMO_PEOPLE:
        people[username] = User(username=username, full_name=full_name, role=role, password_hash=password_hash,
                                email=f"{username}@cyber.police.kz", locale="ru")
        session.add(people[username])
    session.flush()
    return people


def _partners(session: Session) -> dict[str, Partner]:
    return {partner.code: partner for partner in session.scalars(select(Partner))}


# --- planning: what the department did, and when ------------------------------------------------------------

class DemoPlanner:
    """Draws the cases and requests of the demo department from `rng`, dated up to `now`."""

    def __init__(self, rng: random.Random, now: datetime, partners: dict[str, Partner]):
        self.rng = rng
        self.now = now
        self.partners = partners
        self.requests: list[PlannedRequest] = []
        self.shared_pool: dict[str, list[dict]] = {}
        self.counter = 0

    def plan(self) -> tuple[list[PlannedCase], list[PlannedRequest]]:
        cases = [self._case(key) for key in range(CASES)]
        for planned in cases:
            self._case_requests(planned)
        self._incoming(cases)
        self._cover_every_status()
        return cases, self.requests

    # cases

    def _case(self, key: int) -> PlannedCase:
        rng = self.rng
        kind = rng.choices(content.CASE_KINDS, weights=[kind.weight for kind in content.CASE_KINDS])[0]
        # More old cases than new ones: a department's open work is the tail of a long history.
        opened = self.now - HISTORY + timedelta(days=(HISTORY.days - 15) * rng.random() ** 1.4)
        pools = {name: self._identifiers(name, opened) for name in kind.pools}
        local_year = opened.year % 100
        number = (f"{local_year:02d}{rng.choice(content.REGISTER_REGIONS)}{rng.randint(1, 420):05d}"
                  f"{rng.randint(100, 999999):06d}")
        offence, _penalty = content.OFFENCES[kind.offence]
        words = self._words(pools, opened)
        officer = rng.choices(list(CASE_OFFICERS), weights=list(CASE_OFFICERS.values()))[0]
        return PlannedCase(key, kind, number, rng.choice(kind.titles).format(**words), offence,
                           kind.summary.format(**words), officer, opened, pools)

    def _words(self, pools: dict[str, list[dict]], opened: datetime, prefer: tuple[str, ...] = ()) -> dict[str, str]:
        rng = self.rng

        def first(name: str, fallback: str) -> str:
            items = pools.get(name) or []
            return items[0]["shown"] if items else fallback

        handle_kinds = [kind for kind in (*prefer, "instagram", "telegram") if kind in ("instagram", "telegram")]
        handle = next((first(kind, "") for kind in handle_kinds if pools.get(kind)), "@неизвестный")
        return {
            "handle": handle,
            "phone": first("phone", "+7 701 000 00 00"), "wallet": first("wallet", "—"),
            "domain": first("domain", "—"), "ip": first("ip", "—"), "email": first("email", "—"),
            "city": rng.choice(content.CITIES), "victims": str(rng.randint(3, 140)),
            "amount": f"{rng.randint(2, 480) * 250_000:,}".replace(",", " "),
            "start": f"{(opened - timedelta(days=rng.randint(10, 90))).date():%d.%m.%Y}",
            "brand": rng.choice(content.BRANDS), "partner": "",
        }

    # identifiers

    def _identifiers(self, kind: str, opened: datetime) -> list[dict]:
        """One to three identifiers of `kind` for a case; sometimes one already seen in an earlier case."""
        rng = self.rng
        made = [self._identifier(kind, opened) for _ in range(rng.randint(1, 3 if kind in ("phone", "ip") else 2))]
        earlier = self.shared_pool.setdefault(kind, [])
        fresh = list(made)
        if earlier and kind in ("phone", "telegram", "wallet", "instagram") and rng.random() < 0.2:
            made.insert(1, rng.choice(earlier))  # the same call centre, shop or wallet behind two cases
        earlier.extend(fresh)
        return made

    def _identifier(self, kind: str, opened: datetime) -> dict:
        rng = self.rng
        if kind == "instagram":
            handle = f"{rng.choice(content.HANDLE_STEMS)}{rng.choice(['_', '.', ''])}" \
                     f"{rng.choice(content.HANDLE_PLACES)}{rng.choice(['', '_kz', str(rng.randint(1, 99))])}"
            value = rng.choice([f"https://www.instagram.com/{handle}/", f"@{handle}"])
            return {"kind": IdentifierKind.ACCOUNT, "platform": "instagram", "value": value, "shown": f"@{handle}"}
        if kind == "telegram":
            handle = f"{rng.choice(content.TELEGRAM_STEMS)}{rng.choice(['', '_bot', str(rng.randint(1, 99))])}"
            return {"kind": IdentifierKind.ACCOUNT, "platform": "telegram", "value": f"@{handle}",
                    "shown": f"@{handle}"}
        if kind == "phone":
            value = self._phone()
            return {"kind": IdentifierKind.PHONE, "value": value, "shown": value}
        if kind == "ip":
            address = f"{rng.choice(content.IP_BLOCKS)}.{rng.randint(2, 254)}"
            seen = opened - timedelta(days=rng.uniform(5, 60), seconds=rng.randint(0, 86_400))
            return {"kind": IdentifierKind.IP, "value": address, "shown": address,
                    "observed_at": seen.replace(microsecond=0, tzinfo=None), "zone": "UTC"}
        if kind == "wallet":
            value = _tron_address(rng)
            return {"kind": IdentifierKind.WALLET, "platform": "tron", "value": value, "shown": value}
        if kind == "email":
            name = f"{rng.choice(content.HANDLE_STEMS)}.{rng.choice(content.HANDLE_PLACES)}{rng.randint(1, 999)}"
            value = f"{name}@{rng.choice(content.EMAIL_DOMAINS)}"
            return {"kind": IdentifierKind.EMAIL, "value": value, "shown": value}
        value = f"{rng.choice(content.DOMAIN_WORDS)}{rng.choice(['', '-kz', '24'])}.{rng.choice(content.DOMAIN_ZONES)}"
        return {"kind": IdentifierKind.DOMAIN, "value": value, "shown": value}

    def _phone(self) -> str:
        """A valid mobile number: mostly Kazakhstan's, a third from where call centres work."""
        rng = self.rng
        while True:
            digits = {"a": f"{rng.randint(100, 999)}", "b": f"{rng.randint(10, 99)}",
                      "c": f"{rng.randint(10, 99)}", "d": f"{rng.randint(1000, 9999)}"}
            if rng.random() < 0.35:
                number = content.FOREIGN_PHONES[rng.choice(sorted(content.FOREIGN_PHONES))].format(**digits)
            else:
                number = f"+7 {rng.choice(content.KZ_MOBILE)} {digits['a']} {digits['b']} {digits['c']}"
            try:
                parse_identifier(IdentifierKind.PHONE, number)
            except IdentifierError:
                continue
            return number

    # requests

    def _case_requests(self, planned: PlannedCase) -> None:
        """The case's requests, in rounds: each round's answers name further accounts to ask about."""
        rng = self.rng
        age = (self.now - planned.opened).days
        rounds = 1 + (age > 90) + (age > 270 and rng.random() < 0.4)
        for round_number in range(rounds):
            pools, start = planned.pools, planned.opened
            if round_number:
                pools = {name: self._identifiers(name, planned.opened) for name in planned.kind.pools}
                start = planned.opened + timedelta(days=round_number * rng.uniform(40, 100))
            made: dict[int, PlannedRequest] = {}
            for index, need in enumerate(planned.kind.needs):
                if rng.random() > need.chance:
                    continue
                followed = made.get(need.follows) if need.follows is not None else None
                if need.follows is not None and (followed is None or followed.target in EARLY):
                    continue  # nothing to follow up yet
                made[index] = self._outgoing(planned, need, followed, pools, start)

    def _outgoing(self, planned: PlannedCase, need: content.Need, followed: PlannedRequest | None,
                  pools: dict[str, list[dict]], round_start: datetime) -> PlannedRequest:
        rng = self.rng
        partner_code = rng.choice(need.partners)
        partner = self.partners[partner_code]
        is_provider = partner.kind == PartnerKind.PROVIDER
        target = self._target(OUTGOING_TARGETS, need.type_code, partner_code, is_provider)
        if followed is not None:
            # A follow-up goes out once the request it follows has been acknowledged (or at least made).
            acknowledged = [step.at for step in followed.steps if step.status == S.ACKNOWLEDGED]
            not_before = (acknowledged[0] if acknowledged else followed.created_at) + timedelta(days=1)
            start = not_before + timedelta(days=rng.uniform(2, 30))
        else:
            not_before = planned.opened + timedelta(hours=4)
            start = round_start + timedelta(days=rng.uniform(0, 25))
        words = self._words(pools, planned.opened, need.identifiers) | {"partner": partner.name_ru}
        identifiers = [item for kind in need.identifiers for item in pools.get(kind, [])[:2]]
        officers = [planned.officer] + ([rng.choice(list(CASE_OFFICERS))] if rng.random() < 0.25 else [])
        request = PlannedRequest(
            key=self._next_key(), direction=Direction.OUTGOING, type_code=need.type_code, partner_code=partner_code,
            title=need.title.format(**words)[:300], created_at=start, creator=planned.officer, target=target,
            case_key=planned.key, follows_key=followed.key if followed else None, officers=officers,
            identifiers=identifiers, not_before=not_before,
        )
        request.fields = self._contents(planned, need, request, partner, is_provider)
        emergency = need.urgency == "emergency"
        self._schedule(request, is_provider, emergency, partner_code)
        planned.requests.append(request)
        self.requests.append(request)
        return request

    def _target(self, weights: dict[Status, int], type_code: str, partner_code: str, is_provider: bool) -> Status:
        preservation = type_code.startswith("preservation")
        while True:
            target = self.rng.choices(list(weights), weights=list(weights.values()))[0]
            if target == S.EXPIRED and not preservation:
                continue
            if target in (S.FORWARDED, S.POSTPONED) and is_provider:
                continue
            if target == S.TRANSLATION and partner_code in RUSSIAN_SPEAKING:
                continue
            if type_code.startswith("emergency") and target in (S.TRANSLATION, S.FORWARDED, S.POSTPONED, S.EXPIRED):
                continue
            return target

    def _contents(self, planned: PlannedCase, need: content.Need, request: PlannedRequest, partner: Partner,
                  is_provider: bool) -> dict:
        rng = self.rng
        offence, penalty = content.OFFENCES[planned.kind.offence]
        created = request.created_at.date()
        fields = {
            "requesting_authority": content.AUTHORITY,
            "investigation_subject": (f"Досудебное расследование по уголовному делу № {planned.number}, "
                                      f"зарегистрированному в ЕРДР {planned.opened.date():%d.%m.%Y} по признакам "
                                      f"{offence.split(' — ')[0]}. Расследование ведёт {rng.choice(content.UNITS)}."),
            "facts": planned.summary,
            "offence": f"{offence}. {penalty}",
            "assistance_sought": need.assistance,
            "persons": "Неустановленные лица, использующие указанные идентификаторы; потерпевшие — "
                       + ", ".join(rng.sample(content.VICTIM_NAMES, 2)) + " и другие.",
            "purpose": "Установление лиц, причастных к преступлению, и получение доказательств для уголовного дела.",
            "data_period_from": (planned.opened - timedelta(days=rng.randint(30, 120))).date(),
            "data_period_to": min(created, planned.opened.date() + timedelta(days=rng.randint(10, 60))),
            "confidentiality": content.CONFIDENTIALITY,
        }
        if fields["data_period_to"] < fields["data_period_from"]:
            fields["data_period_to"] = fields["data_period_from"]
        if need.type_code.startswith("preservation"):
            fields["data_custodian"] = partner.legal_entity or partner.name_ru
            fields["follow_up_promised"] = True
            fields["requested_by_reasons"] = "Данные могут быть удалены владельцем аккаунта в любой момент."
        elif not is_provider or rng.random() < 0.5:
            fields["requested_by"] = created + timedelta(days=rng.choice([60, 90, 120, 180]))
            fields["requested_by_reasons"] = rng.choice(content.DEADLINE_REASONS)
        if need.urgency == "emergency":
            fields["urgency"] = Urgency.EMERGENCY
            fields["emergency_justification"] = ("Угроза жизни или здоровью: требуется немедленное установление "
                                                 "лица, пока оно не скрылось и не причинило вред.")
        elif rng.random() < 0.15:
            fields["urgency"] = Urgency.URGENT
        if planned.kind.key == "sextortion" and rng.random() < 0.5:
            fields["restricted"] = True  # a minor victim: need-to-know only
        if request.target in (S.DRAFT, S.LEGAL_CHECK) and rng.random() < 0.6:
            for unfinished in ("purpose", "confidentiality", "persons"):
                fields.pop(unfinished, None)  # a draft still being written
        return fields

    def _incoming(self, cases: list[PlannedCase]) -> None:
        rng = self.rng
        topics = [(code, title, "mla_incoming") for code, title in content.INCOMING_TOPICS] * 3
        topics += [(code, title, "spontaneous_information") for code, title in content.SPONTANEOUS_TOPICS]
        rng.shuffle(topics)
        for code, title, type_code in topics[:INCOMING]:
            planned_case = rng.choice(cases) if rng.random() < 0.3 else None
            officer = rng.choices(list(CASE_OFFICERS), weights=list(CASE_OFFICERS.values()))[0]
            arrived = self.now - timedelta(days=rng.uniform(2, HISTORY.days))
            words = {"phone": self._phone(), "ip": f"{rng.choice(content.IP_BLOCKS)}.{rng.randint(2, 254)}",
                     "domain": f"{rng.choice(content.DOMAIN_WORDS)}.kz"}
            target = S.CLOSED if type_code == "spontaneous_information" and rng.random() < 0.5 else \
                self._target(INCOMING_TARGETS, type_code, code, False)
            request = PlannedRequest(
                key=self._next_key(), direction=Direction.INCOMING, type_code=type_code, partner_code=code,
                title=title.format(**words), created_at=arrived, creator=officer, target=target,
                case_key=planned_case.key if planned_case else None, officers=[officer],
                partner_reference=f"{code}-{arrived.year}/{rng.randint(100, 9999)}",
                not_before=planned_case.opened + timedelta(hours=4) if planned_case else None,
            )
            request.fields = {
                "requesting_authority": f"Компетентный орган: {self.partners[code].name_ru}",
                "facts": "Запрос поступил по каналам центрального органа; требуется исполнение на территории РК.",
                "assistance_sought": title.format(**words),
                "confidentiality": "Запрашивающая сторона просит сохранить конфиденциальность запроса.",
            }
            if planned_case is not None:
                planned_case.requests.append(request)
            self._schedule(request, False, False, code)
            self.requests.append(request)

    def _cover_every_status(self) -> None:
        """Make sure every status of both flows appears (a small department might miss one by chance)."""
        for direction, weights in ((Direction.OUTGOING, OUTGOING_TARGETS), (Direction.INCOMING, INCOMING_TARGETS)):
            for missing in weights:
                if any(request.target == missing for request in self.requests if request.direction == direction):
                    continue
                followed = {request.follows_key for request in self.requests}
                candidates = [request for request in self.requests if request.direction == direction
                              and request.target in (S.CLOSED, S.ANSWERED, S.EVIDENCE_REVIEWED, S.IN_EXECUTION)
                              and (request.key not in followed or missing == S.EXPIRED)
                              and (missing != S.EXPIRED or request.type_code.startswith("preservation"))
                              and (missing not in (S.FORWARDED, S.POSTPONED)
                                   or self.partners[request.partner_code].kind == PartnerKind.COUNTRY)
                              and (missing != S.TRANSLATION or request.partner_code not in RUSSIAN_SPEAKING)]
                for chosen in sorted(candidates, key=lambda request: request.created_at):
                    chosen.target = missing
                    self._schedule(chosen, self.partners[chosen.partner_code].kind == PartnerKind.PROVIDER,
                                   chosen.fields.get("urgency") == Urgency.EMERGENCY, chosen.partner_code)
                    if chosen.target == missing:
                        break

    def _next_key(self) -> int:
        self.counter += 1
        return self.counter

    # the path through the workflow, and its dates

    def _schedule(self, request: PlannedRequest, is_provider: bool, emergency: bool, partner_code: str) -> None:
        """Date the steps to the request's target; a step that would fall after today is not taken yet.

        A finished request runs forward from when it was made. A request still waiting for the partner (or
        for us), or one whose whole path would not fit before today, is dated back from today: it reached
        its status recently, as in a department that keeps up with its work, so only some clocks ran out.
        """
        rng = self.rng
        path = self._path(request, is_provider, partner_code)
        durations = [self._duration(status, is_provider, emergency) for status, _actor in path]
        earliest = max(request.not_before or request.created_at, self.now - HISTORY)
        if request.target in EARLY:
            request.created_at = self.now - timedelta(days=rng.uniform(1, 12))
            latest = self.now - timedelta(hours=rng.uniform(1, 12))
        else:
            finished = request.target in FINAL
            latest = self.now - timedelta(days=rng.uniform(0.05, 20) if finished else rng.uniform(0.2, 12))
            total = sum(durations, timedelta())
            if not finished or request.created_at + total > latest:
                request.created_at = latest - total
        request.created_at = min(max(request.created_at, earliest), self.now - timedelta(hours=2))
        if latest < request.created_at + timedelta(days=3):
            latest = self.now - timedelta(hours=rng.uniform(1, 12))
        at = request.created_at
        request.steps = []
        for (status, actor), duration in zip(path, durations, strict=True):
            at = at + duration
            if at > latest:
                break
            request.steps.append(self._step(request, status, at, actor, is_provider, partner_code))
        if request.steps:
            request.target = request.steps[-1].status
        else:
            request.target = S.DRAFT if request.direction == Direction.OUTGOING else S.RECEIVED

    def _duration(self, status: Status, is_provider: bool, emergency: bool) -> timedelta:
        low, high = STEP_DAYS[status][0 if is_provider else 1]
        days = self.rng.uniform(low, high)
        if emergency:
            days = days / 40  # emergency clocks run in hours
        return timedelta(days=days)

    def _path(self, request: PlannedRequest, is_provider: bool, partner_code: str) -> list[tuple[Status, str]]:
        rng = self.rng
        target = request.target
        officer, head = request.creator, "head"
        if request.direction == Direction.INCOMING:
            main = [S.REGISTERED, S.ASSESSED]
            if target in (S.CONSULTATION, S.REFUSED, S.POSTPONED) or rng.random() < 0.3:
                main.append(S.CONSULTATION)
            main += [S.IN_EXECUTION, S.ANSWERED, S.CLOSED]
            return [(status, officer) for status in _cut(main, target, rng, incoming=True)]
        main = []
        if rng.random() < 0.7 or target == S.LEGAL_CHECK:
            main.append(S.LEGAL_CHECK)
        main += [S.AWAITING_APPROVAL, S.APPROVED]
        if target == S.TRANSLATION or (partner_code not in RUSSIAN_SPEAKING and rng.random() < 0.4
                                       and not request.type_code.startswith("emergency")):
            main.append(S.TRANSLATION)
        main.append(S.SENT)
        if not is_provider and (target == S.FORWARDED or rng.random() < 0.4):
            main.append(S.FORWARDED)
        if target == S.ACKNOWLEDGED or request.type_code.startswith("preservation") or rng.random() < 0.7:
            main.append(S.ACKNOWLEDGED)
        if target in (S.IN_EXECUTION, S.ADDITIONAL_INFO_REQUESTED, S.POSTPONED) or rng.random() < 0.6:
            main.append(S.IN_EXECUTION)
        if target == S.ADDITIONAL_INFO_REQUESTED or rng.random() < 0.15:
            if S.IN_EXECUTION not in main:
                main.append(S.IN_EXECUTION)
            main += [S.ADDITIONAL_INFO_REQUESTED, S.IN_EXECUTION]
        if target == S.PARTIALLY_ANSWERED or rng.random() < 0.15:
            main.append(S.PARTIALLY_ANSWERED)
        main.append(S.ANSWERED)
        if target == S.EVIDENCE_REVIEWED or rng.random() < 0.4:
            main.append(S.EVIDENCE_REVIEWED)
        main.append(S.CLOSED)
        return [(status, head if status == S.APPROVED else officer) for status in _cut(main, target, rng)]

    def _step(self, request: PlannedRequest, status: Status, at: datetime, actor: str, is_provider: bool,
              partner_code: str) -> Step:
        rng = self.rng
        step = Step(status, at, actor)
        if status == S.SENT:
            if is_provider:
                step.channel = "law_enforcement_portal"
                step.partner_reference = PROVIDER_REFERENCE_FORMATS[partner_code].format(n=rng.randint(1, 9_999_999))
            else:
                step.channel = "direct_24_7" if request.type_code == "emergency_state" else rng.choice(
                    ["central_authority", "central_authority", "diplomatic", "interpol"])
        elif status == S.ACKNOWLEDGED and not is_provider:
            step.partner_reference = f"{partner_code}-{at.year}/{rng.randint(100, 99999)}"
        elif status in (S.ANSWERED, S.PARTIALLY_ANSWERED):
            step.reason = rng.choice(content.ANSWERS if status == S.ANSWERED else content.PARTIAL_ANSWERS)
            step.channel = "law_enforcement_portal" if is_provider else rng.choice(["central_authority", "diplomatic"])
        elif status == S.ADDITIONAL_INFO_REQUESTED:
            step.reason = rng.choice(content.ADDITIONAL_INFO)
        elif status == S.EVIDENCE_REVIEWED:
            step.reason = "Ответ изучен, сведения приобщены к материалам уголовного дела."
        elif status in (S.REFUSED, S.NO_DATA, S.EXPIRED, S.WITHDRAWN, S.POSTPONED):
            key = "refused_incoming" if status == S.REFUSED and request.direction == Direction.INCOMING else status
            step.reason = rng.choice(content.REASONS[key])
        return step


def _cut(main: list[Status], target: Status, rng: random.Random, incoming: bool = False) -> list[Status]:
    """The path up to `target`: the main path up to it, or up to a fitting step and then the side exit."""
    if target in main:
        return main[: len(main) - main[::-1].index(target)]
    if target in (S.DRAFT, S.RECEIVED):
        return []
    exits_from = {
        S.WITHDRAWN: [S.DRAFT, S.AWAITING_APPROVAL, S.SENT, S.ACKNOWLEDGED, S.IN_EXECUTION, S.REGISTERED,
                      S.ASSESSED],
        S.REFUSED: [S.CONSULTATION] if incoming else [S.SENT, S.ACKNOWLEDGED, S.IN_EXECUTION],
        S.NO_DATA: [S.SENT, S.ACKNOWLEDGED],
        S.EXPIRED: [S.ACKNOWLEDGED],
        S.POSTPONED: [S.CONSULTATION] if incoming else [S.ACKNOWLEDGED, S.IN_EXECUTION],
    }[target]
    places = [status for status in exits_from if status in main or status == S.DRAFT]
    place = rng.choice(places)
    prefix = [] if place == S.DRAFT else main[: main.index(place) + 1]
    return [*prefix, target]


def _tron_address(rng: random.Random) -> str:
    """A well-formed Tron (USDT TRC-20) address: Base58Check of 0x41 and 20 random bytes."""
    payload = bytes([0x41]) + bytes(rng.getrandbits(8) for _ in range(20))
    checksum = hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    number = int.from_bytes(payload + checksum, "big")
    alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    encoded = ""
    while number:
        number, digit = divmod(number, 58)
        encoded = alphabet[digit] + encoded
    return encoded


# --- replaying: making the requests through the domain, in time order --------------------------------------

def _replay(session: Session, people: dict[str, User], cases: list[PlannedCase],
            requests: list[PlannedRequest]) -> None:
    types = {request_type.code: request_type for request_type in session.scalars(select(RequestType))}
    bases = {basis.code: basis for basis in session.scalars(select(LegalBasis))}
    partners = _partners(session)
    stored_cases = {}
    for planned in cases:
        stored_cases[planned.key] = Case(
            number=planned.number, title=planned.title[:300], offence=planned.offence, summary=planned.summary,
            responsible_officer=people[planned.officer], opened_on=planned.opened.date(),
            created_at=planned.opened, updated_at=planned.opened)
        session.add(stored_cases[planned.key])
    session.flush()

    actions = []
    for request in requests:
        actions.append((request.created_at, request.key, -1, request))
        actions += [(step.at, request.key, index, request) for index, step in enumerate(request.steps)]
    actions.sort(key=lambda action: action[:3])
    made: dict[int, object] = {}
    for at, key, index, request in actions:
        if index < 0:
            made[key] = _create(session, people, request, at, types, bases, partners, stored_cases, made)
            continue
        step = request.steps[index]
        change_status(session, made[key], people[step.actor], step.status, step.at, reason=step.reason,
                      channel=step.channel, partner_reference=step.partner_reference)

    for planned in cases:
        if planned.requests and all(request.target in FINAL for request in planned.requests) \
                and planned.key % 3 != 0:
            stored_cases[planned.key].status = CaseStatus.CLOSED
    session.flush()


def _create(session, people, request: PlannedRequest, at, types, bases, partners, stored_cases, made):
    partner = partners[request.partner_code]
    basis_code = "provider-policy" if partner.kind == PartnerKind.PROVIDER else BASES.get(request.partner_code,
                                                                                          "reciprocity")
    fields = dict(request.fields) | {
        "direction": request.direction, "title": request.title, "request_type_id": types[request.type_code].id,
        "partner_id": partner.id, "legal_basis_id": bases[basis_code].id,
        "case_id": stored_cases[request.case_key].id if request.case_key is not None else None,
        "follows_id": made[request.follows_key].id if request.follows_key is not None else None,
        "officers": [people[username] for username in request.officers],
        "partner_reference": request.partner_reference,
    }
    if request.direction == Direction.INCOMING:
        fields["received_at"] = at
    created = create_request(session, people[request.creator], fields, at)
    for item in request.identifiers:
        _name_identifier(session, created, people[request.creator], item, at)
    return created


def _name_identifier(session: Session, request, actor: User, item: dict, at: datetime) -> None:
    """Add an identifier with its history entry (identifiers do not move deadlines: no recomputation)."""
    parsed = parse_identifier(item["kind"], item["value"], platform=item.get("platform"),
                              observed_at=item.get("observed_at"), zone=item.get("zone"))
    session.add(Identifier(request=request, kind=parsed.kind, platform=parsed.platform, value=parsed.value,
                           normalized=parsed.normalized, observed_at=parsed.observed_at,
                           observed_zone=parsed.observed_zone))
    session.add(RequestEvent(request=request, kind=EventKind.IDENTIFIER, at=at, actor=actor,
                             field=parsed.kind.value, new_value=describe(parsed)))


# --- deadlines: the demo requests' clocks and reminders (the deadlines area) ----------------------------------

def _compute_deadlines(session: Session, now: datetime) -> None:
    """Every demo request's clocks and reminders as of `now`."""
    seed_deadline_rules(session)
    recompute_all(session, now)


def _send_status_enquiries(session: Session, people: dict[str, User], now: datetime) -> None:
    """The officers sent most status enquiries to slow partners when they fell due; a few are still late.

    Each enquiry sent starts the next one of the series, which may itself have fallen due since.
    """
    rng = random.Random(SEED + 1)
    left_late: set[int] = set()
    while True:
        due = [deadline for deadline in session.scalars(
            select(Deadline).where(Deadline.kind == DeadlineKind.STATUS_ENQUIRY, Deadline.state == DeadlineState.OPEN,
                                   Deadline.due_at < now - timedelta(days=1)).order_by(Deadline.id))
            if deadline.id not in left_late]
        if not due:
            return
        for deadline in due:
            if rng.random() < 0.15:
                left_late.add(deadline.id)
                continue
            request = session.get(CooperationRequest, deadline.request_id)
            officer = request.officers[0] if request.officers else people["officer"]
            sent_at = min(deadline.due_at + timedelta(hours=rng.uniform(2, 72)), now - timedelta(hours=1))
            mark_enquiry_sent(session, deadline, request, officer, sent_at,
                              note="Запрос о ходе исполнения направлен по каналу центрального органа.")


def _settle_old_reminders(session: Session, now: datetime) -> None:
    """Reminders older than a week were dealt with at the time."""
    session.execute(update(Reminder).where(Reminder.due_at < now - timedelta(days=7),
                                           Reminder.state.in_((ReminderState.PENDING, ReminderState.SENT)))
                    .values(state=ReminderState.DONE, done_at=now - timedelta(days=7)))
