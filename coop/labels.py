"""Translated, human-readable names of coop's enum values, for templates and forms."""

from flask_babel import lazy_gettext as _l

from coop.domain.reference_data import Channel, split_codes
from coop.models import (
    ContactRole,
    Direction,
    DocumentKind,
    EventKind,
    IdentifierKind,
    LegalBasisKind,
    PartnerKind,
    Role,
    Status,
    Urgency,
)

ROLE_LABELS = {
    Role.OFFICER: _l("Liaison officer"),
    Role.HEAD: _l("Department head"),
    Role.ADMIN: _l("Administrator"),
}


def role_label(role: Role) -> str:
    return str(ROLE_LABELS[role])


# === partners: reference data ===
PARTNER_KIND_LABELS = {
    PartnerKind.COUNTRY: _l("Country"),
    PartnerKind.PROVIDER: _l("Online service provider"),
}

DIRECTION_LABELS = {
    Direction.OUTGOING: _l("Outgoing"),
    Direction.INCOMING: _l("Incoming"),
}

CONTACT_ROLE_LABELS = {
    ContactRole.CENTRAL_AUTHORITY: _l("Central authority"),
    ContactRole.POINT_24_7: _l("24/7 point of contact"),
    ContactRole.POLICE_UNIT: _l("Police unit"),
    ContactRole.LAW_ENFORCEMENT_PORTAL: _l("Law-enforcement portal"),
    ContactRole.OTHER: _l("Other"),
}

LEGAL_BASIS_KIND_LABELS = {
    LegalBasisKind.MULTILATERAL: _l("Multilateral convention"),
    LegalBasisKind.REGIONAL: _l("Regional (CIS) instrument"),
    LegalBasisKind.BILATERAL: _l("Bilateral treaty"),
    LegalBasisKind.RECIPROCITY: _l("Reciprocity"),
    LegalBasisKind.PROVIDER_POLICY: _l("Provider policy"),
}

CHANNEL_LABELS = {
    Channel.CENTRAL_AUTHORITY: _l("Central authority"),
    Channel.DIPLOMATIC: _l("Diplomatic channel"),
    Channel.INTERPOL: _l("INTERPOL"),
    Channel.DIRECT_24_7: _l("Direct 24/7 contact"),
    Channel.LAW_ENFORCEMENT_PORTAL: _l("Provider's law-enforcement portal"),
}


def channel_labels(stored: str | None) -> list[str]:
    """The labels of the channels stored as "central_authority, interpol" (unknown codes shown as they are)."""
    return [str(CHANNEL_LABELS.get(code, code)) for code in split_codes(stored)]


# === requests: statuses, urgency, identifiers, documents, history ===
STATUS_LABELS = {
    Status.DRAFT: _l("Draft"),
    Status.LEGAL_CHECK: _l("Legal check"),
    Status.AWAITING_APPROVAL: _l("Awaiting head's approval"),
    Status.APPROVED: _l("Approved"),
    Status.TRANSLATION: _l("In translation"),
    Status.SENT: _l("Sent"),
    Status.FORWARDED: _l("Forwarded by the central authority"),
    Status.ACKNOWLEDGED: _l("Acknowledged"),
    Status.ADDITIONAL_INFO_REQUESTED: _l("Additional information requested"),
    Status.PARTIALLY_ANSWERED: _l("Partially answered"),
    Status.EVIDENCE_REVIEWED: _l("Evidence reviewed"),
    Status.RECEIVED: _l("Received"),
    Status.REGISTERED: _l("Registered"),
    Status.ASSESSED: _l("Assessed"),
    Status.CONSULTATION: _l("Consultation with the requesting state"),
    Status.IN_EXECUTION: _l("In execution"),
    Status.ANSWERED: _l("Answered"),
    Status.CLOSED: _l("Closed"),
    Status.POSTPONED: _l("Postponed"),
    Status.REFUSED: _l("Refused"),
    Status.NO_DATA: _l("No data held"),
    Status.EXPIRED: _l("Expired"),
    Status.WITHDRAWN: _l("Withdrawn"),
}

# The button that moves a request into each status: what the officer does, not where it ends.
STATUS_ACTION_LABELS = {
    Status.DRAFT: _l("Back to draft"),
    Status.LEGAL_CHECK: _l("Send to legal check"),
    Status.AWAITING_APPROVAL: _l("Submit for the head's approval"),
    Status.APPROVED: _l("Approve"),
    Status.TRANSLATION: _l("Send to translation"),
    Status.SENT: _l("Mark as sent"),
    Status.FORWARDED: _l("Forwarded by the central authority"),
    Status.ACKNOWLEDGED: _l("Partner acknowledged receipt"),
    Status.ADDITIONAL_INFO_REQUESTED: _l("Partner asks for additional information"),
    Status.PARTIALLY_ANSWERED: _l("Partial answer received"),
    Status.EVIDENCE_REVIEWED: _l("Evidence reviewed"),
    Status.REGISTERED: _l("Register"),
    Status.ASSESSED: _l("Assessment done"),
    Status.CONSULTATION: _l("Consult the requesting state"),
    Status.IN_EXECUTION: _l("In execution"),
    Status.ANSWERED: _l("Answered"),
    Status.CLOSED: _l("Close"),
    Status.POSTPONED: _l("Postpone"),
    Status.REFUSED: _l("Refused"),
    Status.NO_DATA: _l("No data held"),
    Status.EXPIRED: _l("Expired"),
    Status.WITHDRAWN: _l("Withdraw"),
}

