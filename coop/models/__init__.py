"""All models, imported here so that metadata and Alembic see every table."""

from coop.models.audit import AuditRecord
from coop.models.base import Base, UTCDateTime, utcnow
from coop.models.partners import (
    ContactRole,
    Direction,
    LegalBasis,
    LegalBasisKind,
    Partner,
    PartnerContact,
    PartnerInstrument,
    PartnerKind,
    RequestType,
)
from coop.models.requests import (
    Case,
    CaseStatus,
    CooperationRequest,
    Document,
    DocumentKind,
    EventKind,
    Identifier,
    IdentifierKind,
    PartnerReference,
    ReferenceCounter,
    RequestEvent,
    Status,
    Urgency,
    request_officer,
)
from coop.models.user import LoginAttempt, Role, User

__all__ = [
    "AuditRecord", "Base", "Case", "CaseStatus", "ContactRole", "CooperationRequest", "Direction", "Document",
    "DocumentKind", "EventKind", "Identifier", "IdentifierKind", "LegalBasis", "LegalBasisKind", "LoginAttempt",
    "Partner", "PartnerContact", "PartnerInstrument", "PartnerKind", "PartnerReference", "ReferenceCounter", "RequestEvent",
    "RequestType", "Role", "Status", "UTCDateTime", "Urgency", "User", "request_officer", "utcnow",
]
