"""Fill a database with a department's years of work: partners, officers, requests, their history and deadlines.

The shape follows a real department: a long tail of partners behind a few big providers and neighbours, more
requests each year, most of them closed, answers that take days from providers and months from states, a few
percent overdue. Rows go in by the driver's bulk path (executemany on SQLite, COPY on PostgreSQL).

    .venv/bin/python -m bench.generate --requests 100000 --url sqlite:///bench/results/coop-100k.sqlite
"""

import argparse
import math
import random
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pycountry
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from coop.domain.accounts import hash_password
from coop.models import Base, PartnerKind, Role, Status

BENCH_PASSWORD = "bench-password-2026"  # noqa: S105  (the generated users' password, for the benchmark)
CHUNK = 20_000
DAY = timedelta(days=1)

S = Status

# (code, Russian name, English name, direction, partner kind, preservation, emergency, share of requests)
REQUEST_TYPES = [
    ("direct_disclosure_provider", "Прямой запрос провайдеру о раскрытии данных",
     "Direct disclosure request to a provider", "outgoing", "provider", False, False, 34),
    ("preservation_provider", "Сохранение данных провайдером", "Preservation by a provider",
     "outgoing", "provider", True, False, 16),
    ("emergency_provider", "Экстренное раскрытие провайдером", "Emergency disclosure by a provider",
     "outgoing", "provider", False, True, 3),
    ("mla_outgoing", "Запрос о правовой помощи (исходящий)", "Mutual legal assistance, outgoing",
     "outgoing", "country", False, False, 12),
    ("preservation_state", "Сохранение данных государством", "Preservation by a state",
     "outgoing", "country", True, False, 4),
    ("disclosure_preserved", "Раскрытие сохранённых данных о трафике", "Disclosure of preserved traffic data",
     "outgoing", "country", False, False, 2),
    ("emergency_state", "Запрос по сети 24/7", "24/7 or emergency request to a state",
     "outgoing", "country", False, True, 2),
    ("police_cooperation", "Полицейское сотрудничество", "Police cooperation",
     "outgoing", "country", False, False, 2),
    ("mla_incoming", "Запрос о правовой помощи (входящий)", "Mutual legal assistance, incoming",
     "incoming", "country", False, False, 21),
    ("preservation_incoming", "Входящий запрос о сохранении данных", "Incoming preservation request",
     "incoming", "country", True, False, 4),
]

PROVIDERS = [
    ("meta", "Meta (Facebook, Instagram, WhatsApp)", 160), ("telegram", "Telegram", 110),
    ("google", "Google", 70), ("tiktok", "TikTok", 35), ("microsoft", "Microsoft", 20), ("apple", "Apple", 14),
    ("x", "X", 10), ("vk", "VK", 9), ("yandex", "Яндекс", 9), ("binance", "Binance", 8), ("bybit", "Bybit", 5),
    ("okx", "OKX", 4), ("discord", "Discord", 4), ("snap", "Snap", 3), ("amazon", "Amazon", 3),
    ("cloudflare", "Cloudflare", 3), ("godaddy", "GoDaddy", 2), ("namecheap", "Namecheap", 2),
    ("mailru", "Mail.ru", 3), ("linkedin", "LinkedIn", 1), ("reddit", "Reddit", 1), ("uber", "Uber", 1),
    ("paypal", "PayPal", 2), ("kaspi", "Kaspi.kz", 4), ("hetzner", "Hetzner", 1), ("ovh", "OVHcloud", 1),
    ("digitalocean", "DigitalOcean", 1), ("viber", "Viber", 2), ("signal", "Signal", 1), ("kucoin", "KuCoin", 2),
]
# Neighbours and the usual partners first; every other country gets a long tail's share.
MAIN_COUNTRIES = [("RU", 60), ("KG", 30), ("UZ", 28), ("CN", 18), ("US", 16), ("TR", 14), ("AE", 12), ("BY", 10),
                  ("UA", 9), ("DE", 8), ("GB", 7), ("TJ", 7), ("AZ", 6), ("GE", 6), ("AM", 5), ("IN", 5),
                  ("NL", 4), ("PL", 4), ("KR", 4), ("LT", 3), ("CZ", 3), ("FR", 3), ("IT", 2), ("EE", 2)]

