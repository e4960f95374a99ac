"""Names of the letters' kinds, states and problems, in the reader's language."""

from flask_babel import lazy_gettext as _l

from coop.labels import CHECKLIST_LABELS
from coop.models import LetterKind, LetterState

LETTER_KIND_LABELS = {
    LetterKind.PRESERVATION: _l("Preservation request"),
    LetterKind.ASSISTANCE: _l("Request for assistance"),
    LetterKind.EMERGENCY: _l("Emergency disclosure request"),
    LetterKind.STATUS_ENQUIRY: _l("Status enquiry"),
    LetterKind.EXTENSION: _l("Preservation extension request"),
    LetterKind.REPLY: _l("Reply to an incoming request"),
}
LETTER_STATE_LABELS = {
    LetterState.DRAFTED: _l("Drafted"),
    LetterState.SIGNED: _l("Signed version uploaded"),
    LetterState.SENT: _l("Recorded as sent"),
}
LANGUAGE_LABELS = {"ru": _l("Russian"), "en": _l("English"), "kk": _l("Kazakh")}

GAP_LABELS = {
    **CHECKLIST_LABELS,
    "ip_without_time": _l("An IP address without its exact time and time zone: %(detail)s"),
    "not_sent_yet": _l("The request has not been sent yet: there is nothing to enquire about or extend."),
    "not_incoming": _l("Only an incoming request gets a reply."),
}

LETTER_PROBLEMS = {
    "not_allowed": _l("You cannot draft letters for this request."),
    "kind_not_for_request": _l("This kind of letter does not fit this request."),
    "unknown_language": _l("There are no letters in this language."),
    "finished": _l("The request is finished: no more letters are drafted for it."),
    "gaps": _l("The record still lacks what is listed below. Complete the request, or tick the box to draft "
               "the letter anyway."),
    "no_template": _l("There is no template for this letter in this language. An administrator can add one."),
    "not_docx": _l("This file is not a Word document (.docx). Save it in Word as “Word Document (*.docx)” and "
                   "upload it again."),
    "too_large": _l("The file is larger than %(size)s MB."),
    "syntax": _l("The template has an error in its fields: %(detail)s. Correct it in Word and upload it again."),
    "unknown_field": _l("The template names a field the record does not have: %(detail)s. The fields you may use "
                        "are listed on this page."),
    "unsafe": _l("The template tries something templates may not do: %(detail)s."),
    "render_failed": _l("The template could not be filled: %(detail)s."),
    "duplicate_scope": _l("Another template already has this kind, language and scope: edit that one instead."),
    "already_sent": _l("This letter is already recorded as sent."),
    "not_signed": _l("Upload the final, signed version before recording the letter as sent."),
    "not_approved": _l("The request has not been approved by a head yet: it cannot be sent."),
    "pattern_length": _l("Enter a format of at most 40 characters."),
    "pattern_number": _l("The format must contain {number} exactly once."),
    "pattern_placeholder": _l("Only {number} and {year} may stand in braces (found: %(detail)s)."),
}

# What each field of a template holds, for the administrator's help.
FIELD_LABELS = {
    "number": _l("The letter's outgoing number"),
    "date": _l("The letter's date"),
    "language": _l("The letter's language (ru, en, kk)"),
    "letter_kind": _l("The kind of letter (preservation, assistance, status_enquiry ...)"),
    "signatory": _l("Who drafted it (full name)"),
    "signatory_role": _l("Their position"),
    "reference": _l("Our reference of the request"),
    "title": _l("The request's title"),
    "request_type": _l("The type of request"),
    "urgency": _l("Urgency, in words"),
    "is_emergency": _l("True for an emergency"),
    "emergency_justification": _l("Justification of the emergency"),
    "legal_basis": _l("The legal basis"),
    "legal_basis_article": _l("The article of the legal basis for this kind of letter"),
    "partner": _l("The partner's name"),
    "partner_kind": _l("country or provider"),
    "addressee": _l("Addressee: central authority or the provider's legal entity"),
    "addressee_address": _l("The addressee's address or portal"),
    "partner_references": _l("The partner's references"),
    "case_number": _l("Number of the criminal case"),
    "case_title": _l("Title of the criminal case"),
    "requesting_authority": _l("Requesting authority"),
    "investigation_subject": _l("Subject of the investigation and who conducts it"),
    "facts": _l("Summary of the facts"),
    "offence": _l("Offence and penalty"),
    "assistance_sought": _l("Assistance sought (the data to preserve)"),
    "persons": _l("Persons, items or accounts concerned"),
    "identifiers": _l("The identifiers, a list: kind, platform, value, normalized, time_utc, zone, text"),
    "identifier_lines": _l("The identifiers, one a line, with their exact times"),
    "purpose": _l("Purpose"),
    "data_period": _l("Time period of the data"),
    "data_period_from": _l("Start of the period"),
    "data_period_to": _l("End of the period"),
    "requested_by": _l("Requested deadline"),
    "requested_by_reasons": _l("Reasons for the deadline (for a preservation: why it is urgent)"),
    "confidentiality": _l("Confidentiality"),
    "data_custodian": _l("Custodian or location of the data"),
    "follow_up_promised": _l("True if a request for assistance will follow"),
    "sent_on": _l("When the request was sent"),
    "days_since_sent": _l("Days since it was sent"),
    "enquiry_number": _l("Which status enquiry this is (1, 2 ...)"),
    "preservation_expires": _l("When the preservation lapses"),
    "follows_reference": _l("Reference of the request this one follows"),
    "received_on": _l("When an incoming request arrived"),
}


def letter_kind_label(kind: LetterKind) -> str:
    return str(LETTER_KIND_LABELS[kind])


def letter_state_label(state: LetterState) -> str:
    return str(LETTER_STATE_LABELS[state])


def language_label(language: str) -> str:
    return str(LANGUAGE_LABELS.get(language, language))


def gap_label(code: str, detail: str | None = None) -> str:
    label = GAP_LABELS.get(code)
    if label is None:
        return code
    return str(label) % {"detail": detail or ""} if "%(detail)s" in str(label) else str(label)


def problem_message(code: str, detail: str | None = None, size_mb: str = "") -> str:
    message = LETTER_PROBLEMS.get(code)
    if message is None:
        return code
    return str(message) % {"detail": detail or "", "size": size_mb}
