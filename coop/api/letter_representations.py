"""How a letter of the outgoing register reads in the API, and its JSON Schema."""

from flask import url_for

from coop.api.fields import Field
from coop.api.representations import DATE, DATE_TIME, INTEGER, NULLABLE_DATE_TIME, NULLABLE_STRING, STRING, _object
from coop.domain.letters import LANGUAGES
from coop.models import Letter, LetterKind, LetterState

_KINDS = tuple(kind.value for kind in LetterKind)
_STATES = tuple(state.value for state in LetterState)


def letter_json(letter: Letter) -> dict:
    return {
        "id": letter.id, "number": letter.number, "dated": letter.dated.isoformat(), "kind": letter.kind.value,
        "language": letter.language, "state": letter.state.value, "addressee": letter.addressee,
        "subject": letter.subject, "request_id": letter.request_id, "request_reference": letter.request.reference,
        "partner": letter.request.partner.code, "missing": letter.missing_codes(),
        "draft_document_id": letter.draft_document_id, "final_document_id": letter.final_document_id,
        "sent_at": letter.sent_at.isoformat() if letter.sent_at else None,
        "drafted_at": letter.drafted_at.isoformat(),
        "url": url_for("api.request_letters", request_id=letter.request_id),
    }


LETTER_SCHEMA = _object({
    "id": INTEGER, "number": STRING, "dated": DATE, "kind": {"type": "string", "enum": list(_KINDS)},
    "language": {"type": "string", "enum": list(LANGUAGES)}, "state": {"type": "string", "enum": list(_STATES)},
    "addressee": STRING, "subject": STRING, "request_id": INTEGER, "request_reference": STRING, "partner": STRING,
    "missing": {"type": "array", "items": STRING}, "draft_document_id": {"type": ["integer", "null"]},
    "final_document_id": {"type": ["integer", "null"]}, "sent_at": NULLABLE_DATE_TIME, "drafted_at": DATE_TIME,
    "url": NULLABLE_STRING,
})


def draft_fields(description_kind, description_language, description_accept) -> list[Field]:
    return [
        Field("kind", "choice", description_kind, required=True, choices=_KINDS),
        Field("language", "choice", description_language, choices=LANGUAGES),
        Field("accept_gaps", "boolean", description_accept, nullable=False),
    ]