REFUSAL_REASONS = [
    "Нет двойной криминальности", "Запрос должен быть направлен по каналу правовой помощи",
    "Недостаточно сведений о связи аккаунта с преступлением", "Данные не хранятся дольше установленного срока",
    "Запрос затрагивает политический характер преступления", "Не указан точный период запрашиваемых данных",
]
WITHDRAWAL_REASONS = ["Данные получены из другого источника", "Дело прекращено", "Подозреваемый установлен"]
NO_DATA_REASONS = ["Аккаунт удалён", "Данные за период не сохранились", "Пользователь не найден"]
PLATFORMS = ["instagram", "facebook", "telegram", "whatsapp", "tiktok", "vk", "youtube", "x"]
TITLE_SUBJECTS = [
    "Мошенничество с инвестициями", "Фишинг от имени банка", "Вымогательство в мессенджере",
    "Продажа похищенных карт", "Взлом аккаунта госоргана", "Интернет-мошенничество с объявлениями",
    "Кибербуллинг несовершеннолетнего", "Отмывание средств через криптобиржу", "DDoS-атака на портал",
    "Распространение вредоносного ПО", "Мошенничество «служба безопасности банка»", "Фейковый интернет-магазин",
]


@dataclass
class World:
    """The reference rows requests point at, with what the simulation needs to know of each."""

    officers: list[int] = field(default_factory=list)
    officer_weights: list[float] = field(default_factory=list)
    countries: list[tuple[int, float, float]] = field(default_factory=list)  # (id, ack median, answer median)
    country_weights: list[float] = field(default_factory=list)
    providers: list[tuple[int, float, float]] = field(default_factory=list)
    provider_weights: list[float] = field(default_factory=list)
    types: list[tuple[int, str, str, bool, bool]] = field(default_factory=list)  # id, direction, kind, pres, emerg
    type_weights: list[float] = field(default_factory=list)


# ---------------------------------------------------------------- schema and reference data


def absolute_url(url: str) -> str:
    """`url` with a relative SQLite path made absolute (Flask-SQLAlchemy would read it from the instance folder)."""
    from pathlib import Path

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and not Path(parsed.database).is_absolute():
        parsed = parsed.set(database=str(Path(parsed.database).resolve()))
    return parsed.render_as_string(hide_password=False)


