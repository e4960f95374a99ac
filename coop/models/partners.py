"""Who is on the other side (countries and providers), the legal bases, and the request types."""

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coop.models.base import Base, utcnow
from coop.models.user import enum_column


class PartnerKind(enum.StrEnum):
    COUNTRY = "country"
    PROVIDER = "provider"


class Direction(enum.StrEnum):
    OUTGOING = "outgoing"
    INCOMING = "incoming"


class Partner(Base):
    """A partner country (its central authority, 24/7 point, police) or an online service provider."""

    __tablename__ = "partner"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[PartnerKind] = mapped_column(enum_column(PartnerKind), index=True)
    # ISO 3166-1 alpha-2 for a country ("US"); a short slug for a provider ("meta").
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_ru: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    name_kk: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)

    # Countries
    time_zone: Mapped[str | None] = mapped_column(String(64))  # IANA name, e.g. "Europe/Berlin"
    accepted_languages: Mapped[str | None] = mapped_column(String(200))  # e.g. "en, ru"
    channels: Mapped[str | None] = mapped_column(String(200))  # e.g. "central_authority, interpol, direct_24_7"
    weekend_days: Mapped[str | None] = mapped_column(String(20))  # ISO weekdays, e.g. "6,7"
    holiday_calendar: Mapped[str | None] = mapped_column(String(8))  # `holidays` package country code
    dual_criminality_notes: Mapped[str | None] = mapped_column(Text)
    use_limitations: Mapped[str | None] = mapped_column(Text)

    # Providers
    legal_entity: Mapped[str | None] = mapped_column(String(200))
    governing_law: Mapped[str | None] = mapped_column(String(200))
    request_portal: Mapped[str | None] = mapped_column(String(300))
    discloses_directly: Mapped[str | None] = mapped_column(Text)
    requires_formal_assistance: Mapped[str | None] = mapped_column(Text)
    preservation_days: Mapped[int | None]
    preservation_extension: Mapped[str | None] = mapped_column(Text)
    emergency_channel: Mapped[str | None] = mapped_column(Text)
    emergency_criteria: Mapped[str | None] = mapped_column(Text)
    notifies_user: Mapped[str | None] = mapped_column(Text)
    known_limits: Mapped[str | None] = mapped_column(Text)

    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    contacts: Mapped[list["PartnerContact"]] = relationship(
        back_populates="partner", cascade="all, delete-orphan", order_by="PartnerContact.id"
    )
    instruments: Mapped[list["PartnerInstrument"]] = relationship(
        back_populates="partner", cascade="all, delete-orphan"
    )

    def name(self, language: str) -> str:
        """The partner's name in `language` ("ru", "en", "kk"), falling back to Russian."""
        return getattr(self, f"name_{language}", None) or self.name_ru

    def __repr__(self) -> str:
        return f"<Partner {self.code}>"


class ContactRole(enum.StrEnum):
    CENTRAL_AUTHORITY = "central_authority"
    POINT_24_7 = "point_24_7"
    POLICE_UNIT = "police_unit"
    LAW_ENFORCEMENT_PORTAL = "law_enforcement_portal"
    OTHER = "other"


class PartnerContact(Base):
    __tablename__ = "partner_contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"), index=True)
    role: Mapped[ContactRole] = mapped_column(enum_column(ContactRole))
    name: Mapped[str] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(Text)
    office_hours: Mapped[str | None] = mapped_column(String(200))

    partner: Mapped[Partner] = relationship(back_populates="contacts")


class LegalBasisKind(enum.StrEnum):
    MULTILATERAL = "multilateral"
    REGIONAL = "regional"
    BILATERAL = "bilateral"
    RECIPROCITY = "reciprocity"
    PROVIDER_POLICY = "provider_policy"


class LegalBasis(Base):
    """A treaty, convention, reciprocity or provider policy on which a request rests."""

    __tablename__ = "legal_basis"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)  # e.g. "un-cybercrime", "budapest"
    kind: Mapped[LegalBasisKind] = mapped_column(enum_column(LegalBasisKind))
    name_ru: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    name_kk: Mapped[str | None] = mapped_column(String(300))
    articles: Mapped[str | None] = mapped_column(Text)  # the articles that matter, e.g. "40 MLA; 42 preservation"
    adopted_on: Mapped[date | None]
    notes: Mapped[str | None] = mapped_column(Text)  # in Russian, the department's working language
    notes_kk: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)

    def name(self, language: str) -> str:
        return getattr(self, f"name_{language}", None) or self.name_ru

    def notes_in(self, language: str) -> str | None:
        """The notes in Kazakh for a Kazakh reader when they exist, else the Russian ones."""
        return (self.notes_kk if language == "kk" else None) or self.notes


class PartnerInstrument(Base):
    """A legal basis that binds a partner country with us, and since when."""

    __tablename__ = "partner_instrument"
    __table_args__ = (UniqueConstraint("partner_id", "legal_basis_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"), index=True)
    legal_basis_id: Mapped[int] = mapped_column(ForeignKey("legal_basis.id", ondelete="RESTRICT"))
    signed_on: Mapped[date | None]
    in_force_on: Mapped[date | None]
    notes: Mapped[str | None] = mapped_column(Text)

    partner: Mapped[Partner] = relationship(back_populates="instruments")
    legal_basis: Mapped[LegalBasis] = relationship()


class RequestType(Base):
    """A kind of request (preservation, emergency disclosure, MLA ...), as data an admin can extend."""

    __tablename__ = "request_type"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)  # e.g. "preservation_provider"
    name_ru: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    name_kk: Mapped[str | None] = mapped_column(String(300))
    direction: Mapped[Direction] = mapped_column(enum_column(Direction))
    # None: either kind of partner.
    partner_kind: Mapped[PartnerKind | None] = mapped_column(enum_column(PartnerKind))
    # Requests of this type state that a formal request will follow (preservation).
    is_preservation: Mapped[bool] = mapped_column(default=False)
    is_emergency: Mapped[bool] = mapped_column(default=False)
    description: Mapped[str | None] = mapped_column(Text)  # in Russian, the department's working language
    description_kk: Mapped[str | None] = mapped_column(Text)
    sort_order: Mapped[int] = mapped_column(default=100)
    active: Mapped[bool] = mapped_column(default=True)

    def name(self, language: str) -> str:
        return getattr(self, f"name_{language}", None) or self.name_ru

    def description_in(self, language: str) -> str | None:
        """The description in Kazakh for a Kazakh reader when it exists, else the Russian one."""
        return (self.description_kk if language == "kk" else None) or self.description
