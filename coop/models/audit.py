"""The tamper-evident audit trail: every change to what matters, chained by hashes."""

from datetime import datetime

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from coop.models.base import Base, utcnow


class AuditRecord(Base):
    """One change (or one recorded reading) of an audited row; `digest` chains it to the record before."""

    __tablename__ = "audit_record"
    # One entity's history, in order: its page, and `coop audit verify` comparing rows with their history.
    __table_args__ = (Index("ix_audit_record_entity", "entity", "entity_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None]  # no foreign key: the trail outlives the users it names
    actor_name: Mapped[str | None] = mapped_column(String(200))
    via: Mapped[str] = mapped_column(String(16))  # web, api, cli
    entity: Mapped[str] = mapped_column(String(64))  # table name
    entity_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))  # insert, update, delete, read
    changes: Mapped[dict] = mapped_column(JSON)  # {field: [old, new]}
    previous_digest: Mapped[str] = mapped_column(String(64))
    digest: Mapped[str] = mapped_column(String(64), unique=True)


class AuditCheckpoint(Base):
    """A signed statement of the trail's head at one moment: its last record, its digest and how many records.

    The signature comes from a key kept outside the database, and copies are e-mailed and printed, so that a
    trail cut short, rewritten or rebuilt after the checkpoint no longer reaches it.
    """

    __tablename__ = "audit_checkpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_record_id: Mapped[int]
    records: Mapped[int]
    digest: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(64))  # SHA-256 of the public key that signed it
    signature: Mapped[str] = mapped_column(String(128))  # base64 of the Ed25519 signature
    via: Mapped[str] = mapped_column(String(16))  # sweep, cli