def prepare_database(url: str) -> sa.Engine:
    """A fresh, empty schema at `url` (a PostgreSQL database is dropped and created again)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        server = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with server.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
            connection.exec_driver_sql(f'CREATE DATABASE "{parsed.database}"')
        server.dispose()
    elif parsed.database:
        from pathlib import Path

        for suffix in ("", "-wal", "-shm"):
            Path(parsed.database + suffix).unlink(missing_ok=True)
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url)
    if engine.dialect.name == "sqlite":
        from coop.database import configure_engine

        configure_engine(engine)
    Base.metadata.create_all(engine)
    _stamp_migrations(engine)
    return engine


def _stamp_migrations(engine: sa.Engine) -> None:
    from coop.schema import expected_revisions

    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL)")
        for revision in expected_revisions():
            connection.execute(sa.text("INSERT INTO alembic_version VALUES (:v)"), {"v": revision})


def insert_reference_data(engine: sa.Engine, rng: random.Random, now: datetime, officers: int) -> World:
    """Users, partners, legal bases and request types; returns the ids and weights the requests draw from."""
    tables = Base.metadata.tables
    world = World()
    password_hash = hash_password(BENCH_PASSWORD)
    users = [("head", "Гульнара Ахметова", Role.HEAD), ("head2", "Болат Омаров", Role.HEAD),
             ("admin", "Ерлан Жумабаев", Role.ADMIN)]
    users += [(f"officer{n}", f"Офицер {n:03d}", Role.OFFICER) for n in range(1, officers + 1)]
    user_rows = [{"id": index, "username": username, "full_name": full_name, "role": role.value,
                  "password_hash": password_hash, "email": f"{username}@cyber.police.kz", "active": True,
                  "session_token": f"bench-{index}", "created_at": now - 3000 * DAY}
                 for index, (username, full_name, role) in enumerate(users, start=1)]
    world.officers = [row["id"] for row in user_rows if row["role"] == Role.OFFICER.value]
    # A few officers carry most of the work.
    world.officer_weights = [1 / (rank + 3) for rank in range(len(world.officers))]

    partner_rows = []
    for code, name, weight in PROVIDERS:
        partner_rows.append(_partner_row(len(partner_rows) + 1, code, name, name, PartnerKind.PROVIDER, now))
        world.providers.append((len(partner_rows), rng.uniform(1, 10), rng.uniform(4, 50)))
        world.provider_weights.append(weight)
    main = dict(MAIN_COUNTRIES)
    for country in pycountry.countries:
        partner_rows.append(_partner_row(len(partner_rows) + 1, country.alpha_2, country.name, country.name,
                                         PartnerKind.COUNTRY, now))
        world.countries.append((len(partner_rows), rng.uniform(3, 25), rng.uniform(30, 300)))
        world.country_weights.append(main.get(country.alpha_2, rng.choice([0.02, 0.05, 0.1, 0.2, 0.5])))

    type_rows = []
    for index, (code, name_ru, name_en, direction, kind, preservation, emergency, share) in enumerate(
            REQUEST_TYPES, start=1):
        type_rows.append({"id": index, "code": code, "name_ru": name_ru, "name_en": name_en, "direction": direction,
                          "partner_kind": kind, "is_preservation": preservation, "is_emergency": emergency,
                          "sort_order": index * 10, "active": True})
        world.types.append((index, direction, kind, preservation, emergency))
        world.type_weights.append(share)
    basis_rows = [{"id": 1, "code": "provider-policy", "kind": "provider_policy", "name_ru": "Политика провайдера",
                   "name_en": "Provider policy", "active": True},
                  {"id": 2, "code": "un-cybercrime", "kind": "multilateral", "name_ru": "Конвенция ООН",
                   "name_en": "UN Convention against Cybercrime", "active": True}]
    with engine.begin() as connection:
        connection.execute(tables["user_account"].insert(), user_rows)
        connection.execute(tables["partner"].insert(), partner_rows)
        connection.execute(tables["request_type"].insert(), type_rows)
        connection.execute(tables["legal_basis"].insert(), basis_rows)
    return world


def _partner_row(partner_id: int, code: str, name_ru: str, name_en: str, kind: PartnerKind, now: datetime) -> dict:
    return {"id": partner_id, "code": code, "name_ru": name_ru, "name_en": name_en, "kind": kind.value,
            "active": True, "created_at": now, "updated_at": now, "version": 1}


# ---------------------------------------------------------------- the life of one request


@dataclass
class Simulated:
    """One request as it stands at `now`: its row, its officers, its history and its deadlines."""

    row: dict
    officer_ids: list[int]
    events: list[dict]
    deadlines: list[dict]
    identifier: dict


def lognormal_days(rng: random.Random, median: float, sigma: float) -> timedelta:
    return timedelta(days=median * math.exp(rng.gauss(0, sigma)))


def simulate(request_id: int, created_at: datetime, now: datetime, world: World, rng: random.Random,
             case_id: int) -> Simulated:
    """Draw a request's partner, type and path, and cut its life at `now`."""
    type_id, direction, kind, preservation, emergency = rng.choices(world.types, world.type_weights)[0]
    if kind == "provider":
        partner_id, ack_median, answer_median = rng.choices(world.providers, world.provider_weights)[0]
    else:
        partner_id, ack_median, answer_median = rng.choices(world.countries, world.country_weights)[0]
    if emergency:
        ack_median, answer_median = 0.1, 0.4
    if direction == "outgoing":
        steps, reason = _outgoing_path(created_at, rng, ack_median, answer_median, preservation)
    else:
        steps, reason = _incoming_path(created_at, rng, preservation)
    reached = [(status, at) for status, at in steps if at <= now]
    status = reached[-1][0]

    milestones = {}
    for step_status, at in reached:
        column = MILESTONE_COLUMNS.get(step_status)
        if column:
            milestones[column] = at
    if status in FINAL_STATUSES and "closed_at" not in milestones:
        milestones["closed_at"] = reached[-1][1]
    officer_ids = rng.sample(world.officers, 1) if rng.random() < 0.85 else rng.sample(world.officers, 2)
    if rng.random() < 0.9:
        officer_ids[0] = rng.choices(world.officers, world.officer_weights)[0]
    officer_ids = list(dict.fromkeys(officer_ids))
    urgency = "emergency" if emergency else ("urgent" if rng.random() < 0.08 else "normal")
    platform = rng.choice(PLATFORMS)
    handle = f"user_{request_id * 7919 % 1_000_003:x}"
    subject = rng.choice(TITLE_SUBJECTS)
    year = created_at.year
    prefix = "OUT" if direction == "outgoing" else "IN"
    row = {
        "id": request_id, "reference": f"{prefix}-{year}-{request_id:07d}", "direction": direction,
        "request_type_id": type_id, "legal_basis_id": 1 if kind == "provider" else 2, "partner_id": partner_id,
        "case_id": case_id, "follows_id": None, "title": f"{subject}: @{handle} ({platform})",
        "status": status.value, "urgency": urgency, "restricted": rng.random() < 0.04,
        "assistance_sought": "Регистрационные данные, IP-адреса входов, привязанные номера телефонов",
        "sent_at": milestones.get("sent_at"), "received_at": milestones.get("received_at"),
        "acknowledged_at": milestones.get("acknowledged_at"), "answered_at": milestones.get("answered_at"),
        "closed_at": milestones.get("closed_at"), "created_by_id": officer_ids[0], "created_at": created_at,
        "updated_at": reached[-1][1], "version": len(reached),
    }
    events = [{"request_id": request_id, "kind": "created", "at": created_at, "actor_id": officer_ids[0],
               "from_status": None, "to_status": steps[0][0].value, "comment": None}]
    for (previous, _), (step_status, at) in zip(reached, reached[1:], strict=False):
        events.append({"request_id": request_id, "kind": "transition", "at": at, "actor_id": officer_ids[0],
                       "from_status": previous.value, "to_status": step_status.value,
                       "comment": reason if step_status in REASONED else None})
    identifier = {"request_id": request_id, "kind": "account", "platform": platform,
                  "value": f"https://{platform}.com/{handle}", "normalized": f"{platform}:{handle}"}
    deadlines = _deadlines(request_id, row, status, direction, preservation, emergency, now, rng)
    return Simulated(row, officer_ids, events, deadlines, identifier)


