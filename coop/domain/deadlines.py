"""The clocks on each request: which deadlines it has, when they fall due, and why.

Rules (`DeadlineRule`, data an administrator edits) say how long each clock of a request type runs, from which
event, in which unit. A clock is recomputed from the request's history every time the request changes: its
start (sent, confirmed by the partner, received ...), pauses while we owe the partner information, and the
extensions and changes people made (`DeadlineAdjustment`, with their reasons). The result, with how it was
computed, is stored on `Deadline`; the reminders follow (`coop.domain.reminders`).

`compute_clock` is pure; the functions taking a Session query but never commit.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from coop.domain import reminders
from coop.domain.calendars import (
    KAZAKHSTAN,
    Calendar,
    add_working_days,
    build_calendar,
    end_of_day,
    local_date,
    parse_iso_weekdays,
    working_days_between,
)
from coop.domain.workflow import ANSWERED, FINAL, PAUSING
from coop.models import (
    AdjustmentKind,
    CalendarDay,
    ClockUnit,
    CooperationRequest,
    Deadline,
    DeadlineAdjustment,
    DeadlineKind,
    DeadlineRule,
    DeadlineState,
    Direction,
    EventKind,
    LegalBasis,
    Partner,
    PartnerKind,
    Reminder,
    RequestEvent,
    RequestType,
    StartEvent,
    Status,
    StopEvent,
    Urgency,
    User,
    WorkingCalendar,
)

DEFAULT_ZONE = ZoneInfo("Asia/Almaty")
# A series (status enquiries) never plans further than this many occurrences ahead.
MAX_OCCURRENCES = 500
# Statuses showing that the partner has taken the request up (when no acknowledgement was recorded).
TAKEN_UP = frozenset({Status.ACKNOWLEDGED, Status.IN_EXECUTION, Status.PARTIALLY_ANSWERED, Status.ANSWERED})


class DeadlineProblem(Exception):
    """A change to a deadline that a rule refuses; `code` names the rule for a message in the user's language."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


# --- what a clock is computed from ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Pause:
    """A time we owed the partner information; `end` is None while it lasts."""

    start: datetime
    end: datetime | None


@dataclass(frozen=True)
class RequestFacts:
    """What the clocks of one request depend on, read from the request and its history."""

    status: Status
    direction: Direction
    urgency: Urgency = Urgency.NORMAL
    created_at: datetime | None = None
    sent_at: datetime | None = None
    received_at: datetime | None = None
    confirmed_at: datetime | None = None
    answered_at: datetime | None = None
    closed_at: datetime | None = None
    requested_by: date | None = None
    follow_up_sent_at: datetime | None = None
    pauses: tuple[Pause, ...] = ()

    @property
    def answered(self) -> bool:
        return self.status in ANSWERED

    @property
    def final(self) -> bool:
        return self.status in FINAL


@dataclass(frozen=True)
class Adjustment:
    """A change a person made to one clock (see DeadlineAdjustment)."""

    kind: AdjustmentKind
    at: datetime
    amount: int | None = None
    new_due_at: datetime | None = None
    reason: str | None = None
    actor: str | None = None


@dataclass
class ComputedClock:
    """A clock as the rule, the history and the adjustments make it."""

    kind: DeadlineKind
    sequence: int
    unit: ClockUnit
    state: DeadlineState
    started_at: datetime | None
    due_at: datetime
    base_due_at: datetime | None
    paused_at: datetime | None = None
    met_at: datetime | None = None
    ended_reason: str | None = None
    extensions: int = 0
    explanation: dict = field(default_factory=dict)
    # The clock moved this far by pauses: reminders counted from the start move with it.
    pause_shift: timedelta = timedelta(0)


def _iso(moment: datetime | date | None) -> str | None:
    return moment.isoformat() if moment is not None else None


# --- the units ----------------------------------------------------------------------------------------------

class _Counter:
    """Arithmetic in one unit: days are local dates (the clock ends at the end of the day), hours are instants."""

    def __init__(self, unit: ClockUnit, calendar: Calendar, zone: ZoneInfo):
        self.unit, self.calendar, self.zone = unit, calendar, zone

    def start(self, moment: datetime):
        return moment if self.unit == ClockUnit.HOURS else local_date(moment, self.zone)

    def add(self, value, amount: int):
        if self.unit == ClockUnit.HOURS:
            return value + timedelta(hours=amount)
        if self.unit == ClockUnit.WORKING_DAYS:
            return add_working_days(value, amount, self.calendar)
        return value + timedelta(days=amount)

    def moment(self, value) -> datetime:
        return value if self.unit == ClockUnit.HOURS else end_of_day(value, self.zone)

    def resume(self, due, paused: datetime, resumed: datetime):
        """The due date after a pause from `paused` to `resumed`: the clock resumes with the time it had left."""
        if self.unit == ClockUnit.HOURS:
            return due + (resumed - paused)
        paused_day, resumed_day = local_date(paused, self.zone), local_date(resumed, self.zone)
        if self.unit == ClockUnit.CALENDAR_DAYS:
            return due + (resumed_day - paused_day)
        left = working_days_between(paused_day, due, self.calendar)
        return add_working_days(resumed_day, left, self.calendar)


def occurrence_amount(rule: DeadlineRule, sequence: int) -> int | None:
    """How far from the start occurrence `sequence` of the rule's clock falls (None: there is no such one)."""
    if sequence == 0:
        return rule.amount
    series = list(rule.series or [])
    if sequence <= len(series):
        return series[sequence - 1]
    if not rule.repeat_every:
        return None
    last = series[-1] if series else rule.amount
    return last + rule.repeat_every * (sequence - len(series))


