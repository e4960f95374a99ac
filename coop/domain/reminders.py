"""Reminders: when each clock reminds whom, the rows that make every reminder unique, the in-application list,
and what the sweep hands to the mail outbox.

Never twice: a reminder is a row with a unique key (request, deadline, kind, offset, recipient, and the date it
reminds of), inserted with ON CONFLICT DO NOTHING in the transaction that sets the deadline. Never missed: the
sweep takes every due row not yet sent, however late it runs. Plain rules, no Flask, no commit.
"""

import re
import zlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from coop.domain.access import may_see_request_id
from coop.domain.calendars import Calendar, at_local_time, local_date, next_working_day, previous_working_day
from coop.models import (
    CooperationRequest,
    Deadline,
    DeadlineState,
    OutboxMessage,
    Reminder,
    ReminderKind,
    ReminderState,
    Role,
    SweepLock,
    User,
)

# Reminders counted in days arrive in the morning digest; this is when the day's digest goes out.
DIGEST_HOUR = 9
# No digest is sent from this hour until the next morning (emergencies are e-mailed at any hour).
QUIET_HOUR = 20
SWEEP_LOCK = "reminder-sweep"
# A constant key for PostgreSQL's advisory lock: crc32 is the same in every process (hash() is not).
SWEEP_LOCK_KEY = zlib.crc32(b"coop:" + SWEEP_LOCK.encode())

_CODE = re.compile(r"^(?P<anchor>[DS])\s*(?P<sign>[+-])\s*(?P<amount>\d{1,4})\s*(?P<hours>h?)(?:\s+(?P<head>head))?$",
                   re.IGNORECASE)


class ReminderCodeError(ValueError):
    """A reminder code that cannot be read; `code` names why, `text` is the offending item."""

    def __init__(self, code: str, text: str):
        super().__init__(f"{code}: {text!r}")
        self.code = code
        self.text = text


@dataclass(frozen=True)
class ReminderSpec:
    """One reminder of a rule: "D-21" is 21 days before the date, "S+4h" 4 hours after the start, and
    " head" sends it to the department heads instead of the officers."""

    anchor: str  # "D" (the due date) or "S" (the start)
    amount: int  # signed
    hours: bool
    escalate: bool

    @property
    def code(self) -> str:
        sign = "-" if self.amount < 0 else "+"
        return f"{self.anchor}{sign}{abs(self.amount)}{'h' if self.hours else ''}"

    def __str__(self) -> str:
        return f"{self.code} head" if self.escalate else self.code


def parse_reminder_code(text: str) -> ReminderSpec:
    """The spec written as `text` ("D-21", "S+4h", "D+1 head"); raises ReminderCodeError."""
    match = _CODE.match(text.strip())
    if not match:
        raise ReminderCodeError("unreadable", text.strip())
    amount = int(match["amount"]) * (-1 if match["sign"] == "-" else 1)
    anchor = match["anchor"].upper()
    if anchor == "S" and amount < 0:
        raise ReminderCodeError("before_start", text.strip())
    return ReminderSpec(anchor=anchor, amount=amount, hours=bool(match["hours"]), escalate=bool(match["head"]))


def parse_reminder_codes(codes: str | Iterable[str] | None) -> list[ReminderSpec]:
    """Every spec in "D-21, D-14, D+1 head" (or a list of such items), duplicates refused."""
    if codes is None:
        return []
    items = codes.split(",") if isinstance(codes, str) else list(codes)
    specs = [parse_reminder_code(item) for item in items if item.strip()]
    seen = set()
    for spec in specs:
        if (spec.code, spec.escalate) in seen:
            raise ReminderCodeError("duplicate", str(spec))
        seen.add((spec.code, spec.escalate))
    return specs


def format_reminder_codes(codes: Iterable[str] | None) -> str:
    return ", ".join(codes or [])


# --- planning: when a clock reminds --------------------------------------------------------------------------

@dataclass(frozen=True)
class PlannedReminder:
    kind: ReminderKind
    offset_code: str
    due_at: datetime
    escalate: bool


def reminder_moment(spec: ReminderSpec, start_at: datetime, due_at: datetime, calendar: Calendar, zone: ZoneInfo,
                    digest_hour: int = DIGEST_HOUR) -> datetime:
    """When `spec` reminds of a clock started at `start_at` and due at `due_at`.

    Hours are absolute. Days land in the morning (`digest_hour` in `zone`) on a working day of `calendar`: a
    reminder ahead of the date ("D-7") moves to the working day before, so it never falls after the deadline;
    the others (after the date, or counted from the start) move to the working day after.
    """
    anchor = due_at if spec.anchor == "D" else start_at
    if spec.hours:
        return anchor + timedelta(hours=spec.amount)
    day = local_date(anchor, zone) + timedelta(days=spec.amount)
    moment = at_local_time(day, digest_hour, zone)
    ahead = spec.anchor == "D" and moment < due_at
    shifted = previous_working_day(day, calendar) if ahead else next_working_day(day, calendar)
    return at_local_time(shifted, digest_hour, zone)