MILESTONE_COLUMNS = {S.SENT: "sent_at", S.RECEIVED: "received_at", S.ACKNOWLEDGED: "acknowledged_at",
                     S.ANSWERED: "answered_at", S.PARTIALLY_ANSWERED: "answered_at", S.NO_DATA: "answered_at",
                     S.REFUSED: "answered_at", S.CLOSED: "closed_at", S.EXPIRED: "closed_at",
                     S.WITHDRAWN: "closed_at"}
FINAL_STATUSES = {S.CLOSED, S.REFUSED, S.NO_DATA, S.EXPIRED, S.WITHDRAWN}
REASONED = {S.REFUSED, S.NO_DATA, S.WITHDRAWN, S.EXPIRED, S.POSTPONED}


def _outgoing_path(created: datetime, rng: random.Random, ack_median: float, answer_median: float,
                   preservation: bool) -> tuple[list[tuple[Status, datetime]], str | None]:
    at = created
    steps = [(S.DRAFT, at)]
    if rng.random() < 0.3:
        at += timedelta(hours=rng.uniform(2, 30))
        steps.append((S.LEGAL_CHECK, at))
    at += timedelta(hours=rng.uniform(1, 60))
    steps.append((S.AWAITING_APPROVAL, at))
    at += timedelta(hours=rng.expovariate(1 / 20))
    steps.append((S.APPROVED, at))
    if rng.random() < 0.2:
        at += timedelta(hours=rng.uniform(4, 48))
        steps.append((S.TRANSLATION, at))
        at += lognormal_days(rng, 5, 0.5)
    else:
        at += timedelta(hours=rng.uniform(0.5, 24))
    if rng.random() < 0.015:
        steps.append((S.WITHDRAWN, at))
        return steps, rng.choice(WITHDRAWAL_REASONS)
    sent = at
    steps.append((S.SENT, sent))
    answer = sent + lognormal_days(rng, answer_median, 0.9)
    if rng.random() < 0.65:
        acknowledged = sent + lognormal_days(rng, ack_median, 0.8)
        if acknowledged < answer:
            steps.append((S.ACKNOWLEDGED, acknowledged))
            if rng.random() < 0.5:
                steps.append((S.IN_EXECUTION, acknowledged + (answer - acknowledged) * 0.2))
    if rng.random() < 0.08:
        asked = steps[-1][1] + (answer - steps[-1][1]) * 0.4
        steps.append((S.ADDITIONAL_INFO_REQUESTED, asked))
        steps.append((S.IN_EXECUTION, asked + lognormal_days(rng, 10, 0.6)))
        answer = max(answer, steps[-1][1] + DAY) + lognormal_days(rng, 8, 0.5)
    outcome = rng.random()
    if outcome < 0.006:
        return steps, None  # never answered: the slow partner everyone chases
    if outcome < 0.07:
        steps.append((S.REFUSED, answer))
        return steps, rng.choice(REFUSAL_REASONS)
    if outcome < 0.15:
        steps.append((S.NO_DATA, answer))
        return steps, rng.choice(NO_DATA_REASONS)
    if outcome < 0.18:
        steps.append((S.WITHDRAWN, sent + (answer - sent) * 0.5))
        return steps, rng.choice(WITHDRAWAL_REASONS)
    if preservation and outcome < 0.21:
        steps.append((S.EXPIRED, sent + 90 * DAY))
        return steps, "Срок сохранения истёк"
    steps.append((S.ANSWERED, answer))
    at = answer
    if rng.random() < 0.5:
        at += lognormal_days(rng, 4, 0.7)
        steps.append((S.EVIDENCE_REVIEWED, at))
    steps.append((S.CLOSED, at + lognormal_days(rng, 5, 0.8)))
    return steps, None


