"""Letters: the templates they are drafted from, each letter drafted (the outgoing register), and its numbering.

How a template is chosen, what a letter lacks and how it is numbered live in `coop.domain.letters`.
"""

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from coop.models.base import Base, utcnow
from coop.models.deadlines import Deadline
from coop.models.partners import LegalBasis, Partner, RequestType
from coop.models.requests import CooperationRequest, Document, RequestEvent
from coop.models.user import User, enum_column


class LetterKind(enum.StrEnum):
    """What a letter is for; a request's own letter depends on its type (`coop.domain.letters.request_letter_kind`)."""

    PRESERVATION = "preservation"
    ASSISTANCE = "assistance"  # a request for mutual legal assistance, or a direct request to a provider
    EMERGENCY = "emergency"
    STATUS_ENQUIRY = "status_enquiry"
    EXTENSION = "extension"  # of a preservation, before it lapses
    REPLY = "reply"  # to an incoming request


class LetterState(enum.StrEnum):
    DRAFTED = "drafted"
    SIGNED = "signed"  # the final, signed version is uploaded
    SENT = "sent"


class LetterTemplate(Base):
    """A .docx with Jinja fields, for one kind of letter in one language, optionally only for one request type,
    legal basis or partner (the most specific wins)."""

    __tablename__ = "letter_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    # "kind:language:type:basis:partner" with "*" for "any": one template per scope, checked by the database.
    scope_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[LetterKind] = mapped_column(enum_column(LetterKind))
    language: Mapped[str] = mapped_column(String(8))
    request_type_id: Mapped[int | None] = mapped_column(ForeignKey("request_type.id", ondelete="CASCADE"))
    legal_basis_id: Mapped[int | None] = mapped_column(ForeignKey("legal_basis.id", ondelete="CASCADE"))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    # The .docx itself (a few tens of KB); loaded only when a letter is drafted or the file downloaded.
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    original_name: Mapped[str | None] = mapped_column(String(255))  # the uploaded file's name; None: built in
    builtin: Mapped[bool] = mapped_column(default=False)  # seeded by coop (an administrator may replace it)
    active: Mapped[bool] = mapped_column(default=True)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    request_type: Mapped[RequestType | None] = relationship()
    legal_basis: Mapped[LegalBasis | None] = relationship()
    partner: Mapped[Partner | None] = relationship()
    updated_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<LetterTemplate {self.scope_key}>"


class LetterNumbering(Base):
    """How the department numbers its outgoing letters (one row): e.g. "12-34/{number}"."""

    __tablename__ = "letter_numbering"

    id: Mapped[int] = mapped_column(primary_key=True)
    pattern: Mapped[str] = mapped_column(String(64))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Letter(Base):
    """One letter coop drafted: an entry of the outgoing register, with its number, date and addressee."""

    __tablename__ = "letter"
    __table_args__ = (Index("ix_letter_dated", "dated", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The department's outgoing number: unique and never reused (coop.domain.letters.allocate_number).
    number: Mapped[str] = mapped_column(String(64), unique=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("cooperation_request.id", ondelete="CASCADE"), index=True)
    kind: Mapped[LetterKind] = mapped_column(enum_column(LetterKind))
    language: Mapped[str] = mapped_column(String(8))
    state: Mapped[LetterState] = mapped_column(enum_column(LetterState), default=LetterState.DRAFTED)
    dated: Mapped[date]
    addressee: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(String(300))
    template_id: Mapped[int | None] = mapped_column(ForeignKey("letter_template.id", ondelete="SET NULL"))
    # The status enquiry or the preservation this letter answers a reminder about.
    deadline_id: Mapped[int | None] = mapped_column(ForeignKey("deadline.id", ondelete="SET NULL"))
    # What the record still lacked when it was drafted (checklist codes).
    missing: Mapped[str | None] = mapped_column(Text)
    draft_document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id", ondelete="SET NULL"))
    final_document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id", ondelete="SET NULL"))
    # The workflow move (or the history entry) that recorded the letter as sent.
    sent_event_id: Mapped[int | None] = mapped_column(ForeignKey("request_event.id", ondelete="SET NULL"))
    sent_at: Mapped[datetime | None]
    drafted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    drafted_at: Mapped[datetime] = mapped_column(default=utcnow)

    request: Mapped[CooperationRequest] = relationship()
    template: Mapped[LetterTemplate | None] = relationship()
    deadline: Mapped[Deadline | None] = relationship()
    draft_document: Mapped[Document | None] = relationship(foreign_keys=[draft_document_id])
    final_document: Mapped[Document | None] = relationship(foreign_keys=[final_document_id])
    sent_event: Mapped[RequestEvent | None] = relationship()
    drafted_by: Mapped[User | None] = relationship()

    def missing_codes(self) -> list[str]:
        return [code for code in (self.missing or "").split(",") if code]

    def __repr__(self) -> str:
        return f"<Letter {self.number} {self.kind.value}>"