def start_of(rule: DeadlineRule, facts: RequestFacts) -> tuple[datetime | None, str]:
    """When the rule's clock starts for this request, and which event that was."""
    event = rule.start_event
    if event == StartEvent.CREATED:
        return facts.created_at, "created"
    if event == StartEvent.SENT:
        return (facts.sent_at or facts.received_at if facts.direction == Direction.INCOMING else facts.sent_at), "sent"
    if event == StartEvent.CONFIRMED:
        return facts.confirmed_at, "confirmed"
    if event == StartEvent.RECEIVED:
        return facts.received_at, "received"
    if event == StartEvent.REQUESTED_DATE:
        return (facts.sent_at if facts.requested_by else None), "sent"
    return None, "entered"


def stop_of(rule: DeadlineRule, facts: RequestFacts) -> tuple[datetime | None, str | None]:
    """When the event that meets the clock happened (None if it has not)."""
    if rule.stop_event == StopEvent.ANSWERED and facts.answered:
        return facts.answered_at or facts.closed_at, "answered"
    if rule.stop_event == StopEvent.CONFIRMED and facts.confirmed_at:
        return facts.confirmed_at, "confirmed"
    if rule.stop_event == StopEvent.FOLLOW_UP_SENT and facts.follow_up_sent_at:
        return facts.follow_up_sent_at, "follow_up_sent"
    return None, None


def rule_scope(rule: DeadlineRule) -> dict:
    """The codes of the type, basis and partner a rule applies to (None: any), read from its scope key."""
    if not rule.scope_key:
        return {"type": None, "basis": None, "partner": None}
    type_code, basis, partner, _kind = rule.scope_key.rsplit(":", 3)
    return {"type": type_code, "basis": None if basis == "*" else basis, "partner": None if partner == "*" else partner}


def compute_clock(rule: DeadlineRule, facts: RequestFacts, calendar: Calendar, zone: ZoneInfo,
                  adjustments: Sequence[Adjustment] = (), sequence: int = 0) -> ComputedClock | None:
    """The clock `rule` puts on a request with `facts` (occurrence `sequence` of a series); None if it has
    not started. Pauses and `adjustments` are replayed in time order on top of the rule's date."""
    counter = _Counter(rule.unit, calendar, zone)
    started_at, start_event = start_of(rule, facts)
    steps: list[dict] = []
    extensions = 0
    events: list[tuple[datetime, int, object]] = [(item.at, 1, item) for item in adjustments]
    if rule.pauses:
        events += [(pause.start, 0, pause) for pause in facts.pauses]
    events.sort(key=lambda event: (event[0], event[1]))

    due = base_due = None
    if rule.start_event == StartEvent.REQUESTED_DATE:
        if started_at is not None:
            due = base_due = facts.requested_by if rule.unit != ClockUnit.HOURS else end_of_day(facts.requested_by,
                                                                                                  zone)
    elif started_at is not None:
        amount = occurrence_amount(rule, sequence)
        if amount is None:
            return None
        due = base_due = counter.add(counter.start(started_at), amount)

    paused_at = None
    pause_shift = timedelta(0)
    for _at, _order, event in events:
        if isinstance(event, Pause):
            if due is None or started_at is None or paused_at is not None:
                continue
            begin = max(event.start, started_at)
            if event.end is not None and event.end <= begin:
                continue
            if counter.moment(due) <= begin:
                continue  # the date had passed before the pause: nothing left to resume with
            if event.end is None:
                paused_at = begin
                steps.append({"type": "pause", "from": _iso(begin), "to": None,
                              "due_before": _iso(counter.moment(due))})
                continue
            before = counter.moment(due)
            due = counter.resume(due, begin, event.end)
            pause_shift += counter.moment(due) - before
            steps.append({"type": "pause", "from": _iso(begin), "to": _iso(event.end), "due_before": _iso(before),
                          "due_after": _iso(counter.moment(due))})
        elif event.kind == AdjustmentKind.DATE_SET and event.new_due_at is not None:
            before = counter.moment(due) if due is not None else None
            due = event.new_due_at if rule.unit == ClockUnit.HOURS else local_date(event.new_due_at, zone)
            if started_at is None:
                started_at, start_event = event.at, "entered"
                base_due = due
            steps.append({"type": "date_set", "at": _iso(event.at), "by": event.actor, "reason": event.reason,
                          "due_before": _iso(before), "due_after": _iso(counter.moment(due))})
        elif event.kind == AdjustmentKind.EXTENSION and due is not None:
            before = counter.moment(due)
            due = counter.add(due, event.amount or 0)
            extensions += 1
            steps.append({"type": "extension", "at": _iso(event.at), "by": event.actor, "reason": event.reason,
                          "amount": event.amount, "unit": rule.unit.value, "due_before": _iso(before),
                          "due_after": _iso(counter.moment(due))})

    if due is None:
        return None
    due_at = counter.moment(due)
    clock = ComputedClock(
        kind=rule.kind, sequence=sequence, unit=rule.unit, state=DeadlineState.OPEN, started_at=started_at,
        due_at=due_at, base_due_at=counter.moment(base_due) if base_due is not None else due_at,
        paused_at=paused_at, extensions=extensions, pause_shift=pause_shift)

    sent_enquiry = next((item for item in adjustments if item.kind == AdjustmentKind.ENQUIRY_SENT), None)
    stopped_at, stopped_by = stop_of(rule, facts)
    if sent_enquiry is not None:
        clock.state, clock.met_at, clock.ended_reason = DeadlineState.MET, sent_enquiry.at, "enquiry_sent"
    elif stopped_at is not None:
        clock.state, clock.met_at, clock.ended_reason = DeadlineState.MET, stopped_at, stopped_by
    elif facts.final:
        clock.state, clock.met_at, clock.ended_reason = DeadlineState.CANCELLED, facts.closed_at, facts.status.value
    elif paused_at is not None:
        clock.state = DeadlineState.PAUSED

    clock.explanation = {
        "rule": {"id": rule.id, **rule_scope(rule), "kind": rule.kind.value, "amount": occurrence_amount(rule, sequence)
                 if rule.start_event not in (StartEvent.ENTERED, StartEvent.REQUESTED_DATE) else None,
                 "unit": rule.unit.value, "calendar": calendar.name if rule.unit == ClockUnit.WORKING_DAYS else None,
                 "start_event": rule.start_event.value, "stop_event": rule.stop_event.value, "sequence": sequence,
                 "requested_by": _iso(facts.requested_by) if rule.start_event == StartEvent.REQUESTED_DATE else None},
        "start": {"event": start_event, "at": _iso(started_at)},
        "base_due": _iso(clock.base_due_at),
        "skipped": _skipped_days(rule, counter, started_at, due, calendar),
        "steps": steps,
        "end": ({"state": clock.state.value, "at": _iso(clock.met_at), "reason": clock.ended_reason}
                if clock.state in (DeadlineState.MET, DeadlineState.CANCELLED) else None),
    }
    return clock


