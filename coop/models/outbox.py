"""The mail outbox: an e-mail is a row committed with the change that causes it, delivered afterwards."""

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coop.models.base import Base, utcnow
from coop.models.user import User, enum_column


class OutboxState(enum.StrEnum):
    QUEUED = "queued"  # waiting for its (next) attempt
    SENDING = "sending"  # claimed by a sender until `lease_until`
    SENT = "sent"
    FAILED = "failed"  # refused for good (a bad address): an administrator looks at it


class OutboxMessage(Base):
    """One e-mail to one person. `key` says what it is about, so the same e-mail is never queued twice."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_state_next_attempt_at", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)  # "digest:12:2026-03-02", "reminder:345"
    # Derived from the key: a retry after a lost reply carries the same Message-ID, so it is recognised.
    message_id: Mapped[str] = mapped_column(String(255))
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    headers: Mapped[dict | None] = mapped_column(JSON)  # extra headers, e.g. the reminders it carries
    state: Mapped[OutboxState] = mapped_column(enum_column(OutboxState), default=OutboxState.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    recipient: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.key} {self.state.value}>"
