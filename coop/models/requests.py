"""Cases, cooperation requests, their identifiers, documents and history."""

import enum
from datetime import date, datetime

from sqlalchemy import DDL, Column, ForeignKey, Index, String, Table, Text, UniqueConstraint, event, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from coop.models.base import Base, utcnow
from coop.models.partners import Direction, LegalBasis, Partner, RequestType
from coop.models.user import User, enum_column


class Status(enum.StrEnum):
    """Every status of either workflow; `coop.domain.workflow` says which moves are allowed."""

    # Outgoing
    DRAFT = "draft"
    LEGAL_CHECK = "legal_check"
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"
    TRANSLATION = "translation"
    SENT = "sent"
    FORWARDED = "forwarded"
    ACKNOWLEDGED = "acknowledged"
    ADDITIONAL_INFO_REQUESTED = "additional_info_requested"
    PARTIALLY_ANSWERED = "partially_answered"
    EVIDENCE_REVIEWED = "evidence_reviewed"
    # Incoming
    RECEIVED = "received"
    REGISTERED = "registered"
    ASSESSED = "assessed"
    CONSULTATION = "consultation"
    # Both
    IN_EXECUTION = "in_execution"
    ANSWERED = "answered"
    CLOSED = "closed"
    # Side exits
    POSTPONED = "postponed"
    REFUSED = "refused"
    NO_DATA = "no_data"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


class Urgency(enum.StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"
    EMERGENCY = "emergency"


class IdentifierKind(enum.StrEnum):
    ACCOUNT = "account"  # URL or handle, with its platform
    PHONE = "phone"  # E.164
    EMAIL = "email"
    IP = "ip"  # with the exact time and its zone
    TRANSACTION = "transaction"
    WALLET = "wallet"
    DOMAIN = "domain"


class CaseStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Case(Base):
    """A national criminal case; it groups the requests sent for it to many partners."""

    __tablename__ = "criminal_case"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)  # the national criminal case number
    title: Mapped[str] = mapped_column(String(300))
    offence: Mapped[str | None] = mapped_column(String(300))  # article of the Criminal Code and its wording
    summary: Mapped[str | None] = mapped_column(Text)
    status: Mapped[CaseStatus] = mapped_column(enum_column(CaseStatus), default=CaseStatus.OPEN)
    responsible_officer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    opened_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    responsible_officer: Mapped[User | None] = relationship()
    requests: Mapped[list["CooperationRequest"]] = relationship(back_populates="case")