def _skipped_days(rule: DeadlineRule, counter: _Counter, started_at: datetime | None, due, calendar: Calendar) -> dict:
    """The days a working-day clock did not count, between its start and its date."""
    if rule.unit != ClockUnit.WORKING_DAYS or started_at is None:
        return {}
    days_off = calendar.days_off_between(counter.start(started_at), due)
    return {
        "weekend_days": sum(1 for off in days_off if off.reason == "weekend"),
        "days_off": [{"day": off.day.isoformat(), "reason": off.reason, "name": off.name}
                     for off in days_off if off.reason != "weekend"],
        "worked_weekend_days": [day.isoformat() for day in
                                calendar.worked_weekend_days_between(counter.start(started_at), due)],
    }


# --- which rules apply ----------------------------------------------------------------------------------------

def specificity(rule: DeadlineRule) -> int:
    return (2 if rule.partner_id is not None else 0) + (1 if rule.legal_basis_id is not None else 0)


def applicable_rules(rules: Iterable[DeadlineRule], request_type_id: int, legal_basis_id: int | None,
                     partner_id: int | None) -> list[DeadlineRule]:
    """For each kind of clock, the most specific active rule matching the request (partner, then basis)."""
    chosen: dict[DeadlineKind, DeadlineRule] = {}
    for rule in rules:
        if not rule.active or rule.request_type_id != request_type_id:
            continue
        if rule.legal_basis_id is not None and rule.legal_basis_id != legal_basis_id:
            continue
        if rule.partner_id is not None and rule.partner_id != partner_id:
            continue
        current = chosen.get(rule.kind)
        if current is None or specificity(rule) > specificity(current):
            chosen[rule.kind] = rule
    return sorted(chosen.values(), key=lambda rule: list(DeadlineKind).index(rule.kind))


def scope_key(request_type_code: str, basis_code: str | None, partner_code: str | None, kind: DeadlineKind) -> str:
    return f"{request_type_code}:{basis_code or '*'}:{partner_code or '*'}:{kind.value}"


# --- the world a computation needs, loaded once per batch -----------------------------------------------------

class DeadlineContext:
    """Rules, calendars and heads, loaded once for many requests (a rule change recomputes hundreds)."""

    def __init__(self, session: Session, zone: ZoneInfo = DEFAULT_ZONE):
        self.session = session
        self.zone = zone
        self._rules: dict[int, list[DeadlineRule]] = {}
        self._calendars: dict[tuple, Calendar] = {}
        self._added_days: dict[str, dict[date, tuple[bool, str]]] | None = None
        self._heads: list[User] | None = None

    def rules_for(self, request_type_id: int) -> list[DeadlineRule]:
        if request_type_id not in self._rules:
            self._rules[request_type_id] = list(self.session.scalars(
                select(DeadlineRule).where(DeadlineRule.request_type_id == request_type_id)))
        return self._rules[request_type_id]

    def added_days(self, country: str) -> dict[date, tuple[bool, str]]:
        if self._added_days is None:
            self._added_days = {}
            for day in self.session.scalars(select(CalendarDay)):
                self._added_days.setdefault(day.country.upper(), {})[day.day] = (day.working, day.note)
        return self._added_days.get(country.upper(), {})

    def kazakhstan(self) -> Calendar:
        """Our working days: the public holidays of Kazakhstan and the days an administrator moved."""
        return self._calendar(KAZAKHSTAN, None)

    def partner_calendar(self, partner: Partner | None) -> Calendar:
        """The partner's working days (its country's holidays and weekend, and the days an administrator added
        for it; a provider has weekends only)."""
        if partner is None:
            return self.kazakhstan()
        return self._calendar(partner.holiday_calendar or "", parse_iso_weekdays(partner.weekend_days),
                              partner_calendar_key(partner))

    def _calendar(self, country: str, weekend: frozenset[int] | None, added_key: str | None = None) -> Calendar:
        added_key = (added_key if added_key is not None else country).upper()
        key = (country.upper(), weekend, added_key)
        if key not in self._calendars:
            self._calendars[key] = build_calendar(country or None, weekend,
                                                  self.added_days(added_key) if added_key else {})
        return self._calendars[key]

    def calendar_for(self, rule: DeadlineRule, partner: Partner | None) -> Calendar:
        if rule.unit == ClockUnit.WORKING_DAYS and rule.calendar == WorkingCalendar.PARTNER:
            return self.partner_calendar(partner)
        return self.kazakhstan()

    def heads(self) -> list[User]:
        if self._heads is None:
            self._heads = reminders.active_heads(self.session)
        return self._heads