def plan_reminders(specs: Sequence[ReminderSpec], start_at: datetime, due_at: datetime, calendar: Calendar,
                   zone: ZoneInfo, digest_hour: int = DIGEST_HOUR) -> list[PlannedReminder]:
    """The reminders of one clock, in time order."""
    planned = []
    for spec in specs:
        moment = reminder_moment(spec, start_at, due_at, calendar, zone, digest_hour)
        if spec.escalate:
            kind = ReminderKind.ESCALATION
        elif moment < due_at:
            kind = ReminderKind.BEFORE
        else:
            kind = ReminderKind.AFTER
        planned.append(PlannedReminder(kind, spec.code, moment, spec.escalate))
    return sorted(planned, key=lambda item: (item.due_at, item.offset_code))


# --- the rows ------------------------------------------------------------------------------------------------

ENDED = (DeadlineState.MET, DeadlineState.CANCELLED)
LIVE_STATES = (ReminderState.PENDING, ReminderState.SENT, ReminderState.SNOOZED)


def active_heads(session: Session) -> list[User]:
    """The department heads who are told when a date passes."""
    return list(session.scalars(select(User).where(User.role == Role.HEAD, User.active.is_(True)).order_by(User.id)))


def _key(row) -> tuple:
    return (row["kind"], row["offset_code"], row["recipient_id"], row["deadline_due_at"])


def _row_key(reminder: Reminder) -> tuple:
    return (reminder.kind, reminder.offset_code, reminder.recipient_id, reminder.deadline_due_at)


