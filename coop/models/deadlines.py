"""Deadline rules, the clocks they put on requests, what moved them, the reminders they cause, and calendars.

How each clock is computed lives in `coop.domain.deadlines`; these tables keep the result and the reasons,
so that a deadline can be shown, explained and recomputed.
"""

import enum
from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coop.models.base import Base, utcnow
from coop.models.partners import LegalBasis, Partner, RequestType
from coop.models.user import User, enum_column


class DeadlineKind(enum.StrEnum):
    """What a clock measures; partners owe us the first ones, we owe the others."""

    ANSWER_EXPECTED = "answer_expected"
    CONFIRMATION_EXPECTED = "confirmation_expected"
    STATUS_ENQUIRY = "status_enquiry"
    HEAD_REVIEW = "head_review"
    PRESERVATION_EXPIRY = "preservation_expiry"
    EXECUTION_DEADLINE = "execution_deadline"
    AUTHORISATION_END = "authorisation_end"
    AGREEMENT_END = "agreement_end"
    ORDER_EXPIRY = "order_expiry"
    TIME_LIMIT = "time_limit"


class DeadlineState(enum.StrEnum):
    """OPEN clocks run ("overdue" is OPEN with `due_at` past); PAUSED ones wait for us; the others ended."""

    OPEN = "open"
    PAUSED = "paused"
    MET = "met"
    CANCELLED = "cancelled"


class ClockUnit(enum.StrEnum):
    CALENDAR_DAYS = "calendar_days"
    WORKING_DAYS = "working_days"
    HOURS = "hours"


class StartEvent(enum.StrEnum):
    """The moment a clock starts from."""

    CREATED = "created"
    SENT = "sent"
    CONFIRMED = "confirmed"  # the partner confirmed (acknowledged, or began executing)
    RECEIVED = "received"
    REQUESTED_DATE = "requested_date"  # runs from sending to the date we asked for
    ENTERED = "entered"  # an officer enters the date for each request (authorisation end, agreement end ...)


class StopEvent(enum.StrEnum):
    """What meets a clock; closing the request stops every clock in any case."""

    ANSWERED = "answered"
    CONFIRMED = "confirmed"
    FOLLOW_UP_SENT = "follow_up_sent"
    NONE = "none"


class WorkingCalendar(enum.StrEnum):
    """Whose working days a working-day clock counts."""

    KAZAKHSTAN = "kazakhstan"
    PARTNER = "partner"


class DeadlineRule(Base):
    """How long a clock runs for a request type, optionally only for one legal basis and/or one partner.

    The most specific active rule wins: partner and basis, then partner, then basis, then the type alone.
    """

    __tablename__ = "deadline_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    # "type:basis:partner:kind" with "*" for "any": one rule per scope and clock, checked by the database.
    scope_key: Mapped[str] = mapped_column(String(200), unique=True)
    request_type_id: Mapped[int] = mapped_column(ForeignKey("request_type.id", ondelete="CASCADE"), index=True)
    legal_basis_id: Mapped[int | None] = mapped_column(ForeignKey("legal_basis.id", ondelete="CASCADE"))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"))
    kind: Mapped[DeadlineKind] = mapped_column(enum_column(DeadlineKind))
    start_event: Mapped[StartEvent] = mapped_column(enum_column(StartEvent))
    amount: Mapped[int] = mapped_column(default=0)  # length of the clock (the first occurrence of a series)
    unit: Mapped[ClockUnit] = mapped_column(enum_column(ClockUnit), default=ClockUnit.CALENDAR_DAYS)
    calendar: Mapped[WorkingCalendar] = mapped_column(enum_column(WorkingCalendar),
                                                      default=WorkingCalendar.KAZAKHSTAN)
    # A series (status enquiries): later occurrences counted from the start, then one every `repeat_every`.
    series: Mapped[list | None] = mapped_column(JSON)
    repeat_every: Mapped[int | None]
    stop_event: Mapped[StopEvent] = mapped_column(enum_column(StopEvent), default=StopEvent.ANSWERED)
    # Whether the clock stops while we owe the partner additional information.
    pauses: Mapped[bool] = mapped_column(default=False)
    extension_amount: Mapped[int | None]
    max_extensions: Mapped[int] = mapped_column(default=0)
    # Reminder codes: "D-21" (21 days before the date), "S+4h" (4 hours after the start), "D+1 head" ...
    reminders: Mapped[list] = mapped_column(JSON, default=list)
    advice_ru: Mapped[str | None] = mapped_column(Text)  # what the officer should do when reminded
    advice_en: Mapped[str | None] = mapped_column(Text)
    advice_kk: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)  # where the figure comes from
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    request_type: Mapped[RequestType] = relationship()
    legal_basis: Mapped[LegalBasis | None] = relationship()
    partner: Mapped[Partner | None] = relationship()

    def advice(self, language: str) -> str | None:
        """The advice in `language` ("ru", "en", "kk"), falling back to Russian."""
        return (getattr(self, f"advice_{language}", None) if language != "ru" else None) or self.advice_ru

    def __repr__(self) -> str:
        return f"<DeadlineRule {self.scope_key}>"