def request_facts(session: Session, request: CooperationRequest, zone: ZoneInfo = DEFAULT_ZONE) -> RequestFacts:
    """The facts the request's clocks depend on: its milestones, its pauses and its sent follow-ups."""
    transitions = session.execute(
        select(RequestEvent.at, RequestEvent.occurred_on, RequestEvent.from_status, RequestEvent.to_status)
        .where(RequestEvent.request_id == request.id, RequestEvent.kind == EventKind.TRANSITION)
        .order_by(RequestEvent.at, RequestEvent.id)).all()
    pauses, paused_since, taken_up = [], None, None
    for at, occurred_on, from_status, to_status in transitions:
        moment = _moment_of(occurred_on, at, zone)
        if to_status in PAUSING and paused_since is None:
            paused_since = moment
        elif from_status in PAUSING and to_status not in PAUSING and paused_since is not None:
            pauses.append(Pause(paused_since, max(moment, paused_since)))
            paused_since = None
        if to_status in TAKEN_UP and taken_up is None:
            taken_up = moment
    if paused_since is not None:
        pauses.append(Pause(paused_since, None))
    # The few follow-ups' dates, and their earliest taken here: asked for min(sent_at), a planner without
    # statistics walked the whole sent_at index looking for a follow-up that usually does not exist.
    follow_ups = [moment for moment in session.scalars(
        select(CooperationRequest.sent_at).where(CooperationRequest.follows_id == request.id)) if moment is not None]
    follow_up_sent_at = min(follow_ups, default=None)
    return RequestFacts(
        status=request.status, direction=request.direction, urgency=request.urgency, created_at=request.created_at,
        sent_at=request.sent_at, received_at=request.received_at,
        confirmed_at=request.acknowledged_at or taken_up, answered_at=request.answered_at,
        closed_at=request.closed_at, requested_by=request.requested_by, follow_up_sent_at=follow_up_sent_at,
        pauses=tuple(pauses))


def _moment_of(day: date | None, at: datetime, zone: ZoneInfo) -> datetime:
    """When a change dated `day` happened (the same reading as coop.domain.requests.moment_of)."""
    if day is None or day == at.astimezone(zone).date():
        return at
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


# --- recomputing ------------------------------------------------------------------------------------------------

ENDED_STATES = (DeadlineState.MET, DeadlineState.CANCELLED)

@dataclass(frozen=True)
class DeadlineChange:
    """How recomputation changed one clock (for "this change moves these deadlines")."""

    request_id: int
    reference: str
    kind: DeadlineKind
    sequence: int
    old_due_at: datetime | None
    new_due_at: datetime | None
    old_state: DeadlineState | None
    new_state: DeadlineState | None

    @property
    def moved(self) -> bool:
        return (self.old_due_at is not None and self.new_due_at is not None and self.old_due_at != self.new_due_at
                and self.old_state in (DeadlineState.OPEN, DeadlineState.PAUSED)
                and self.new_state in (DeadlineState.OPEN, DeadlineState.PAUSED))


def on_request_changed(session, request, now) -> None:
    """Recompute the clocks and reminders of `request` after it was created, edited or moved.

    The request it follows is recomputed too: sending a follow-up stops a preservation's expiry clock.
    """
    context = DeadlineContext(session)
    recompute_request(session, request, now, context)
    if request.follows_id is not None:
        followed = session.get(CooperationRequest, request.follows_id)
        if followed is not None:
            recompute_request(session, followed, now, context)


def _adjustments_of(session: Session, request_id: int) -> dict[int, list[Adjustment]]:
    rows = session.execute(
        select(DeadlineAdjustment, User.full_name).outerjoin(User, User.id == DeadlineAdjustment.actor_id)
        .where(DeadlineAdjustment.request_id == request_id).order_by(DeadlineAdjustment.at, DeadlineAdjustment.id))
    found: dict[int, list[Adjustment]] = {}
    for adjustment, actor in rows:
        found.setdefault(adjustment.deadline_id, []).append(Adjustment(
            kind=adjustment.kind, at=adjustment.at, amount=adjustment.amount, new_due_at=adjustment.new_due_at,
            reason=adjustment.reason, actor=actor))
    return found


def recompute_request(session: Session, request: CooperationRequest, now: datetime,
                      context: DeadlineContext | None = None, notify_moves: bool = False,
                      actor: User | None = None) -> list[DeadlineChange]:
    """Bring the request's deadlines and reminders in line with its rules and history; return what changed.

    With `notify_moves`, the officers of a moved deadline are told its new date (a rule or calendar changed,
    or someone extended it: `actor`, who knows already, is not told).
    """
    context = context or DeadlineContext(session)
    rules = applicable_rules(context.rules_for(request.request_type_id), request.request_type_id,
                             request.legal_basis_id, request.partner_id)
    existing = {(row.kind, row.sequence): row for row in session.scalars(
        select(Deadline).where(Deadline.request_id == request.id))}
    if not rules and not existing:
        return []  # no clock now, none before: nothing to compute (most notes and edits of such requests)
    facts = request_facts(session, request, context.zone)
    adjustments = _adjustments_of(session, request.id) if existing else {}

    computed: list[tuple[DeadlineRule, ComputedClock]] = []
    for rule in rules:
        calendar = context.calendar_for(rule, request.partner)
        if rule.kind == DeadlineKind.STATUS_ENQUIRY or rule.series or rule.repeat_every:
            clocks = _series_clocks(rule, facts, calendar, context.zone, existing, adjustments)
        else:
            row = existing.get((rule.kind, 0))
            clocks = [compute_clock(rule, facts, calendar, context.zone,
                                    adjustments.get(row.id, []) if row is not None else [])]
        computed += [(rule, clock) for clock in clocks if clock is not None]

    changes, rows = [], []
    for rule, clock in computed:
        row = existing.pop((clock.kind, clock.sequence), None)
        old = (row.due_at, row.state) if row is not None else (None, None)
        if row is None:
            row = Deadline(request_id=request.id, kind=clock.kind, sequence=clock.sequence, created_at=now)
            session.add(row)
        _store(row, rule, clock, now)
        if not (old[1] in ENDED_STATES and old == (row.due_at, row.state)):  # an ended clock that stays ended
            rows.append((rule, row, clock))  # has nothing left to remind of
        if old != (row.due_at, row.state):
            changes.append(DeadlineChange(request.id, request.reference, row.kind, row.sequence, old[0], row.due_at,
                                          old[1], row.state))
    for row in existing.values():
        if row.state in (DeadlineState.OPEN, DeadlineState.PAUSED):
            changes.append(DeadlineChange(request.id, request.reference, row.kind, row.sequence, row.due_at,
                                          row.due_at, row.state, DeadlineState.CANCELLED))
            row.state, row.ended_reason, row.met_at, row.updated_at = (DeadlineState.CANCELLED, "no_longer_applies",
                                                                       now, now)
            rows.append((None, row, None))
    session.flush()
    if not rows:
        return changes

    officers = [officer for officer in request.officers if officer.active]
    heads = context.heads()
    our_calendar = context.kazakhstan()
    stored: dict[int, list[Reminder]] = {row.id: [] for _rule, row, _clock in rows}
    for reminder in session.scalars(select(Reminder).where(Reminder.request_id == request.id)):
        stored.setdefault(reminder.deadline_id, []).append(reminder)
    for rule, row, clock in rows:
        planned = []
        if rule is not None and row.state == DeadlineState.OPEN:
            start = (row.started_at or row.due_at) + clock.pause_shift
            planned = reminders.plan_reminders(reminders.parse_reminder_codes(rule.reminders), start, row.due_at,
                                               our_calendar, context.zone)
        immediate = row.unit == ClockUnit.HOURS or request.urgency == Urgency.EMERGENCY
        reminders.sync_deadline_reminders(session, row, planned, officers, heads, immediate, now,
                                          stored=stored[row.id])
    session.flush()
    if notify_moves:
        moved = {(change.kind, change.sequence) for change in changes if change.moved}
        for _rule, row, _clock in rows:
            if (row.kind, row.sequence) in moved and row.state == DeadlineState.OPEN:
                told = [person for person in officers or heads if actor is None or person.id != actor.id]
                reminders.notify_moved(session, row, told, now)
    return changes