def _incoming_path(created: datetime, rng: random.Random,
                   preservation: bool) -> tuple[list[tuple[Status, datetime]], str | None]:
    at = created
    steps = [(S.RECEIVED, at)]
    at += timedelta(hours=rng.uniform(1, 48))
    steps.append((S.REGISTERED, at))
    at += lognormal_days(rng, 3, 0.6)
    steps.append((S.ASSESSED, at))
    if rng.random() < 0.15:
        at += lognormal_days(rng, 5, 0.6)
        steps.append((S.CONSULTATION, at))
        if rng.random() < 0.3:
            steps.append((S.REFUSED, at + lognormal_days(rng, 10, 0.5)))
            return steps, rng.choice(REFUSAL_REASONS)
    at += timedelta(hours=rng.uniform(1, 72))
    steps.append((S.IN_EXECUTION, at))
    if rng.random() < 0.02:
        steps.append((S.WITHDRAWN, at + lognormal_days(rng, 10, 0.5)))
        return steps, rng.choice(WITHDRAWAL_REASONS)
    if rng.random() < 0.004:
        return steps, None  # stuck in execution
    at += lognormal_days(rng, 6 if preservation else 22, 0.7)
    steps.append((S.ANSWERED, at))
    steps.append((S.CLOSED, at + lognormal_days(rng, 4, 0.6)))
    return steps, None


def _deadlines(request_id: int, row: dict, status: Status, direction: str, preservation: bool, emergency: bool,
               now: datetime, rng: random.Random) -> list[dict]:
    """The request's main clock: open while the request is, met or cancelled once it ended."""
    start = row["sent_at"] or row["received_at"]
    if start is None:
        return []
    unit = "calendar_days"
    if emergency:
        span, unit = timedelta(hours=8), "hours"
    elif direction == "incoming":
        span, unit = 30 * DAY, "working_days"
    elif preservation:
        span = 90 * DAY
    else:
        span = 30 * DAY if row["legal_basis_id"] == 1 else 180 * DAY
    due_at = base_due_at = start + span
    met_at = None
    if status in FINAL_STATUSES or status in {S.ANSWERED, S.EVIDENCE_REVIEWED}:
        state = "met" if status not in {S.WITHDRAWN, S.EXPIRED} else "cancelled"
        met_at = row["answered_at"] or row["closed_at"]
    elif status == S.ADDITIONAL_INFO_REQUESTED:
        state = "paused"
    else:
        state = "open"
        # Officers extend most clocks that run out: a few percent of open requests stay overdue.
        while due_at < now and rng.random() < 0.8:
            due_at += span
    if direction == "incoming":
        kind = "execution_deadline"
    else:
        kind = "preservation_expiry" if preservation else "answer_expected"
    return [{"request_id": request_id, "kind": kind, "sequence": 0, "state": state, "unit": unit,
             "started_at": start, "due_at": due_at, "base_due_at": base_due_at, "met_at": met_at,
             "extensions": 0 if due_at == base_due_at else 1, "explanation": "{}", "created_at": start,
             "updated_at": met_at or start}]