class Deadline(Base):
    """One clock of one request: when it falls due, whether it still runs, and how it was computed."""

    __tablename__ = "deadline"
    __table_args__ = (
        UniqueConstraint("request_id", "kind", "sequence", name="uq_deadline_clock"),
        Index("ix_deadline_state_due_at", "state", "due_at"),
        # A request's open clocks and the earliest of them, read from the index alone; it matches
        # `request_id = ? AND state = ?` better than (state, due_at) does, so SQLite picks it without statistics.
        Index("ix_deadline_request_state_due_at", "request_id", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("cooperation_request.id", ondelete="CASCADE"))
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("deadline_rule.id", ondelete="SET NULL"), index=True)
    kind: Mapped[DeadlineKind] = mapped_column(enum_column(DeadlineKind))
    sequence: Mapped[int] = mapped_column(default=0)  # the occurrence of a series (status enquiries)
    state: Mapped[DeadlineState] = mapped_column(enum_column(DeadlineState), default=DeadlineState.OPEN)
    unit: Mapped[ClockUnit] = mapped_column(enum_column(ClockUnit))
    started_at: Mapped[datetime | None]
    due_at: Mapped[datetime]  # aware UTC; the end of the local day for clocks counted in days
    base_due_at: Mapped[datetime | None]  # before pauses, extensions and changes
    paused_at: Mapped[datetime | None]
    met_at: Mapped[datetime | None]
    ended_reason: Mapped[str | None] = mapped_column(String(32))  # why it was met or cancelled
    extensions: Mapped[int] = mapped_column(default=0)
    # Start event, rule, days skipped, pauses, extensions, changes (coop.domain.deadlines.explain).
    explanation: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    rule: Mapped[DeadlineRule | None] = relationship()
    adjustments: Mapped[list["DeadlineAdjustment"]] = relationship(
        back_populates="deadline", cascade="all, delete-orphan", order_by="DeadlineAdjustment.id")

    def overdue(self, now: datetime) -> bool:
        return self.state == DeadlineState.OPEN and self.due_at < now

    def __repr__(self) -> str:
        return f"<Deadline {self.request_id} {self.kind.value}#{self.sequence} {self.state.value} {self.due_at}>"


class AdjustmentKind(enum.StrEnum):
    EXTENSION = "extension"
    DATE_SET = "date_set"  # a date entered or changed by hand
    ENQUIRY_SENT = "enquiry_sent"


class DeadlineAdjustment(Base):
    """A change a person made to a clock, with their reason; recomputation replays these."""

    __tablename__ = "deadline_adjustment"

    id: Mapped[int] = mapped_column(primary_key=True)
    deadline_id: Mapped[int] = mapped_column(ForeignKey("deadline.id", ondelete="CASCADE"), index=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("cooperation_request.id", ondelete="CASCADE"), index=True)
    kind: Mapped[AdjustmentKind] = mapped_column(enum_column(AdjustmentKind))
    amount: Mapped[int | None]
    unit: Mapped[ClockUnit | None] = mapped_column(enum_column(ClockUnit))
    new_due_at: Mapped[datetime | None]
    previous_due_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    deadline: Mapped[Deadline] = relationship(back_populates="adjustments")
    actor: Mapped[User | None] = relationship()


class ReminderKind(enum.StrEnum):
    BEFORE = "before"  # ahead of the date
    AFTER = "after"  # the date passed: chase the partner, or act at once
    ESCALATION = "escalation"  # a head is told
    MOVED = "moved"  # the date moved (a rule or a calendar changed)


class ReminderState(enum.StrEnum):
    PENDING = "pending"  # not yet handed to the mail outbox
    SENT = "sent"  # handed over (or nobody to e-mail): still shown until marked done
    DONE = "done"
    SNOOZED = "snoozed"
    CANCELLED = "cancelled"  # its clock ended before it was due


class Reminder(Base):
    """One reminder to one person about one clock. Its key makes it unique: it is never sent twice."""

    __tablename__ = "reminder"
    __table_args__ = (
        # The date it reminds of is part of the key: a moved date deserves its own reminders.
        UniqueConstraint("request_id", "deadline_id", "kind", "offset_code", "recipient_id", "deadline_due_at",
                         name="uq_reminder_key"),
        Index("ix_reminder_state_due_at", "state", "due_at"),
        Index("ix_reminder_recipient_state_due_at", "recipient_id", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("cooperation_request.id", ondelete="CASCADE"), index=True)
    deadline_id: Mapped[int] = mapped_column(ForeignKey("deadline.id", ondelete="CASCADE"), index=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    kind: Mapped[ReminderKind] = mapped_column(enum_column(ReminderKind))
    offset_code: Mapped[str] = mapped_column(String(24))  # "D-21", "S+4h", "moved"
    deadline_due_at: Mapped[datetime]
    due_at: Mapped[datetime]  # when to remind
    immediate: Mapped[bool] = mapped_column(default=False)  # e-mailed at once, not in the daily digest
    state: Mapped[ReminderState] = mapped_column(enum_column(ReminderState), default=ReminderState.PENDING)
    sent_at: Mapped[datetime | None]
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_message.id", ondelete="SET NULL"))
    done_at: Mapped[datetime | None]
    snoozed_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    deadline: Mapped[Deadline] = relationship()
    recipient: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<Reminder {self.deadline_id} {self.offset_code} -> {self.recipient_id} {self.state.value}>"


class CalendarDay(Base):
    """A day an administrator moved: a day off, or a weekend day worked (the government decrees them)."""

    __tablename__ = "calendar_day"
    __table_args__ = (UniqueConstraint("country", "day", name="uq_calendar_day_country_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    country: Mapped[str] = mapped_column(String(8), default="KZ")
    day: Mapped[date]
    working: Mapped[bool]  # True: a working day (a working Saturday); False: a day off
    note: Mapped[str] = mapped_column(String(300))  # the decree, or why
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    created_by: Mapped[User | None] = relationship()


class CalendarFeed(Base):
    """A person's private iCalendar feed: only the token's hash is kept; a new token revokes the old."""

    __tablename__ = "calendar_feed"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class SweepLock(Base):
    """A named lock row for the reminder sweep, also recording when it last ran and what it did."""

    __tablename__ = "sweep_lock"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(64))
    acquired_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    last_report: Mapped[dict | None] = mapped_column(JSON)