def _store(row: Deadline, rule: DeadlineRule, clock: ComputedClock, now: datetime) -> None:
    values = {"rule_id": rule.id, "unit": clock.unit, "state": clock.state, "started_at": clock.started_at,
              "due_at": clock.due_at, "base_due_at": clock.base_due_at, "paused_at": clock.paused_at,
              "met_at": clock.met_at, "ended_reason": clock.ended_reason, "extensions": clock.extensions,
              "explanation": clock.explanation}
    if any(getattr(row, name) != value for name, value in values.items()):
        for name, value in values.items():
            setattr(row, name, value)
        row.updated_at = now


def _series_clocks(rule: DeadlineRule, facts: RequestFacts, calendar: Calendar, zone: ZoneInfo,
                   existing: dict, adjustments: dict[int, list[Adjustment]]) -> list[ComputedClock | None]:
    """The occurrences of a series marked done, and the one now running: the first after the last one done
    that falls after it."""
    done_rows = [row for (kind, _sequence), row in existing.items() if kind == rule.kind
                 and any(item.kind == AdjustmentKind.ENQUIRY_SENT for item in adjustments.get(row.id, []))]
    clocks = [compute_clock(rule, facts, calendar, zone, adjustments[row.id], row.sequence) for row in done_rows]
    done = [(row.sequence, item.at) for row in done_rows for item in adjustments[row.id]
            if item.kind == AdjustmentKind.ENQUIRY_SENT]
    last_sequence, last_done_at = max(done) if done else (-1, None)
    for sequence in range(last_sequence + 1, last_sequence + 1 + MAX_OCCURRENCES):
        row = existing.get((rule.kind, sequence))
        clock = compute_clock(rule, facts, calendar, zone, adjustments.get(row.id, []) if row else [], sequence)
        if clock is None:
            break
        if last_done_at is None or clock.due_at > last_done_at:
            clocks.append(clock)
            break
    return clocks


def recompute_open_requests(session: Session, now: datetime, request_type_ids: Iterable[int] | None = None,
                            request_ids: Iterable[int] | None = None, notify_moves: bool = False,
                            zone: ZoneInfo = DEFAULT_ZONE) -> list[DeadlineChange]:
    """Recompute every open request (of some types, or some requests); return what changed."""
    query = select(CooperationRequest).where(CooperationRequest.status.not_in(sorted(FINAL))) \
        .options(selectinload(CooperationRequest.officers), selectinload(CooperationRequest.partner)) \
        .order_by(CooperationRequest.id)
    if request_type_ids is not None:
        query = query.where(CooperationRequest.request_type_id.in_(list(request_type_ids)))
    if request_ids is not None:
        query = query.where(CooperationRequest.id.in_(list(request_ids)))
    context = DeadlineContext(session, zone)
    changes = []
    for request in session.scalars(query):
        changes += recompute_request(session, request, now, context, notify_moves=notify_moves)
    return changes


def recompute_all(session: Session, now: datetime, zone: ZoneInfo = DEFAULT_ZONE) -> list[DeadlineChange]:
    """Recompute every request, finished ones included (after loading data, or an upgrade)."""
    context = DeadlineContext(session, zone)
    changes = []
    query = select(CooperationRequest).options(selectinload(CooperationRequest.officers),
                                               selectinload(CooperationRequest.partner))
    for request in session.scalars(query.order_by(CooperationRequest.id)):
        changes += recompute_request(session, request, now, context)
    return changes


def requests_on_working_day_clocks(session: Session, day: date, zone: ZoneInfo = DEFAULT_ZONE,
                                   partner_ids: Iterable[int] | None = None) -> list[int]:
    """Open requests whose running working-day clocks span `day` (a day an administrator moves may move them);
    `partner_ids`: only the requests to these partners (a day moved in one partner's calendar)."""
    query = select(func.distinct(Deadline.request_id)).where(
        Deadline.state.in_((DeadlineState.OPEN, DeadlineState.PAUSED)), Deadline.unit == ClockUnit.WORKING_DAYS,
        or_(Deadline.started_at.is_(None), Deadline.started_at <= end_of_day(day, zone)))
    if partner_ids is not None:
        query = query.where(Deadline.request_id.in_(
            select(CooperationRequest.id).where(CooperationRequest.partner_id.in_(list(partner_ids)))))
    return list(session.scalars(query))


