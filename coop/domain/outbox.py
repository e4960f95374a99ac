"""The mail outbox: queue an e-mail in the transaction of the change that causes it, claim it for delivery,
record what delivery did. An SMTP outage delays mail and loses none: a failed attempt is retried with backoff.

No SMTP here (that is coop.mail) and no commit (the caller owns the transaction).
"""

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from coop.models import OutboxMessage, OutboxState, User

# A sender that died mid-delivery leaves its messages claimed; after this long another sender takes them.
LEASE = timedelta(minutes=10)
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(minutes=30)
_UNSAFE = re.compile(r"[^A-Za-z0-9.-]+")


def message_id_for(key: str, domain: str) -> str:
    """The Message-ID of the e-mail queued under `key`: the same on every attempt, so a resend after a lost
    reply is recognised as the same message."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"<coop.{_UNSAFE.sub('.', key).strip('.')}.{digest}@{domain}>"


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt: 1, 2, 4 ... minutes, at most 30."""
    delay = FIRST_RETRY * (2 ** max(attempts - 1, 0))
    return min(delay, LONGEST_RETRY)


def queue_message(session: Session, key: str, recipient: User | None, to_address: str, subject: str,
                  body_text: str, body_html: str | None, domain: str, now: datetime,
                  headers: dict | None = None) -> OutboxMessage | None:
    """Queue an e-mail under `key`; None when one with this key was queued before (it is never queued twice)."""
    if session.scalar(select(OutboxMessage.id).where(OutboxMessage.key == key)) is not None:
        return None
    message = OutboxMessage(key=key, message_id=message_id_for(key, domain), recipient=recipient,
                            to_address=to_address, subject=subject[:300], body_text=body_text, body_html=body_html,
                            headers=headers, state=OutboxState.QUEUED, attempts=0, next_attempt_at=now,
                            created_at=now)
    session.add(message)
    session.flush()
    return message


@dataclass(frozen=True)
class OutgoingMail:
    """What a sender needs of a queued message, read before the claiming transaction ends."""

    id: int
    message_id: str
    to_address: str
    subject: str
    body_text: str
    body_html: str | None
    headers: dict
    created_at: datetime


def _claimable(now: datetime):
    return or_(and_(OutboxMessage.state == OutboxState.QUEUED, OutboxMessage.next_attempt_at <= now),
               and_(OutboxMessage.state == OutboxState.SENDING, OutboxMessage.lease_until < now))


def claim_due_messages(session: Session, now: datetime, holder: str, limit: int = 200) -> list[OutgoingMail]:
    """Claim the messages due for an attempt (and those a dead sender left) for `holder`, oldest first.

    One conditional UPDATE per batch: a message claimed by another sender meanwhile is not taken. (On SQLite
    `SELECT ... FOR UPDATE` is silently dropped, so the claim is the UPDATE itself, under BEGIN IMMEDIATE.)
    """
    candidates = list(session.scalars(select(OutboxMessage.id).where(_claimable(now))
                                      .order_by(OutboxMessage.id).limit(limit)))
    if not candidates:
        return []
    claimed = session.execute(
        update(OutboxMessage).where(OutboxMessage.id.in_(candidates), _claimable(now))
        .values(state=OutboxState.SENDING, claimed_by=holder, lease_until=now + LEASE)
        .returning(OutboxMessage.id).execution_options(synchronize_session=False)).scalars().all()
    rows = session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(claimed)).order_by(OutboxMessage.id))
    return [OutgoingMail(row.id, row.message_id, row.to_address, row.subject, row.body_text, row.body_html,
                         dict(row.headers or {}), row.created_at) for row in rows]


@dataclass(frozen=True)
class Delivery:
    """What one attempt did: delivered, refused for good, or failed for now (retried later)."""

    outbox_id: int
    delivered: bool
    permanent: bool = False
    error: str | None = None
    attempted: bool = True  # False: not tried at all (the server was already unreachable)


def record_delivery(session: Session, delivery: Delivery, holder: str, now: datetime) -> None:
    """Note the result of an attempt on a message `holder` claimed."""
    mine = and_(OutboxMessage.id == delivery.outbox_id, OutboxMessage.claimed_by == holder,
                OutboxMessage.state == OutboxState.SENDING)
    message = session.scalar(select(OutboxMessage).where(mine))
    if message is None:
        return  # the lease ran out and another sender took it over
    attempts = message.attempts + (1 if delivery.attempted else 0)
    message.attempts, message.lease_until, message.claimed_by = attempts, None, None
    if delivery.delivered:
        message.state, message.sent_at, message.last_error = OutboxState.SENT, now, None
    elif delivery.permanent:
        message.state, message.last_error = OutboxState.FAILED, delivery.error
    else:
        message.state, message.last_error = OutboxState.QUEUED, delivery.error
        message.next_attempt_at = now + retry_delay(max(attempts, 1))
    session.flush()


def retry_failed(session: Session, message_id: int, now: datetime) -> bool:
    """Queue a message refused for good once more (an administrator corrected the address)."""
    return bool(session.execute(
        update(OutboxMessage).where(OutboxMessage.id == message_id, OutboxMessage.state == OutboxState.FAILED)
        .values(state=OutboxState.QUEUED, next_attempt_at=now)).rowcount)


def outbox_counts(session: Session) -> dict[OutboxState, int]:
    """How many messages are in each state."""
    counts = dict(session.execute(select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)).all())
    return {state: counts.get(state, 0) for state in OutboxState}
