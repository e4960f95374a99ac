"""Identifiers marked as the same person's, and the networks of cases that shared identifiers connect.

`case_network` and `network` are kept by `coop.domain.networks` in the same transaction as every change to
identifiers, requests' cases and links, so the head's list of networks reads a few rows at a million requests.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coop.models.base import Base, utcnow
from coop.models.requests import IdentifierKind
from coop.models.user import User, enum_column


class IdentifierLink(Base):
    """An officer's finding that two identifiers (by kind and canonical form) belong to the same person.

    The pair is stored in a fixed order (the smaller key first), so the same finding cannot be recorded twice.
    """

    __tablename__ = "identifier_link"
    __table_args__ = (
        UniqueConstraint("kind_a", "normalized_a", "kind_b", "normalized_b"),
        Index("ix_identifier_link_b", "kind_b", "normalized_b"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind_a: Mapped[IdentifierKind] = mapped_column(enum_column(IdentifierKind))
    normalized_a: Mapped[str] = mapped_column(String(500))
    kind_b: Mapped[IdentifierKind] = mapped_column(enum_column(IdentifierKind))
    normalized_b: Mapped[str] = mapped_column(String(500))
    reason: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    created_by: Mapped[User | None] = relationship()


class Network(Base):
    """A connected group of at least two cases; its id is the smallest id of its cases."""

    __tablename__ = "network"
    __table_args__ = (Index("ix_network_size", "case_count", "request_count", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    case_count: Mapped[int]
    request_count: Mapped[int]
    identifier_count: Mapped[int]


class CaseNetwork(Base):
    """The network a case belongs to (a case alone, connected to no other, has no row)."""

    __tablename__ = "case_network"

    case_id: Mapped[int] = mapped_column(ForeignKey("criminal_case.id", ondelete="CASCADE"), primary_key=True,
                                         autoincrement=False)
    network_id: Mapped[int] = mapped_column(index=True)