# ---------------------------------------------------------------- bulk writing


class BulkWriter:
    """Appends rows to tables through the driver's fastest path; one transaction per chunk."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine
        self.dialect = engine.dialect.name
        self.raw = engine.raw_connection()

    def write(self, table_name: str, rows: list[dict]) -> None:
        if not rows:
            return
        table = Base.metadata.tables[table_name]
        columns = [column.name for column in table.columns if column.name in rows[0]]
        values = [tuple(_value(column, row, self.dialect) for column in columns) for row in rows]
        cursor = self.raw.cursor()
        if self.dialect == "postgresql":
            names = ", ".join(f'"{name}"' for name in columns)
            with cursor.copy(f'COPY "{table_name}" ({names}) FROM STDIN') as copy:
                for value in values:
                    copy.write_row(value)
        else:
            placeholders = ", ".join("?" for _ in columns)
            names = ", ".join(f'"{name}"' for name in columns)
            cursor.executemany(f'INSERT INTO "{table_name}" ({names}) VALUES ({placeholders})', values)
        cursor.close()

    def begin(self) -> None:
        if self.dialect == "sqlite":
            self.raw.cursor().execute("BEGIN")

    def commit(self) -> None:
        if self.dialect == "sqlite":
            self.raw.cursor().execute("COMMIT")
        else:
            self.raw.commit()

    def close(self) -> None:
        self.raw.close()


def _value(column_name: str, row: dict, dialect: str):
    value = row[column_name]
    if isinstance(value, datetime) and dialect == "sqlite":
        # The text SQLAlchemy's SQLite DateTime writes: naive UTC with microseconds.
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date) and not isinstance(value, datetime) and dialect == "sqlite":
        return value.isoformat()
    return value


def chunks(iterable: Iterable, size: int) -> Iterator[list]:
    batch = []
    for item in iterable:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# ---------------------------------------------------------------- the whole run


def generate(url: str, requests: int, seed: int = 2026, now: datetime | None = None, years: float = 8,
             officers: int = 60, quiet: bool = False) -> dict[str, int]:
    """Build a fresh database at `url` holding `requests` requests; return how many rows each table got."""
    started = time.perf_counter()
    now = now or datetime.now(UTC).replace(microsecond=0)
    rng = random.Random(seed)
    engine = prepare_database(url)
    world = insert_reference_data(engine, rng, now, officers)
    span_seconds = years * 365.25 * 86400
    # Work grows year on year: the density of requests rises linearly towards today.
    created = sorted(now - timedelta(seconds=span_seconds * (1 - math.sqrt(rng.random()))) for _ in range(requests))
    counts = {"cooperation_request": 0, "request_officer": 0, "request_event": 0, "identifier": 0,
              "criminal_case": 0, "deadline": 0}
    writer = BulkWriter(engine)
    event_id = deadline_id = case_id = 0
    try:
        for batch_start in range(0, requests, CHUNK):
            batch = created[batch_start:batch_start + CHUNK]
            simulated, cases = [], []
            for offset, created_at in enumerate(batch):
                if case_id == 0 or rng.random() < 0.3:
                    case_id += 1
                    cases.append({"id": case_id, "number": f"{created_at.year}-{case_id:07d}",
                                  "title": rng.choice(TITLE_SUBJECTS), "status": "open",
                                  "opened_on": created_at.date(), "created_at": created_at,
                                  "updated_at": created_at, "version": 1,
                                  "responsible_officer_id": rng.choice(world.officers)})
                simulated.append(simulate(batch_start + offset + 1, created_at, now, world, rng, case_id))
            officer_rows = [{"request_id": item.row["id"], "user_id": officer}
                            for item in simulated for officer in item.officer_ids]
            event_rows = []
            for item in simulated:
                for event in item.events:
                    event_id += 1
                    event_rows.append({"id": event_id, **event})
            deadline_rows = []
            for item in simulated:
                for deadline in item.deadlines:
                    deadline_id += 1
                    deadline_rows.append({"id": deadline_id, **deadline})
            writer.begin()
            writer.write("criminal_case", cases)
            writer.write("cooperation_request", [item.row for item in simulated])
            writer.write("request_officer", officer_rows)
            writer.write("request_event", event_rows)
            writer.write("identifier", [{"id": item.row["id"], **item.identifier} for item in simulated])
            writer.write("deadline", deadline_rows)
            writer.commit()
            counts["criminal_case"] += len(cases)
            counts["cooperation_request"] += len(simulated)
            counts["request_officer"] += len(officer_rows)
            counts["request_event"] += len(event_rows)
            counts["identifier"] += len(simulated)
            counts["deadline"] += len(deadline_rows)
            if not quiet:
                print(f"  {batch_start + len(batch):>9,} requests  {time.perf_counter() - started:6.1f} s",
                      flush=True)
    finally:
        writer.close()
    counts["identifier"] += write_shared_identifiers(engine, requests, rng)
    counts["reminder"] = plan_reminders(engine, now)
    counts["audit_record"] = write_audit_trail(engine, now, quiet)
    finish_database(engine, quiet)
    engine.dispose()
    drop_statistics(url)
    if not quiet:
        print(f"generated {counts} in {time.perf_counter() - started:.0f} s")
    return counts


def shared_identifier_rows(requests: int, rng: random.Random, first_id: int) -> list[dict]:
    """Identifiers reused across requests, as real data has: a call-centre's phone number named in 2 to 40
    requests of its period (about 5 % of all requests), half of them also naming its Telegram account, and one
    ring in five reaching into the next one (a number passed on), so networks of several rings form. Each ring
    draws from a window of consecutive requests with a gap before the next, so rings do not chain by chance
    through the cases at their edges into one network of the whole database."""
    rows, ring, position, previous_phone = [], 0, 1, None
    while position <= requests:
        size = rng.randint(2, 40)
        window = range(position, min(position + size * 20, requests + 1))
        members = sorted(rng.sample(window, min(size, len(window))))
        position = window.stop + 20
        ring += 1
        phone, handle = f"+7701{ring * 7919 % 10_000_000:07d}", f"cc_ring_{ring:x}"
        if len(members) < 2:
            continue
        for index, request_id in enumerate(members):
            rows.append({"request_id": request_id, "kind": "phone", "platform": None, "value": phone,
                         "normalized": phone})
            if index % 2 == 0:
                rows.append({"request_id": request_id, "kind": "account", "platform": "telegram",
                             "value": f"@{handle}", "normalized": f"telegram:{handle}"})
        if previous_phone is not None and rng.random() < 0.2:
            rows.append({"request_id": members[0], "kind": "phone", "platform": None, "value": previous_phone,
                         "normalized": previous_phone})
        previous_phone = phone
    return [{"id": first_id + index, **row} for index, row in enumerate(rows)]


def write_shared_identifiers(engine: sa.Engine, requests: int, rng: random.Random) -> int:
    """Write the reused identifiers after the requests' own, then count the networks they make."""
    from coop.domain import networks

    rows = shared_identifier_rows(requests, rng, requests + 1)
    with engine.begin() as connection:
        for start in range(0, len(rows), 20_000):
            connection.execute(sa.insert(Base.metadata.tables["identifier"]), rows[start:start + 20_000])
    with engine.begin() as connection:
        networks.rebuild(connection)
    return len(rows)