request_officer = Table(
    "request_officer",
    Base.metadata,
    Column("request_id", ForeignKey("cooperation_request.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
    # An officer's requests read from the index alone (the list's officer filter counts them).
    Index("ix_request_officer_user_id", "user_id", "request_id"),
)


class CooperationRequest(Base):
    """One request sent to or received from a partner."""

    __tablename__ = "cooperation_request"
    __table_args__ = (
        Index("ix_cooperation_request_status_direction", "status", "direction"),
        Index("ix_cooperation_request_partner_status", "partner_id", "status"),
        # The dashboard counts by these milestones over a period; the extra columns let it filter without
        # reading the table (coop.domain.statistics).
        Index("ix_cooperation_request_sent_at", "sent_at", "request_type_id", "partner_id"),
        Index("ix_cooperation_request_received_at", "received_at", "request_type_id", "partner_id"),
        Index("ix_cooperation_request_acknowledged_at", "acknowledged_at", "sent_at", "partner_id", "request_type_id"),
        Index("ix_cooperation_request_answered_at", "answered_at", "sent_at", "partner_id", "request_type_id",
              "status"),
        # The list's default order (newest first, id breaking ties) read from the index alone, with what an
        # officer's visibility rule needs, so a deep page skips index entries instead of rows.
        Index("ix_cooperation_request_created_at", "created_at", "id", "restricted"),
        # The smallest index an officer's count can read (the visibility rule looks at `restricted` first).
        Index("ix_cooperation_request_restricted", "restricted"),
        # The head's list of networks reads, for every request of its networks' cases, the partner and whether it
        # still waits for an answer, from this index alone (coop.domain.networks.largest_networks).
        Index("ix_cooperation_request_case_progress", "case_id", "direction", "status", "sent_at", "answered_at",
              "partner_id"),
        # Only follow-ups are indexed: with every other row NULL, SQLite's statistics would otherwise say that
        # each value matches the whole table, and it would scan it to find a request's follow-ups.
        Index("ix_cooperation_request_follows_id", "follows_id", sqlite_where=text("follows_id IS NOT NULL"),
              postgresql_where=text("follows_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Ours, allocated by coop.domain.references: unique and never reused.
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    direction: Mapped[Direction] = mapped_column(enum_column(Direction))
    request_type_id: Mapped[int] = mapped_column(ForeignKey("request_type.id", ondelete="RESTRICT"), index=True)
    legal_basis_id: Mapped[int | None] = mapped_column(ForeignKey("legal_basis.id", ondelete="RESTRICT"))
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id", ondelete="RESTRICT"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("criminal_case.id", ondelete="SET NULL"), index=True)
    # The request this one follows up (a preservation, then the assistance request, then supplements).
    follows_id: Mapped[int | None] = mapped_column(ForeignKey("cooperation_request.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[Status] = mapped_column(enum_column(Status))
    urgency: Mapped[Urgency] = mapped_column(enum_column(Urgency), default=Urgency.NORMAL)
    emergency_justification: Mapped[str | None] = mapped_column(Text)
    restricted: Mapped[bool] = mapped_column(default=False)

    # The contents a request must carry (DOMAIN.md: the checklist).
    requesting_authority: Mapped[str | None] = mapped_column(Text)
    investigation_subject: Mapped[str | None] = mapped_column(Text)  # subject, nature, who conducts it
    facts: Mapped[str | None] = mapped_column(Text)
    offence: Mapped[str | None] = mapped_column(Text)  # the offence and its penalty
    assistance_sought: Mapped[str | None] = mapped_column(Text)  # and any procedure to follow
    persons: Mapped[str | None] = mapped_column(Text)  # persons, items concerned: identity, location, nationality
    purpose: Mapped[str | None] = mapped_column(Text)
    data_period_from: Mapped[date | None]
    data_period_to: Mapped[date | None]
    requested_by: Mapped[date | None]  # the deadline we ask for ...
    requested_by_reasons: Mapped[str | None] = mapped_column(Text)  # ... and why
    confidentiality: Mapped[str | None] = mapped_column(Text)
    # A preservation request also names the custodian or location of the data, and states that a
    # request for assistance will follow (DOMAIN.md).
    data_custodian: Mapped[str | None] = mapped_column(Text)
    follow_up_promised: Mapped[bool] = mapped_column(default=False, server_default=false())

    # When the milestones happened (set by the workflow, shown and used as start events for clocks).
    sent_at: Mapped[datetime | None]
    received_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    # Set when the request came from a spreadsheet: a hash of the row's own number or key fields, so that
    # importing the same file again finds it (coop.domain.importing).
    import_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Optimistic locking: an edit names the version it started from (coop.domain compares it).
    version: Mapped[int] = mapped_column(default=1)

    request_type: Mapped[RequestType] = relationship()
    legal_basis: Mapped[LegalBasis | None] = relationship()
    partner: Mapped[Partner] = relationship()
    case: Mapped[Case | None] = relationship(back_populates="requests")
    follows: Mapped["CooperationRequest | None"] = relationship(remote_side=[id], back_populates="followed_by")
    followed_by: Mapped[list["CooperationRequest"]] = relationship(back_populates="follows")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    officers: Mapped[list[User]] = relationship(secondary=request_officer, order_by=User.full_name)
    identifiers: Mapped[list["Identifier"]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="Identifier.id"
    )
    partner_references: Mapped[list["PartnerReference"]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="PartnerReference.id"
    )
    documents: Mapped[list["Document"]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="Document.id"
    )
    events: Mapped[list["RequestEvent"]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="RequestEvent.id"
    )

    def __repr__(self) -> str:
        return f"<CooperationRequest {self.reference} {self.status.value}>"


class Identifier(Base):
    """An account, phone number, e-mail, IP address (with its exact time) ... named in a request."""

    __tablename__ = "identifier"
    __table_args__ = (Index("ix_identifier_kind_normalized", "kind", "normalized"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("cooperation_request.id", ondelete="CASCADE"), index=True)
    kind: Mapped[IdentifierKind] = mapped_column(enum_column(IdentifierKind))
    platform: Mapped[str | None] = mapped_column(String(64))  # instagram, facebook, telegram, whatsapp ...
    value: Mapped[str] = mapped_column(String(500))  # as entered
    # The canonical form used to find the same identifier in other requests (E.164, lower-case ...).
    normalized: Mapped[str] = mapped_column(String(500))
    observed_at: Mapped[datetime | None]  # UTC; required for an IP address
    observed_zone: Mapped[str | None] = mapped_column(String(64))  # the zone the time was given in
    note: Mapped[str | None] = mapped_column(Text)

    request: Mapped[CooperationRequest] = relationship(back_populates="identifiers")


def reference_search_key(reference: str) -> str:
    """A reference number reduced to its letters and digits, in lower case: "MLA 2026/15-b" and "mla-2026-15b" are
    the same number to the people who type them, and an exact look-up of this form finds either."""
    return "".join(character for character in reference.casefold() if character.isalnum())[:120]


class PartnerReference(Base):
    """A reference number the partner gave the request (one request may get several)."""

    __tablename__ = "partner_reference"
    __table_args__ = (UniqueConstraint("request_id", "reference"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("cooperation_request.id", ondelete="CASCADE"), index=True)
    reference: Mapped[str] = mapped_column(String(120), index=True)
    # `reference_search_key(reference)`, kept with it: the text search finds an exact number through its index.
    reference_key: Mapped[str] = mapped_column(String(120), index=True, default="", server_default="")
    note: Mapped[str | None] = mapped_column(String(300))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    request: Mapped[CooperationRequest] = relationship(back_populates="partner_references")

    @validates("reference")
    def _keep_key(self, _name: str, value: str) -> str:
        self.reference_key = reference_search_key(value or "")
        return value


class DocumentKind(enum.StrEnum):
    REQUEST_LETTER = "request_letter"
    TRANSLATION = "translation"
    ANSWER = "answer"
    EVIDENCE = "evidence"
    SCREENSHOT = "screenshot"
    CORRESPONDENCE = "correspondence"
    OTHER = "other"


class Document(Base):
    """A file attached to a request, stored outside the web root under its SHA-256."""

    __tablename__ = "document"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("cooperation_request.id", ondelete="CASCADE"), index=True)
    kind: Mapped[DocumentKind] = mapped_column(enum_column(DocumentKind))
    original_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int]
    content_type: Mapped[str] = mapped_column(String(127))
    dated: Mapped[date | None]  # when it was sent or received
    note: Mapped[str | None] = mapped_column(Text)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    request: Mapped[CooperationRequest] = relationship(back_populates="documents")
    uploaded_by: Mapped[User | None] = relationship()


class EventKind(enum.StrEnum):
    CREATED = "created"
    CHANGED = "changed"  # a field changed: field, old_value, new_value
    TRANSITION = "transition"  # from_status -> to_status
    NOTE = "note"
    DOCUMENT = "document"
    PARTNER_REFERENCE = "partner_reference"
    IDENTIFIER = "identifier"


class RequestEvent(Base):
    """One entry of a request's history: who, when, what changed, why, and what was sent or received."""

    __tablename__ = "request_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("cooperation_request.id", ondelete="CASCADE"), index=True)
    kind: Mapped[EventKind] = mapped_column(enum_column(EventKind))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    from_status: Mapped[Status | None] = mapped_column(enum_column(Status))
    to_status: Mapped[Status | None] = mapped_column(enum_column(Status))
    field: Mapped[str | None] = mapped_column(String(64))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    comment: Mapped[str | None] = mapped_column(Text)  # the reason, or the note itself
    channel: Mapped[str | None] = mapped_column(String(64))  # how it was sent or received
    partner_reference: Mapped[str | None] = mapped_column(String(120))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id", ondelete="SET NULL"))
    occurred_on: Mapped[date | None]  # the date on the document, when it differs from the entry's
    # How the change came when not through the web pages: "api" (detail: the token's name) or "import"
    # (detail: the file and row).
    via: Mapped[str | None] = mapped_column(String(16))
    via_detail: Mapped[str | None] = mapped_column(String(300))

    request: Mapped[CooperationRequest] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()
    document: Mapped[Document | None] = relationship()


class ReferenceCounter(Base):
    """The last number given in a series ("OUT-2026"); incremented in place, so never reused."""

    __tablename__ = "reference_counter"

    series: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_value: Mapped[int] = mapped_column(default=0)


# --- text search indexes ------------------------------------------------------------------------------------
# The request list's text search (coop.domain.text_search) looks for a substring, ignoring letter case, in these
# columns. No B-tree index serves "contains", so each database gets an index of trigrams, made by SQL of our own
# that the models cannot describe:
# - SQLite: an FTS5 table per searched table (`<table>_fts`, tokenizer `trigram`, which folds case in every
#   alphabet), holding the index only (its content is the table itself) and kept in step by triggers. A batch
#   migration that rebuilds one of these tables on SQLite drops its triggers: it must create them again.
# - PostgreSQL: a pg_trgm GIN index on the lower-case text of each column, used by `lower(column) LIKE ...`.
# The migration c2a7e51f0d3b creates the same objects in an existing database.
SEARCHED_COLUMNS: dict[str, tuple[str, ...]] = {
    "cooperation_request": ("reference", "title"),
    "partner_reference": ("reference",),
    "identifier": ("value", "normalized"),
    # The national criminal case number (its number in the register of pre-trial investigations, ЕРДР).
    "criminal_case": ("number",),
}
FTS5_SHADOW_SUFFIXES = ("_data", "_idx", "_docsize", "_config", "_content")


def fts_table(table: str) -> str:
    return f"{table}_fts"


def trigram_index(table: str, column: str) -> str:
    return f"ix_{table}_{column}_trgm"


def sqlite_search_ddl(table: str) -> list[str]:
    """The FTS5 index of `table`'s searched columns and the triggers that keep it in step (it starts empty)."""
    fts, columns = fts_table(table), SEARCHED_COLUMNS[table]
    names = ", ".join(columns)
    new_values = ", ".join(f"new.{column}" for column in columns)
    old_values = ", ".join(f"old.{column}" for column in columns)
    # An external-content FTS5 table forgets a row only when told the values it indexed.
    forget = f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old_values});"
    learn = f"INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new_values});"
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5({names}, content='{table}', content_rowid='id', "
        "tokenize='trigram')",
        f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN {learn} END",
        f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN {forget} END",
        f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {names} ON {table} BEGIN {forget} {learn} END",
    ]


def postgresql_search_ddl(table: str) -> list[str]:
    """The trigram indexes of `table`'s searched columns (pg_trgm is a trusted extension since PostgreSQL 13)."""
    return ["CREATE EXTENSION IF NOT EXISTS pg_trgm"] + [
        f"CREATE INDEX {trigram_index(table, column)} ON {table} USING gin (lower({column}) gin_trgm_ops)"
        for column in SEARCHED_COLUMNS[table]
    ]


# Every object those statements make, by the kind of name Alembic's autogenerate gives it.
TEXT_SEARCH_OBJECTS = {
    "table": frozenset(fts_table(table) + suffix for table in SEARCHED_COLUMNS
                       for suffix in ("", *FTS5_SHADOW_SUFFIXES)),
    "index": frozenset(trigram_index(table, column) for table, columns in SEARCHED_COLUMNS.items()
                       for column in columns),
}


def is_text_search_object(name: str | None, type_: str) -> bool:
    """Is this database object one of the text search's (which the models do not describe)?"""
    return name in TEXT_SEARCH_OBJECTS.get(type_, ())


def _add_text_search_ddl(table: Table) -> None:
    """Make (and drop) the text search objects with `table`, as `create_all` and `drop_all` do."""
    for statement in sqlite_search_ddl(table.name):
        event.listen(table, "after_create", DDL(statement).execute_if(dialect="sqlite"))
    event.listen(table, "after_drop", DDL(f"DROP TABLE IF EXISTS {fts_table(table.name)}").execute_if(dialect="sqlite"))
    for statement in postgresql_search_ddl(table.name):
        event.listen(table, "after_create", DDL(statement).execute_if(dialect="postgresql"))


for _searched in (CooperationRequest, PartnerReference, Identifier, Case):
    _add_text_search_ddl(_searched.__table__)