def partner_calendar_key(partner: Partner) -> str:
    """The `CalendarDay.country` of the days an administrator adds to this partner's working days: its holiday
    calendar's country, else a country's own code ("" for a provider without a calendar: none can be added)."""
    if partner.holiday_calendar:
        return partner.holiday_calendar.upper()
    return partner.code.upper() if partner.kind == PartnerKind.COUNTRY else ""


def partners_sharing_calendar(session: Session, key: str) -> list[int]:
    """The ids of the partners whose working days the days added under `key` change."""
    return [partner.id for partner in session.scalars(select(Partner)) if key and partner_calendar_key(partner) == key]


# --- what people do to a deadline ----------------------------------------------------------------------------

def extensions_left(deadline: Deadline) -> int:
    rule = deadline.rule
    if rule is None or not rule.extension_amount or deadline.state not in (DeadlineState.OPEN, DeadlineState.PAUSED):
        return 0
    return max(rule.max_extensions - deadline.extensions, 0)


def extend_deadline(session: Session, deadline: Deadline, request: CooperationRequest, actor: User, reason: str,
                    now: datetime) -> DeadlineAdjustment:
    """Extend the deadline by its rule's extension (the partner agreed), recording why; reminders follow."""
    if not (reason or "").strip():
        raise DeadlineProblem("reason_required")
    if extensions_left(deadline) < 1:
        raise DeadlineProblem("no_extension_left")
    adjustment = DeadlineAdjustment(deadline=deadline, request_id=request.id, kind=AdjustmentKind.EXTENSION,
                                    amount=deadline.rule.extension_amount, unit=deadline.rule.unit,
                                    previous_due_at=deadline.due_at, reason=reason.strip(), actor_id=actor.id, at=now)
    session.add(adjustment)
    session.flush()
    recompute_request(session, request, now, notify_moves=True, actor=actor)
    adjustment.new_due_at = deadline.due_at
    return adjustment


def set_deadline_date(session: Session, deadline: Deadline | None, request: CooperationRequest, kind: DeadlineKind,
                      actor: User, due_at: datetime, reason: str, now: datetime) -> DeadlineAdjustment:
    """Set a deadline's date by hand (a date entered per request, or a correction), recording why."""
    if not (reason or "").strip():
        raise DeadlineProblem("reason_required")
    if deadline is not None and deadline.state in (DeadlineState.MET, DeadlineState.CANCELLED):
        raise DeadlineProblem("ended")
    if deadline is None:
        context = DeadlineContext(session)
        rules = applicable_rules(context.rules_for(request.request_type_id), request.request_type_id,
                                 request.legal_basis_id, request.partner_id)
        rule = next((rule for rule in rules if rule.kind == kind), None)
        if rule is None:
            raise DeadlineProblem("no_such_clock")
        if request.status in FINAL:
            raise DeadlineProblem("ended")
        deadline = Deadline(request_id=request.id, kind=kind, sequence=0, rule_id=rule.id, unit=rule.unit,
                            due_at=due_at, state=DeadlineState.OPEN, created_at=now, explanation={})
        session.add(deadline)
        session.flush()
    adjustment = DeadlineAdjustment(deadline=deadline, request_id=request.id, kind=AdjustmentKind.DATE_SET,
                                    new_due_at=due_at, previous_due_at=deadline.due_at, reason=reason.strip(),
                                    actor_id=actor.id, at=now)
    session.add(adjustment)
    session.flush()
    recompute_request(session, request, now, notify_moves=True, actor=actor)
    return adjustment


def mark_enquiry_sent(session: Session, deadline: Deadline, request: CooperationRequest, actor: User,
                      now: datetime, note: str | None = None) -> DeadlineAdjustment:
    """Record that the status enquiry was sent: this occurrence is met and the next one starts to run."""
    if deadline.kind != DeadlineKind.STATUS_ENQUIRY or deadline.state != DeadlineState.OPEN:
        raise DeadlineProblem("not_an_open_enquiry")
    adjustment = DeadlineAdjustment(deadline=deadline, request_id=request.id, kind=AdjustmentKind.ENQUIRY_SENT,
                                    previous_due_at=deadline.due_at, reason=(note or "").strip() or None,
                                    actor_id=actor.id, at=now)
    session.add(adjustment)
    session.flush()
    recompute_request(session, request, now)
    return adjustment


def clocks_to_enter(session: Session, request: CooperationRequest) -> list[DeadlineRule]:
    """The request's clocks whose date an officer enters (authorisation end ...) and that have none yet."""
    if request.status in FINAL:
        return []
    context = DeadlineContext(session)
    rules = applicable_rules(context.rules_for(request.request_type_id), request.request_type_id,
                             request.legal_basis_id, request.partner_id)
    have = set(session.scalars(select(Deadline.kind).where(Deadline.request_id == request.id)))
    return [rule for rule in rules if rule.start_event == StartEvent.ENTERED and rule.kind not in have]


# --- previewing: what a new request would get ----------------------------------------------------------------

@dataclass
class PreviewClock:
    rule: DeadlineRule
    clock: ComputedClock | None  # None: the date is entered per request, or the requested date is missing
    reminders: list[reminders.PlannedReminder]