def plan_reminders(engine: sa.Engine, now: datetime) -> int:
    """Each officer's reminders of the open clocks, as the deadlines area plans them: three days ahead and the day
    after. Those due before yesterday went out then; the rest wait for the sweep (a few hundred are due now)."""
    from coop.models import Deadline, DeadlineState, Reminder, ReminderKind, ReminderState, request_officer

    rows = []
    with engine.connect() as connection:
        clocks = connection.execute(
            sa.select(Deadline.id, Deadline.request_id, Deadline.due_at, request_officer.c.user_id)
            .join(request_officer, request_officer.c.request_id == Deadline.request_id)
            .where(Deadline.state == DeadlineState.OPEN))
        for deadline_id, request_id, due_at, officer_id in clocks:
            for kind, offset_code, remind_at in ((ReminderKind.BEFORE, "D-3", due_at - 3 * DAY),
                                                 (ReminderKind.AFTER, "D+1", due_at + DAY)):
                sent = remind_at < now - DAY
                rows.append({"request_id": request_id, "deadline_id": deadline_id, "recipient_id": officer_id,
                             "kind": kind, "offset_code": offset_code, "deadline_due_at": due_at, "due_at": remind_at,
                             "immediate": False, "state": ReminderState.SENT if sent else ReminderState.PENDING,
                             "sent_at": remind_at if sent else None, "created_at": due_at - 30 * DAY})
    with engine.begin() as connection:
        for start in range(0, len(rows), 20_000):
            connection.execute(sa.insert(Reminder), rows[start:start + 20_000])
    return len(rows)