URGENCY_LABELS = {
    Urgency.NORMAL: _l("Normal"),
    Urgency.URGENT: _l("Urgent"),
    Urgency.EMERGENCY: _l("Emergency"),
}

IDENTIFIER_KIND_LABELS = {
    IdentifierKind.ACCOUNT: _l("Account"),
    IdentifierKind.PHONE: _l("Phone number"),
    IdentifierKind.EMAIL: _l("E-mail address"),
    IdentifierKind.IP: _l("IP address"),
    IdentifierKind.TRANSACTION: _l("Transaction"),
    IdentifierKind.WALLET: _l("Crypto wallet"),
    IdentifierKind.DOMAIN: _l("Domain name"),
}

PLATFORM_LABELS = {
    "instagram": "Instagram", "facebook": "Facebook", "telegram": "Telegram", "whatsapp": "WhatsApp",
    "tiktok": "TikTok", "x": "X (Twitter)", "vk": "VK", "other": _l("Other site"),
    "bitcoin": "Bitcoin", "ethereum": _l("Ethereum and EVM networks"), "tron": "Tron", "ton": "TON",
}

DOCUMENT_KIND_LABELS = {
    DocumentKind.REQUEST_LETTER: _l("Request letter"),
    DocumentKind.TRANSLATION: _l("Translation"),
    DocumentKind.ANSWER: _l("Partner's answer"),
    DocumentKind.EVIDENCE: _l("Evidence"),
    DocumentKind.SCREENSHOT: _l("Screenshot"),
    DocumentKind.CORRESPONDENCE: _l("Correspondence"),
    DocumentKind.OTHER: _l("Other"),
}

EVENT_KIND_LABELS = {
    EventKind.CREATED: _l("Created"),
    EventKind.CHANGED: _l("Changed"),
    EventKind.TRANSITION: _l("Status changed"),
    EventKind.NOTE: _l("Note"),
    EventKind.DOCUMENT: _l("Document attached"),
    EventKind.PARTNER_REFERENCE: _l("Partner's reference"),
    EventKind.IDENTIFIER: _l("Identifier"),
}

# How a request or answer travelled (the partner channels, and the plainer ways).
TRANSMISSION_LABELS = {
    **{channel.value: label for channel, label in CHANNEL_LABELS.items()},
    "email": _l("E-mail"),
    "post": _l("Post"),
    "in_person": _l("Handed over in person"),
    "other": _l("Other"),
}

REQUEST_FIELD_LABELS = {
    "title": _l("Title"),
    "request_type_id": _l("Type"),
    "legal_basis_id": _l("Legal basis"),
    "partner_id": _l("Partner"),
    "case_id": _l("Criminal case"),
    "follows_id": _l("Follows request"),
    "urgency": _l("Urgency"),
    "emergency_justification": _l("Justification of the emergency"),
    "restricted": _l("Restricted"),
    "requesting_authority": _l("Requesting authority"),
    "investigation_subject": _l("Subject of the investigation"),
    "facts": _l("Summary of the facts"),
    "offence": _l("Offence and penalty"),
    "assistance_sought": _l("Assistance sought"),
    "persons": _l("Persons and items concerned"),
    "purpose": _l("Purpose"),
    "data_period_from": _l("Data from"),
    "data_period_to": _l("Data to"),
    "requested_by": _l("Requested deadline"),
    "requested_by_reasons": _l("Reasons for the deadline"),
    "confidentiality": _l("Confidentiality"),
    "data_custodian": _l("Custodian or location of the data"),
    "follow_up_promised": _l("A request for assistance will follow"),
    "officers": _l("Officers"),
}


def status_label(status: Status) -> str:
    return str(STATUS_LABELS[status])


def status_action_label(status: Status) -> str:
    return str(STATUS_ACTION_LABELS.get(status, STATUS_LABELS[status]))


def urgency_label(urgency: Urgency) -> str:
    return str(URGENCY_LABELS[urgency])


def direction_label(direction: Direction) -> str:
    return str(DIRECTION_LABELS[direction])


def identifier_kind_label(kind: IdentifierKind) -> str:
    return str(IDENTIFIER_KIND_LABELS[kind])


def document_kind_label(kind: DocumentKind) -> str:
    return str(DOCUMENT_KIND_LABELS[kind])


def platform_label(platform: str | None) -> str:
    return str(PLATFORM_LABELS.get(platform, platform or ""))


def transmission_label(channel: str | None) -> str:
    return str(TRANSMISSION_LABELS.get(channel, channel or ""))

# What a request must contain (coop.domain.requests.contents_checklist codes).
CHECKLIST_LABELS = {
    "requesting_authority": _l("Requesting authority"),
    "investigation_subject": _l("Subject of the investigation and who conducts it"),
    "facts": _l("Summary of the facts"),
    "offence": _l("Offence and penalty"),
    "assistance_sought": _l("Assistance sought"),
    "data_named": _l("The data to preserve"),
    "persons": _l("Persons, items or accounts concerned"),
    "purpose": _l("Purpose"),
    "data_period": _l("Time period of the data"),
    "requested_by": _l("Requested deadline"),
    "requested_by_reasons": _l("Reasons for the deadline"),
    "urgency_reasons": _l("Why the data must be preserved quickly"),
    "confidentiality": _l("Confidentiality"),
    "data_custodian": _l("Custodian or location of the data"),
    "follow_up_promised": _l("States that a request for assistance will follow"),
    "emergency_justification": _l("Justification of the emergency"),
}