def preview(session: Session, request_type: RequestType, legal_basis: LegalBasis | None, partner: Partner | None,
            start: datetime, zone: ZoneInfo = DEFAULT_ZONE, requested_by: date | None = None) -> list[PreviewClock]:
    """The clocks and reminders a new request with these values would get if every start event (sent,
    confirmed, received) happened at `start`, with the rules and calendars in the database."""
    context = DeadlineContext(session, zone)
    facts = RequestFacts(status=Status.IN_EXECUTION, direction=request_type.direction, created_at=start,
                         sent_at=start, received_at=start, confirmed_at=start, requested_by=requested_by)
    rules = applicable_rules(context.rules_for(request_type.id), request_type.id,
                             legal_basis.id if legal_basis else None, partner.id if partner else None)
    found = []
    for rule in rules:
        clock = compute_clock(rule, facts, context.calendar_for(rule, partner), zone)
        planned = []
        if clock is not None:
            planned = reminders.plan_reminders(reminders.parse_reminder_codes(rule.reminders), clock.started_at,
                                               clock.due_at, context.kazakhstan(), zone)
        found.append(PreviewClock(rule, clock, planned))
    return found


# --- seeding the defaults ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DefaultRule:
    """One of coop's default deadline rules (DOMAIN.md); administrators change them afterwards."""

    request_type: str
    kind: DeadlineKind
    start_event: StartEvent
    amount: int = 0
    unit: ClockUnit = ClockUnit.CALENDAR_DAYS
    reminders: tuple[str, ...] = ()
    stop_event: StopEvent = StopEvent.ANSWERED
    pauses: bool = False
    extension_amount: int | None = None
    max_extensions: int = 0
    series: tuple[int, ...] | None = None
    repeat_every: int | None = None
    basis: str | None = None
    partner: str | None = None
    advice_ru: str | None = None
    advice_en: str | None = None
    advice_kk: str | None = None
    note: str | None = None


K, S, U, P = DeadlineKind, StartEvent, ClockUnit, StopEvent
DEFAULT_RULES: tuple[DefaultRule, ...] = (
    DefaultRule("preservation_state", K.CONFIRMATION_EXPECTED, S.SENT, 3, reminders=("D+1",),
                stop_event=P.CONFIRMED,
                advice_ru="Партнёр не подтвердил обеспечение сохранности: свяжитесь с контактным пунктом 24/7.",
                advice_en="The partner has not confirmed the preservation: contact its 24/7 point.",
                advice_kk="Әріптес деректердің сақталуын қамтамасыз етуді растаған жоқ: 24/7 байланыс пунктімен "
                          "хабарласыңыз.",
                note="DOMAIN.md: напомнить, если нет подтверждения в течение 3 дней."),
    DefaultRule("preservation_state", K.PRESERVATION_EXPIRY, S.CONFIRMED, 60,
                reminders=("D-21", "D-14", "D-7", "D-3", "D+1 head"), stop_event=P.FOLLOW_UP_SENT,
                extension_amount=60, max_extensions=1,
                advice_ru="Направьте запрос о правовой помощи или попросите продлить срок сохранности.",
                advice_en="Send the request for assistance or ask for an extension.",
                advice_kk="Құқықтық көмек туралы сұрау салу жіберіңіз немесе сақтау мерзімін ұзартуды сұраңыз.",
                note="Конвенция ООН, ст. 42; Будапештская конвенция, ст. 29: не менее 60 дней. Продление — "
                     "значение coop по умолчанию."),
    DefaultRule("preservation_provider", K.PRESERVATION_EXPIRY, S.CONFIRMED, 90,
                reminders=("D-21", "D-10", "D-3", "D+1 head"), stop_event=P.FOLLOW_UP_SENT,
                extension_amount=90, max_extensions=1,
                advice_ru="Продлите сохранение у провайдера или направьте официальный запрос (legal process).",
                advice_en="Extend the preservation or send legal process.",
                advice_kk="Провайдерде сақтауды ұзартыңыз немесе ресми сұрау салу (legal process) жіберіңіз.",
                note="Политика провайдера: 90 дней и одно продление на 90 дней."),
    DefaultRule("traffic_disclosure", K.ANSWER_EXPECTED, S.SENT, 7, reminders=("S+3", "S+7"), pauses=True,
                advice_ru="Уточните у партнёра ход исполнения запроса.",
                advice_en="Ask the partner how the request is progressing.",
                advice_kk="Әріптестен сұрау салудың орындалу барысын анықтаңыз.",
                note="Конвенция ООН, ст. 43; Будапештская конвенция, ст. 30."),
    DefaultRule("emergency_state", K.ANSWER_EXPECTED, S.SENT, 24, U.HOURS, reminders=("S+4h", "S+8h", "S+24h head"),
                pauses=True,
                advice_ru="Экстренный запрос: свяжитесь с контактным пунктом 24/7 партнёра.",
                advice_en="Emergency request: call the partner's 24/7 point.",
                advice_kk="Шұғыл сұрау салу: әріптестің 24/7 байланыс пунктімен хабарласыңыз.",
                note="Конвенция ООН, ст. 41; Второй протокол, ст. 9–10: часы, а не дни."),
    DefaultRule("emergency_provider", K.ANSWER_EXPECTED, S.SENT, 8, U.HOURS, reminders=("S+2h", "S+8h", "S+24h head"),
                pauses=True,
                advice_ru="Экстренный запрос: напомните провайдеру через его экстренный канал.",
                advice_en="Emergency request: chase the provider through its emergency channel.",
                advice_kk="Шұғыл сұрау салу: провайдерге оның шұғыл арнасы арқылы еске салыңыз.",
                note="Политика провайдера: цель — 8 часов (угроза жизни или тяжкого вреда)."),
    DefaultRule("direct_disclosure", K.ANSWER_EXPECTED, S.SENT, 30, reminders=("S+14", "S+30", "S+60"), pauses=True,
                advice_ru="Запросите статус; через 60 дней рассмотрите официальный запрос о правовой помощи.",
                advice_en="Ask for the status; after 60 days consider formal mutual legal assistance.",
                advice_kk="Мәртебесін сұраңыз; 60 күннен кейін өзара құқықтық көмек туралы ресми сұрау салуды "
                          "қарастырыңыз.",
                note="Политика провайдера: ответ в течение 30 дней."),
    DefaultRule("mla_outgoing", K.ANSWER_EXPECTED, S.REQUESTED_DATE, reminders=("D-7", "D+1"), pauses=True,
                advice_ru="Срок, который мы просили, подходит: уточните статус у центрального органа.",
                advice_en="The date we asked for is near: ask the central authority for the status.",
                advice_kk="Біз сұраған мерзім жақындап қалды: орталық органнан мәртебесін анықтаңыз.",
                note="Договорного срока нет: дата, которую мы просили, с обоснованием."),
    DefaultRule("mla_outgoing", K.STATUS_ENQUIRY, S.SENT, 30, reminders=("D+0",), pauses=True, series=(60, 90),
                repeat_every=60,
                advice_ru="Направьте запрос о ходе исполнения.",
                advice_en="Send a status enquiry.",
                advice_kk="Орындалу барысы туралы сұрау салу жіберіңіз.",
                note="Запросы о ходе исполнения: +30, +60, +90 дней, затем каждые 60."),
    DefaultRule("mla_outgoing", K.HEAD_REVIEW, S.SENT, 180, reminders=("D+0 head",), pauses=True,
                advice_ru="Ответа нет полгода: решите, как добиваться исполнения.",
                advice_en="No answer for six months: decide how to pursue the request.",
                advice_kk="Жарты жыл бойы жауап жоқ: сұрау салудың орындалуына қалай қол жеткізуді шешіңіз.",
                note="Руководитель уведомляется через 180 дней."),
    DefaultRule("realtime_collection", K.AUTHORISATION_END, S.ENTERED, reminders=("D-7", "D-2", "D+1 head"),
                stop_event=P.NONE,
                advice_ru="Продлите санкцию или прекратите сбор данных.",
                advice_en="Renew the authorisation or stop the collection.",
                advice_kk="Санкцияны ұзартыңыз немесе деректерді жинауды тоқтатыңыз.",
                note="Конвенция ООН, ст. 45–46: до окончания внутренней санкции."),
    DefaultRule("mla_incoming", K.EXECUTION_DEADLINE, S.RECEIVED, 30, U.WORKING_DAYS,
                reminders=("D-10", "D-3", "D+1 head"),
                advice_ru="Отказ или отсрочка — только с указанием причин и после консультаций с запрашивающим "
                          "государством.",
                advice_en="A refusal or postponement needs reasons and consultation with the requesting state first.",
                advice_kk="Бас тарту немесе кейінге қалдыру — тек себептерін көрсете отырып және сұрау салушы "
                          "мемлекетпен консультациялардан кейін.",
                note="Внутренний срок исполнения, установленный департаментом: 30 рабочих дней."),
    DefaultRule("joint_investigation", K.AGREEMENT_END, S.ENTERED, reminders=("D-30", "D+1 head"),
                stop_event=P.NONE,
                advice_ru="Решите, продлевать ли соглашение о совместной следственной группе.",
                advice_en="Decide whether to extend the joint investigation team agreement.",
                advice_kk="Бірлескен тергеу тобы туралы келісімді ұзарту-ұзартпауды шешіңіз.",
                note="Конвенция ООН, ст. 48; Второй протокол, ст. 12."),
    DefaultRule("extradition_transfer", K.TIME_LIMIT, S.ENTERED, reminders=("D-14", "D-3", "D+1 head"),
                stop_event=P.NONE,
                advice_ru="Проверьте соблюдение договорного или национального срока.",
                advice_en="Check that the treaty or national time limit is kept.",
                advice_kk="Шартта немесе ұлттық заңда белгіленген мерзімнің сақталуын тексеріңіз.",
                note="Конвенция ООН, ст. 37–39: сроки по договору или закону, вносятся по делу."),
    DefaultRule("freezing_confiscation", K.ORDER_EXPIRY, S.ENTERED, reminders=("D-14", "D+1 head"),
                stop_event=P.NONE,
                advice_ru="Срок ареста истекает: продлите его или подготовьте решение о конфискации.",
                advice_en="The freeze order expires: renew it or prepare the confiscation.",
                advice_kk="Тыйым салу мерзімі бітіп келеді: оны ұзартыңыз немесе тәркілеу туралы шешім дайындаңыз.",
                note="Конвенция ООН, ст. 49–52."),
)