def insert_ignoring_duplicates(session: Session, model, rows: list[dict]) -> None:
    """INSERT the rows; a row whose unique key exists already is skipped (ON CONFLICT DO NOTHING)."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(model).values(rows).on_conflict_do_nothing())


def sync_deadline_reminders(session: Session, deadline: Deadline, planned: Sequence[PlannedReminder],
                            officers: Sequence[User], heads: Sequence[User], immediate: bool,
                            now: datetime, stored: Sequence[Reminder] | None = None) -> None:
    """Make the deadline's reminder rows match its clock: a moved date replaces its pending reminders, an
    ended clock cancels them, and a reminder already sent is never inserted again.

    Reminders already past when planned are not all inserted: only the latest for each person (one catch-up
    reminder, not a storm of outdated ones). `stored` are the deadline's rows, when the caller loaded them.
    """
    if stored is None:
        stored = list(session.scalars(select(Reminder).where(Reminder.deadline_id == deadline.id)))
    if deadline.state != DeadlineState.OPEN:
        _end_reminders(session, deadline, stored)
        return
    existing = [reminder for reminder in stored if reminder.kind != ReminderKind.MOVED]

    addressed = officers or heads  # nobody assigned: the heads see to it
    desired = {}
    for item in planned:
        for person in (heads if item.escalate else addressed):
            row = {"request_id": deadline.request_id, "deadline_id": deadline.id, "recipient_id": person.id,
                   "kind": item.kind, "offset_code": item.offset_code, "deadline_due_at": deadline.due_at,
                   "due_at": item.due_at, "immediate": immediate, "state": ReminderState.PENDING,
                   "created_at": now}
            desired[_key(row)] = row

    kept = {}
    for reminder in existing:
        key = _row_key(reminder)
        if key not in desired:
            if reminder.state in (ReminderState.PENDING, ReminderState.SNOOZED):
                session.delete(reminder)
            continue
        kept[key] = reminder
        if reminder.state == ReminderState.PENDING and reminder.due_at != desired[key]["due_at"]:
            reminder.due_at = desired[key]["due_at"]  # the calendar moved the reminder, not the date
        elif reminder.state == ReminderState.CANCELLED and reminder.sent_at is None:
            reminder.state = ReminderState.PENDING  # the clock runs again with the same date
            reminder.due_at = desired[key]["due_at"]

    missing = [row for key, row in desired.items() if key not in kept]
    session.flush()  # deletions first: a replaced row's key may come back
    insert_ignoring_duplicates(session, Reminder, _without_outdated(missing, existing, deadline, now))


def _without_outdated(rows: list[dict], existing: list[Reminder], deadline: Deadline, now: datetime) -> list[dict]:
    """The rows to insert: all future ones, and of the past ones only the latest per person, unless that
    person already has a reminder as recent for this date."""
    latest_known = defaultdict(lambda: None)
    for reminder in existing:
        if reminder.deadline_due_at == deadline.due_at and reminder.due_at <= now:
            known = latest_known[reminder.recipient_id]
            latest_known[reminder.recipient_id] = max(known, reminder.due_at) if known else reminder.due_at
    kept = [row for row in rows if row["due_at"] > now]
    past = defaultdict(list)
    for row in rows:
        if row["due_at"] <= now:
            past[row["recipient_id"]].append(row)
    for person, candidates in past.items():
        latest = max(candidates, key=lambda row: row["due_at"])
        if latest_known[person] is None or latest_known[person] < latest["due_at"]:
            kept.append(latest)
    return kept


def _end_reminders(session: Session, deadline: Deadline, stored: Sequence[Reminder]) -> None:
    for reminder in stored:
        if reminder.state not in LIVE_STATES:
            continue
        paused = deadline.state == DeadlineState.PAUSED and reminder.kind != ReminderKind.MOVED
        if paused and reminder.state == ReminderState.PENDING:
            session.delete(reminder)  # planned again, with the new date, when the clock resumes
        else:
            reminder.state = ReminderState.CANCELLED


def notify_moved(session: Session, deadline: Deadline, people: Sequence[User], now: datetime) -> None:
    """Tell `people` that the deadline now falls on its new date (once per new date)."""
    rows = [{"request_id": deadline.request_id, "deadline_id": deadline.id, "recipient_id": person.id,
             "kind": ReminderKind.MOVED, "offset_code": "moved", "deadline_due_at": deadline.due_at,
             "due_at": now, "immediate": False, "state": ReminderState.PENDING, "created_at": now}
            for person in people]
    insert_ignoring_duplicates(session, Reminder, rows)


# --- in the application ---------------------------------------------------------------------------------------

def _showing(now: datetime):
    """Reminders that are due and not dealt with (a snoozed one shows again when its time comes)."""
    return and_(Reminder.due_at <= now, or_(
        Reminder.state.in_((ReminderState.PENDING, ReminderState.SENT)),
        and_(Reminder.state == ReminderState.SNOOZED, Reminder.snoozed_until <= now)))


def _visible_to(user: User):
    return may_see_request_id(user, Reminder.request_id)


def reminder_count(session: Session, user: User, now: datetime) -> int:
    """How many clocks have a reminder waiting for `user` (the counter in the navigation)."""
    return session.scalar(
        select(func.count(func.distinct(Reminder.deadline_id)))
        .where(Reminder.recipient_id == user.id, _showing(now), _visible_to(user))) or 0


@dataclass
class ReminderGroup:
    """The reminders waiting for one person about one clock, shown as one line."""

    deadline: Deadline
    request: CooperationRequest
    reminders: list[Reminder] = field(default_factory=list)

    @property
    def latest(self) -> Reminder:
        return self.reminders[0]

    @property
    def escalated(self) -> bool:
        return any(reminder.kind == ReminderKind.ESCALATION for reminder in self.reminders)

    @property
    def moved(self) -> bool:
        return any(reminder.kind == ReminderKind.MOVED for reminder in self.reminders)


def waiting_reminders(session: Session, user: User, now: datetime) -> list[ReminderGroup]:
    """The reminders waiting for `user`, one group per clock, the most urgent clock first."""
    rows = session.execute(
        select(Reminder, Deadline, CooperationRequest)
        .join(Deadline, Deadline.id == Reminder.deadline_id)
        .join(CooperationRequest, CooperationRequest.id == Reminder.request_id)
        .where(Reminder.recipient_id == user.id, _showing(now), _visible_to(user))
        .order_by(Reminder.due_at.desc(), Reminder.id.desc()))
    groups: dict[int, ReminderGroup] = {}
    for reminder, deadline, request in rows:
        groups.setdefault(deadline.id, ReminderGroup(deadline, request)).reminders.append(reminder)
    return sorted(groups.values(), key=lambda group: (group.deadline.due_at, group.deadline.id))


def upcoming_reminders(session: Session, user: User, now: datetime, horizon: timedelta,
                       limit: int = 50) -> list[tuple[Reminder, Deadline, CooperationRequest]]:
    """`user`'s reminders still to come within `horizon`, the soonest first."""
    return list(session.execute(
        select(Reminder, Deadline, CooperationRequest)
        .join(Deadline, Deadline.id == Reminder.deadline_id)
        .join(CooperationRequest, CooperationRequest.id == Reminder.request_id)
        .where(Reminder.recipient_id == user.id, Reminder.state == ReminderState.PENDING, Reminder.due_at > now,
               Reminder.due_at <= now + horizon, _visible_to(user))
        .order_by(Reminder.due_at, Reminder.id).limit(limit)))


