"""The tamper-evident audit trail: every change to what matters, chained by hashes."""

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from coop.models.base import Base, utcnow


class AuditRecord(Base):
    """One change (or one recorded reading) of an audited row; `digest` chains it to the record before."""

    __tablename__ = "audit_record"

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