def seed_deadline_rules(session: Session, defaults: Sequence[DefaultRule] = DEFAULT_RULES) -> int:
    """Add the default rules that are missing (matched by type, basis, partner and kind); never change one that
    exists. Rules whose request type, basis or partner is not in the database are skipped. Returns how many
    were added."""
    types = {row.code: row for row in session.scalars(select(RequestType))}
    bases = {row.code: row for row in session.scalars(select(LegalBasis))}
    known = set(session.scalars(select(DeadlineRule.scope_key)))
    added = 0
    for default in defaults:
        request_type = types.get(default.request_type)
        basis = bases.get(default.basis) if default.basis else None
        partner = (session.scalar(select(Partner).where(Partner.code == default.partner))
                   if default.partner else None)
        if request_type is None or (default.basis and basis is None) or (default.partner and partner is None):
            continue
        key = scope_key(default.request_type, default.basis, default.partner, default.kind)
        if key in known:
            continue
        session.add(DeadlineRule(
            scope_key=key, request_type=request_type, legal_basis=basis, partner=partner, kind=default.kind,
            start_event=default.start_event, amount=default.amount, unit=default.unit,
            calendar=WorkingCalendar.KAZAKHSTAN, series=list(default.series) if default.series else None,
            repeat_every=default.repeat_every, stop_event=default.stop_event, pauses=default.pauses,
            extension_amount=default.extension_amount, max_extensions=default.max_extensions,
            reminders=list(default.reminders), advice_ru=default.advice_ru, advice_en=default.advice_en,
            advice_kk=default.advice_kk, note=default.note, active=True))
        known.add(key)
        added += 1
    session.flush()
    return added