def mark_done(session: Session, user: User, deadline_id: int, now: datetime) -> int:
    """Mark done every reminder waiting for `user` about the deadline; returns how many."""
    return session.execute(
        update(Reminder).where(Reminder.recipient_id == user.id, Reminder.deadline_id == deadline_id, _showing(now))
        .values(state=ReminderState.DONE, done_at=now)).rowcount


def snooze(session: Session, user: User, deadline_id: int, until: datetime, now: datetime) -> int:
    """Hide the reminders waiting for `user` about the deadline until `until`; returns how many."""
    if until <= now:
        raise ValueError("a reminder is snoozed until a later time")
    return session.execute(
        update(Reminder).where(Reminder.recipient_id == user.id, Reminder.deadline_id == deadline_id, _showing(now))
        .values(state=ReminderState.SNOOZED, snoozed_until=until)).rowcount


# --- the sweep ------------------------------------------------------------------------------------------------

def take_sweep_lock(session: Session, holder: str, now: datetime) -> bool:
    """Take the sweep's lock for the current transaction; False when another sweep holds it.

    PostgreSQL: an advisory lock released at commit. SQLite: every write transaction already begins with
    BEGIN IMMEDIATE, so updating the lock row makes a second sweep wait for the first to commit.
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres and not session.scalar(select(func.pg_try_advisory_xact_lock(SWEEP_LOCK_KEY))):
        return False
    claimed = session.execute(update(SweepLock).where(SweepLock.name == SWEEP_LOCK)
                              .values(holder=holder, acquired_at=now)).rowcount
    if not claimed:
        session.add(SweepLock(name=SWEEP_LOCK, holder=holder, acquired_at=now))
        session.flush()
    return True


def record_sweep(session: Session, holder: str, now: datetime, report: dict) -> None:
    """Note when the sweep finished and what it did (shown to administrators)."""
    session.execute(update(SweepLock).where(SweepLock.name == SWEEP_LOCK)
                    .values(holder=holder, finished_at=now, last_report=report))


@dataclass
class MailBatch:
    """Reminders for one person that go out in one e-mail."""

    key: str  # the outbox key: one digest per person and day, one e-mail per emergency reminder
    recipient: User
    immediate: bool
    items: list[tuple[Reminder, Deadline, CooperationRequest]] = field(default_factory=list)

    @property
    def reminder_ids(self) -> list[int]:
        return [reminder.id for reminder, _deadline, _request in self.items]


def collect_mail_batches(session: Session, now: datetime, zone: ZoneInfo, digest_hour: int = DIGEST_HOUR,
                         quiet_hour: int = QUIET_HOUR) -> tuple[list[MailBatch], list[Reminder]]:
    """Every due reminder not yet sent, in the e-mails it goes out in, and the reminders that need no e-mail.

    Emergencies go out at once, one e-mail each. The others wait for the person's daily digest, sent from
    `digest_hour` (or as soon as the sweep runs after it, so downtime delays the digest and loses nothing);
    a reminder that falls due after the day's digest went out waits for the next one.
    """
    rows = session.execute(
        select(Reminder, Deadline, CooperationRequest, User)
        .join(Deadline, Deadline.id == Reminder.deadline_id)
        .join(CooperationRequest, CooperationRequest.id == Reminder.request_id)
        .join(User, User.id == Reminder.recipient_id)
        .where(Reminder.state == ReminderState.PENDING, Reminder.due_at <= now)
        .order_by(Reminder.recipient_id, Reminder.due_at, Reminder.id)).all()
    today = local_date(now, zone)
    digest_open = digest_hour <= now.astimezone(zone).hour < quiet_hour
    digest_keys = {f"digest:{user.id}:{today.isoformat()}" for _r, _d, _q, user in rows}
    already_sent = set(session.scalars(select(OutboxMessage.key).where(OutboxMessage.key.in_(digest_keys))))

    batches: dict[str, MailBatch] = {}
    silent = []
    for reminder, deadline, request, user in rows:
        if not user.active:
            reminder.state = ReminderState.CANCELLED
            continue
        if reminder.immediate:
            key = f"reminder:{reminder.id}"
        elif digest_open and f"digest:{user.id}:{today.isoformat()}" not in already_sent:
            key = f"digest:{user.id}:{today.isoformat()}"
        else:
            continue
        if not user.email:
            silent.append(reminder)  # shown in the application only
            continue
        batch = batches.setdefault(key, MailBatch(key, user, reminder.immediate))
        batch.items.append((reminder, deadline, request))
    return list(batches.values()), silent


def mark_sent(session: Session, reminders: Iterable[Reminder], outbox_id: int | None, now: datetime) -> None:
    """Record that the reminders were handed over (to the outbox, or to the application alone)."""
    for reminder in reminders:
        reminder.state = ReminderState.SENT
        reminder.sent_at = now
        reminder.outbox_id = outbox_id