def write_audit_trail(engine: sa.Engine, now: datetime, quiet: bool = False) -> int:
    """The history coop would have written: one chained "insert" record per audited row, carrying the row's
    values as they stand (read back, rendered as the session listener renders them), so that `coop audit
    verify` has a history to compare every row with. The bulk writes bypassed the listener."""
    from coop.domain.audit import AUDITED_TABLES, SECRET_FIELDS, _plain, append_records

    started, written = time.perf_counter(), 0
    for name in sorted(AUDITED_TABLES):
        table = Base.metadata.tables[name]
        last_id = 0
        while True:
            with engine.begin() as connection:
                rows = connection.execute(sa.select(table).where(table.c.id > last_id).order_by(table.c.id)
                                          .limit(CHUNK)).all()
                if not rows:
                    break
                records = [{"at": now, "actor_id": None, "actor_name": "bench generator", "via": "cli",
                            "entity": name, "entity_id": str(row.id), "action": "insert",
                            "changes": {key: ["***", "***"] if key in SECRET_FIELDS else [None, _plain(value)]
                                        for key, value in row._mapping.items()}} for row in rows]
                append_records(connection, records)
            last_id, written = rows[-1].id, written + len(records)
        if not quiet and written:
            print(f"  audit trail: {written:>9,} records  {time.perf_counter() - started:6.1f} s", flush=True)
    return written


def finish_database(engine: sa.Engine, quiet: bool = False) -> None:
    """Count the dashboard's tallies (the bulk writes bypassed the session that keeps them), move PostgreSQL's id
    sequences past the rows written with explicit ids, and leave the statistics as a department's database has
    them: none on SQLite (nobody analysed it; `drop_statistics`), autovacuum's on PostgreSQL."""
    from coop.database import optimize
    from coop.domain import figures

    started = time.perf_counter()
    with engine.begin() as connection:
        figures.rebuild(connection, figures.DEFAULT_ZONE)
    if not quiet:
        print(f"tallies rebuilt in {time.perf_counter() - started:.1f} s", flush=True)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            for table in Base.metadata.sorted_tables:
                if "id" in table.columns and table.columns["id"].primary_key:
                    connection.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                        f"coalesce((SELECT max(id) FROM \"{table.name}\"), 0) + 1, false)")
    if engine.dialect.name == "postgresql":
        # VACUUM sets the visibility map (index-only scans), as autovacuum would after a bulk load.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM")
        # Then the statistics a running coop has within a minute: autovacuum's analysis, or where it is switched
        # off (as on the benchmark's machine) the reminder sweep's (coop.database.optimize).
        with engine.begin() as connection:
            optimize(connection)


def drop_statistics(url: str) -> None:
    """Forget the planner's statistics, so that the benchmark measures the plans SQLite makes without them.

    coop counts them later (`PRAGMA optimize` when its connections close, `coop db upgrade`), so this runs on a
    plain engine, once coop's are closed. PostgreSQL's cannot be dropped (autovacuum counts them on its own after
    a bulk load): there they are left to autovacuum."""
    engine = sa.create_engine(url)
    if engine.dialect.name != "sqlite":
        engine.dispose()
        return
    with engine.begin() as connection:
        if connection.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").first():
            connection.exec_driver_sql("DELETE FROM sqlite_stat1")
        if connection.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat4'").first():
            connection.exec_driver_sql("DELETE FROM sqlite_stat4")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--url", required=True, help="SQLAlchemy URL of the database to (re)create")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--years", type=float, default=8)
    arguments = parser.parse_args()
    generate(absolute_url(arguments.url), arguments.requests, seed=arguments.seed, years=arguments.years)


if __name__ == "__main__":
    main()
