"""A request's pages through the web client: every write path with good and bad input, and who may do what."""

import hashlib
import io
import re
from datetime import date

import pytest
from flask import current_app
from sqlalchemy import func, select

from coop.domain.documents import store_upload
from coop.domain.identifiers import parse_identifier
from coop.domain.requests import add_identifier, add_note, add_partner_reference, attach_document, change_status
from coop.extensions import db
from coop.models import (
    AuditRecord,
    CooperationRequest,
    Document,
    DocumentKind,
    EventKind,
    Identifier,
    IdentifierKind,
    PartnerReference,
    RequestEvent,
    Status,
    Urgency,
)
from tests.requests.conftest import NOW

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def log_in(client, auth, username: str, language: str = "en") -> None:
    auth.logout()
    auth.login(username)
    client.post(f"/language/{language}")


def text(response) -> str:
    return response.get_data(as_text=True)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def request_form(dept, **overrides) -> dict:
    form = {"title": "Subscriber data of @fake_shop_kz", "request_type_id": str(dept.disclosure.id),
            "partner_id": str(dept.meta.id), "legal_basis_id": str(dept.policy.id),
            "case_number": dept.case.number, "urgency": "normal", "officer_ids": [str(dept.officer.id)],
            "facts": "Fake shop took prepayments from 40 victims", "requested_by": "2026-04-01"}
    form.update(overrides)
    return {name: value for name, value in form.items() if value is not None}


# An edit sends every field of the form (an empty one as ""): one left out is refused.
EDIT_FIELDS = ("title", "request_type_id", "partner_id", "legal_basis_id", "case_number", "follows_reference",
               "urgency", "emergency_justification", "restricted", "officer_ids", "requesting_authority",
               "investigation_subject", "facts", "offence", "assistance_sought", "persons", "purpose",
               "data_period_from", "data_period_to", "requested_by", "requested_by_reasons", "confidentiality",
               "data_custodian", "follow_up_promised")


def edit_form(dept, **overrides) -> dict:
    return dict.fromkeys(EDIT_FIELDS, "") | request_form(dept, **overrides)


@pytest.fixture
def item(dept):
    """A draft to Meta created by the officer, with one note."""
    request = dept.new_request(facts="Fake shop on Instagram")
    add_note(db.session, request, dept.officer, "Checked with the investigator", NOW)
    db.session.commit()
    return request


# --- creating -------------------------------------------------------------------------------------------

def test_an_officer_creates_an_outgoing_request_and_lands_on_its_page(client, auth, dept):
    log_in(client, auth, "officer")
    page = client.get(f"/requests/new?case_id={dept.case.id}")
    assert page.status_code == 200 and dept.case.number in text(page)
    response = client.post("/requests/new?direction=outgoing",
                           data=request_form(dept, officer_ids=[str(dept.officer.id), str(dept.colleague.id)]))
    created = db.session.scalar(select(CooperationRequest))
    assert response.status_code == 302 and response.location == f"/requests/{created.id}"
    assert created.reference == "OUT-2026-00001" and created.status == Status.DRAFT
    assert created.case == dept.case and created.requested_by == date(2026, 4, 1)
    assert {officer.username for officer in created.officers} == {"officer", "colleague"}
    page = client.get(response.location)
    assert "OUT-2026-00001" in text(page) and "has been created" in text(page)


def test_an_incoming_request_is_recorded_with_its_date_of_receipt_and_reference(client, auth, dept):
    log_in(client, auth, "officer")
    assert "Received on" in text(client.get("/requests/new?direction=incoming"))
    response = client.post("/requests/new?direction=incoming", data=request_form(
        dept, request_type_id=str(dept.incoming_mla.id), partner_id=str(dept.germany.id),
        legal_basis_id=str(dept.budapest.id), received_on="2026-03-02", partner_reference="BKA-17"))
    assert response.status_code == 302
    created = db.session.scalar(select(CooperationRequest))
    assert created.reference.startswith("IN-") and created.status == Status.RECEIVED
    assert created.received_at.date() in (date(2026, 3, 1), date(2026, 3, 2))  # start of 2 March in Almaty
    assert [ref.reference for ref in created.partner_references] == ["BKA-17"]


@pytest.mark.parametrize("overrides, message", [
    ({"title": ""}, "This field is required."),
    ({"partner_id": ""}, "This field is required."),
    ({"partner_id": "999999"}, "Not a valid choice"),
    ({"request_type_id": "abc"}, "Invalid Choice: could not coerce."),
    ({"case_number": "000-no-such-case"}, "No case has this number"),
    ({"follows_reference": "OUT-1999-00001"}, "No request you can see has this reference."),
    ({"urgency": "emergency"}, "An emergency request must say why"),
    ({"urgency": "whenever"}, "Not a valid choice"),
    ({"data_period_from": "2026-02-01", "data_period_to": "2026-01-01"}, "The end of the period is before its start."),
    ({"requested_by": "31.31.2026"}, "Not a valid date value."),
    ({"request_type_id": "MLA"}, "does not fit this kind of partner"),
    ({"title": "x" * 301}, "Field cannot be longer than 300 characters."),
])
def test_bad_input_to_a_new_request_is_refused_with_a_message_and_kept(client, auth, dept, overrides, message):
    if overrides.get("request_type_id") == "MLA":
        overrides = {"request_type_id": str(dept.mla.id)}  # an MLA type with Meta, a provider
    log_in(client, auth, "officer")
    response = client.post("/requests/new", data=request_form(dept, **overrides))
    assert response.status_code == 400
    assert message in text(response)
    assert "Fake shop took prepayments from 40 victims" in text(response)  # the input is kept
    assert count(CooperationRequest) == 0


def test_a_follow_up_starts_from_the_request_it_follows_and_copies_its_identifiers(client, auth, dept):
    preservation = dept.new_request(request_type_id=dept.preservation.id, title="Preserve @fake_shop_kz",
                                    offence="Art. 190(4) CC")
    add_identifier(db.session, preservation, dept.officer,
                   parse_identifier(IdentifierKind.ACCOUNT, "https://instagram.com/fake_shop_kz"), NOW)
    db.session.commit()
    log_in(client, auth, "officer")
    page = text(client.get(f"/requests/new?follows_id={preservation.id}"))
    assert preservation.reference in page and "Art. 190(4) CC" in page
    response = client.post(f"/requests/new?follows_id={preservation.id}", data=request_form(
        dept, follows_reference=preservation.reference, copy_identifiers="y"))
    assert response.status_code == 302
    follow_up = db.session.scalar(select(CooperationRequest).where(CooperationRequest.id != preservation.id))
    assert follow_up.follows == preservation
    assert [identifier.normalized for identifier in follow_up.identifiers] == ["instagram:fake_shop_kz"]
    assert follow_up.reference in text(client.get(f"/requests/{preservation.id}"))  # "followed by"


def test_an_administrator_cannot_create_a_request(client, auth, dept):
    log_in(client, auth, "admin")
    assert client.get("/requests/new").status_code == 403
    assert client.post("/requests/new", data=request_form(dept)).status_code == 403
    assert count(CooperationRequest) == 0


# --- editing --------------------------------------------------------------------------------------------

def test_an_edit_is_saved_and_appears_in_the_history_with_old_and_new_values(client, auth, dept, item):
    log_in(client, auth, "officer")
    form = client.get(f"/requests/{item.id}/edit")
    assert form.status_code == 200 and 'name="version" type="hidden" value="1"' in text(form)
    response = client.post(f"/requests/{item.id}/edit", data=edit_form(
        dept, version="1", facts="Fake shop on Instagram and Telegram", partner_id=str(dept.meta.id),
        urgency="urgent", case_number=""))
    assert response.status_code == 302
    db.session.expire_all()
    assert item.version == 2 and item.urgency == Urgency.URGENT and item.case is None
    history = text(client.get(f"/requests/{item.id}"))
    assert "Fake shop on Instagram and Telegram" in history
    assert re.search(r"Urgency:</span>\s*<del[^>]*>Normal</del>.*?<ins[^>]*>Urgent</ins>", history, re.S)
    assert re.search(r"Criminal case:</span>\s*<del[^>]*>252500031000123</del>", history, re.S)


def test_an_edit_based_on_an_outdated_version_shows_the_conflict_and_keeps_the_input(client, auth, dept, item):
    log_in(client, auth, "officer")
    client.post(f"/requests/{item.id}/edit", data=edit_form(dept, version="1", facts="Saved by a colleague"))
    response = client.post(f"/requests/{item.id}/edit", data=edit_form(dept, version="1", facts="My own facts"))
    assert response.status_code == 409
    page = text(response)
    assert "Someone else saved this request while you were editing it." in page
    assert "My own facts" in page and "Saved by a colleague" in page
    assert 'name="version" type="hidden" value="2"' in page  # saving again is now a deliberate overwrite
    db.session.expire_all()
    assert item.facts == "Saved by a colleague"
    assert client.post(f"/requests/{item.id}/edit",
                       data=edit_form(dept, version="2", facts="My own facts")).status_code == 302


def test_bad_input_to_an_edit_changes_nothing(client, auth, dept, item):
    log_in(client, auth, "officer")
    response = client.post(f"/requests/{item.id}/edit", data=edit_form(dept, version="1", title="",
                                                                           facts="New facts"))
    assert response.status_code == 400 and "This field is required." in text(response)
    missing_version = client.post(f"/requests/{item.id}/edit", data=edit_form(dept, facts="New facts"))
    assert missing_version.status_code == 400
    db.session.expire_all()
    assert item.facts == "Fake shop on Instagram" and item.version == 1


def test_a_request_cannot_be_made_to_follow_itself(client, auth, dept, item):
    log_in(client, auth, "officer")
    response = client.post(f"/requests/{item.id}/edit", data=edit_form(dept, version="1",
                                                                           follows_reference=item.reference))
    assert response.status_code == 400 and "A request cannot follow itself." in text(response)


# --- the page -------------------------------------------------------------------------------------------

def test_the_page_shows_the_request_its_links_checklist_and_history(client, auth, dept, item):
    log_in(client, auth, "officer")
    page = text(client.get(f"/requests/{item.id}"))
    assert item.reference in page and item.title in page
    assert f'href="/partners/{dept.meta.id}"' in page
    assert f'href="/cases/{dept.case.id}"' in page
    assert 'data-item="offence"' in page and "check-missing" in page
    assert "Checked with the investigator" in page and "Created the request" in page
    assert f"/requests/new?direction=outgoing&amp;follows_id={item.id}" in page


def test_the_page_is_in_russian_for_a_russian_reader(client, auth, dept, item):
    log_in(client, auth, "officer", language="ru")
    page = text(client.get(f"/requests/{item.id}"))
    assert "Черновик" in page and "История" in page and "Проверка оснований" not in page


def test_the_page_takes_the_same_number_of_queries_however_much_history_it_has(client, auth, dept, count_queries):
    folder = current_app.config["COOP_UPLOAD_FOLDER"]
    small, big, other = (dept.new_request(title=title) for title in ("Small", "Big", "Other"))

    def fill(request, times: int) -> None:
        for number in range(times):
            email = parse_identifier(IdentifierKind.EMAIL, f"user{request.id}.{number}@mail.ru")
            add_identifier(db.session, request, dept.officer, email, NOW)
            add_identifier(db.session, other, dept.officer, email, NOW)  # named elsewhere too
            add_note(db.session, request, (dept.officer, dept.colleague)[number % 2], f"Note {number}", NOW)
            stored = store_upload(io.BytesIO(PDF + f"{request.id}.{number}".encode()), f"doc{number}.pdf", folder,
                                  10_000)
            attach_document(db.session, request, (dept.colleague, dept.head)[number % 2], stored,
                            DocumentKind.ANSWER, NOW)
            add_partner_reference(db.session, request, dept.officer, f"REF-{number}", NOW)
        request.officers.append(dept.colleague)
        change_status(db.session, request, dept.officer, Status.LEGAL_CHECK, NOW)
        dept.new_request(title=f"Follow-up of {request.title}", follows_id=request.id)

    fill(small, 1)
    fill(big, 7)
    db.session.commit()
    log_in(client, auth, "officer")

    def queries(request_id: int) -> int:
        with count_queries() as counter:
            assert client.get(f"/requests/{request_id}").status_code == 200
        return counter.count

    assert queries(big.id) == queries(small.id)


# --- the workflow ---------------------------------------------------------------------------------------

def transition(client, item, **form):
    data = {"current_status": item.status.value}
    data.update(form)
    return client.post(f"/requests/{item.id}/transition", data=data)


def test_the_transition_form_offers_only_the_allowed_next_steps(client, auth, dept, item):
    log_in(client, auth, "officer")
    page = text(client.get(f"/requests/{item.id}"))
    offered = re.findall(r'<option (?:data-reason-required="1" )?value="(\w+)"',
                         page.split('name="target"')[1].split("</select>")[0])
    assert offered == ["legal_check", "awaiting_approval", "withdrawn"]


def test_a_transition_is_recorded_with_its_reason_channel_reference_and_file(client, auth, dept, item):
    log_in(client, auth, "officer")
    assert transition(client, item, target="awaiting_approval").status_code == 302
    log_in(client, auth, "head")
    db.session.expire_all()
    assert transition(client, item, target="approved").status_code == 302
    db.session.expire_all()
    response = transition(client, item, target="sent", channel="law_enforcement_portal",
                          partner_reference="LE-4471", occurred_on="2026-03-09", reason="Sent via the LE portal",
                          file=(io.BytesIO(PDF), "request-letter.pdf"))
    assert response.status_code == 302
    db.session.expire_all()
    assert item.status == Status.SENT and item.sent_at is not None
    event = db.session.scalar(select(RequestEvent).where(RequestEvent.to_status == Status.SENT))
    assert (event.channel, event.partner_reference, event.comment) == ("law_enforcement_portal", "LE-4471",
                                                                       "Sent via the LE portal")
    assert event.document.original_name == "request-letter.pdf" and event.document.kind.value == "request_letter"
    page = text(client.get(f"/requests/{item.id}"))
    assert "LE-4471" in page and "Provider&#39;s law-enforcement portal" in page and "request-letter.pdf" in page


def test_a_step_that_needs_a_reason_is_refused_without_one(client, auth, dept, item):
    log_in(client, auth, "officer")
    response = transition(client, item, target="withdrawn", reason="  ")
    assert response.status_code == 400 and "Give the reason: this step requires one." in text(response)
    db.session.expire_all()
    assert item.status == Status.DRAFT
    assert db.session.scalar(select(func.count()).where(RequestEvent.kind == EventKind.TRANSITION)) == 0


def test_an_officer_cannot_approve_and_is_told_why(client, auth, dept, item):
    change_status(db.session, item, dept.officer, Status.AWAITING_APPROVAL, NOW)
    db.session.commit()
    log_in(client, auth, "officer")
    page = text(client.get(f"/requests/{item.id}"))
    assert "Waiting for a department head’s approval" in page
    response = transition(client, item, target="approved")
    assert response.status_code == 400 and "Only a department head can approve a request" in text(response)
    db.session.expire_all()
    assert item.status == Status.AWAITING_APPROVAL


@pytest.mark.parametrize("target, message", [
    ("sent", "A request cannot go from “Draft” to “Sent”."),
    ("draft", "The request is already in this status."),
    ("flying", "Not a valid choice"),
])
def test_an_illegal_move_is_refused_with_a_reason(client, auth, dept, item, target, message):
    log_in(client, auth, "officer")
    response = transition(client, item, target=target)
    assert response.status_code == 400 and message in text(response)
    db.session.expire_all()
    assert item.status == Status.DRAFT


def test_a_move_from_a_status_shown_before_someone_else_moved_it_is_not_applied(client, auth, dept, item):
    log_in(client, auth, "officer")
    response = transition(client, item, target="legal_check", current_status="legal_check")
    assert response.status_code == 302
    assert "Someone changed the status of this request meanwhile" in text(client.get(response.location))
    db.session.expire_all()
    assert item.status == Status.DRAFT


def test_a_move_with_a_date_in_the_future_or_a_bad_file_is_refused(client, auth, dept, item):
    log_in(client, auth, "officer")
    response = transition(client, item, target="legal_check", occurred_on="2199-01-01")
    assert response.status_code == 400 and "This date is in the future." in text(response)
    response = transition(client, item, target="legal_check", file=(io.BytesIO(b"<html>"), "letter.html"))
    assert response.status_code == 400 and "Files of this type cannot be attached." in text(response)
    db.session.expire_all()
    assert item.status == Status.DRAFT and count(Document) == 0


# --- identifiers ----------------------------------------------------------------------------------------

def test_an_identifier_already_in_another_request_is_shown_at_once(client, auth, dept, item):
    earlier = dept.new_request(title="Earlier request")
    add_identifier(db.session, earlier, dept.officer, parse_identifier(IdentifierKind.ACCOUNT, "@fake_shop_kz",
                                                                       platform="instagram"), NOW)
    secret = dept.new_request(actor=dept.colleague, title="Secret", restricted=True)
    add_identifier(db.session, secret, dept.colleague, parse_identifier(IdentifierKind.ACCOUNT, "@fake_shop_kz",
                                                                        platform="instagram"), NOW)
    db.session.commit()
    log_in(client, auth, "officer")
    response = client.post(f"/requests/{item.id}/identifiers",
                           data={"kind": "account", "value": "https://www.instagram.com/Fake_Shop_KZ/"})
    assert response.status_code == 302
    page = text(client.get(response.location))
    warning = page.split('data-testid="duplicate-warning"')[1].split("</div>")[0]
    assert f'href="/requests/{earlier.id}"' in warning and earlier.reference in warning
    assert secret.reference not in page and "1 restricted request(s) you cannot open" in warning


@pytest.mark.parametrize("form, message", [
    ({"kind": "phone", "value": "12345"}, "Not a valid phone number."),
    ({"kind": "phone", "value": ""}, "Enter the identifier."),
    ({"kind": "email", "value": "ivan@"}, "Not a valid e-mail address."),
    ({"kind": "ip", "value": "8.8.8.8"}, "An IP address is useless to a provider without the exact time"),
    ({"kind": "ip", "value": "8.8.8.8", "observed_at": "2026-03-01T10:00:00", "zone": "Mars/Base"},
     "Unknown time zone"),
    ({"kind": "ip", "value": "8.8.8.8", "observed_at": "not a time", "zone": "UTC"}, "Not a valid datetime value."),
    ({"kind": "ip", "value": "10.0.0.1", "observed_at": "2026-03-01T10:00:00", "zone": "UTC"},
     "private, reserved or local address"),
    ({"kind": "account", "value": "@fake_shop"}, "Choose the platform of this handle"),
    ({"kind": "wallet", "value": "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3"}, "checksum does not match"),
    ({"kind": "telepathy", "value": "x"}, "Not a valid choice"),
])
def test_a_bad_identifier_is_refused_with_a_clear_message(client, auth, dept, item, form, message):
    log_in(client, auth, "officer")
    response = client.post(f"/requests/{item.id}/identifiers", data=form)
    assert response.status_code == 400 and message in text(response)
    assert form["value"] in text(response)  # kept in the form
    assert count(Identifier) == 0


def test_an_ip_address_is_stored_with_its_time_in_utc_and_removed_again(client, auth, dept, item):
    log_in(client, auth, "officer")
    response = client.post(f"/requests/{item.id}/identifiers", data={
        "kind": "ip", "value": "185.48.176.9:51234", "observed_at": "2026-03-01T12:00:05", "zone": "Asia/Almaty",
        "note": "Login to the shop's account"})
    assert response.status_code == 302
    identifier = db.session.scalar(select(Identifier))
    assert identifier.normalized == "185.48.176.9" and identifier.observed_zone == "Asia/Almaty"
    page = text(client.get(f"/requests/{item.id}"))
    assert "2026-03-01 07:00:05 UTC" in page
    assert client.post(f"/requests/{item.id}/identifiers/{identifier.id}/delete").status_code == 302
    assert count(Identifier) == 0
    assert "Identifier removed" in text(client.get(f"/requests/{item.id}"))


def test_the_same_identifier_twice_in_one_request_is_refused(client, auth, dept, item):
    log_in(client, auth, "officer")
    client.post(f"/requests/{item.id}/identifiers", data={"kind": "phone", "value": "8 701 123 45 67"})
    response = client.post(f"/requests/{item.id}/identifiers", data={"kind": "phone", "value": "+77011234567"})
    assert response.status_code == 400 and "already named in this request" in text(response)
    assert count(Identifier) == 1


def test_an_identifier_of_another_request_cannot_be_removed_through_this_one(client, auth, dept, item):
    other = dept.new_request(title="Other")
    identifier = add_identifier(db.session, other, dept.officer, parse_identifier(IdentifierKind.EMAIL, "a@mail.ru"),
                                NOW)
    db.session.commit()
    log_in(client, auth, "officer")
    assert client.post(f"/requests/{item.id}/identifiers/{identifier.id}/delete").status_code == 404
    assert count(Identifier) == 1


# --- partner references and notes -----------------------------------------------------------------------

def test_partner_references_are_added_and_bad_ones_refused(client, auth, dept, item):
    log_in(client, auth, "officer")
    assert client.post(f"/requests/{item.id}/partner-references",
                       data={"reference": "META-8812", "note": "Meta's case"}).status_code == 302
    assert client.post(f"/requests/{item.id}/partner-references",
                       data={"reference": "BKA/2026/17"}).status_code == 302
    duplicate = client.post(f"/requests/{item.id}/partner-references", data={"reference": "meta-8812"})
    assert duplicate.status_code == 400 and "already recorded" in text(duplicate)
    empty = client.post(f"/requests/{item.id}/partner-references", data={"reference": "  "})
    assert empty.status_code == 400 and "This field is required." in text(empty)
    assert sorted(db.session.scalars(select(PartnerReference.reference))) == ["BKA/2026/17", "META-8812"]


def test_notes_are_added_and_an_empty_one_refused(client, auth, dept, item):
    log_in(client, auth, "officer")
    assert client.post(f"/requests/{item.id}/notes", data={"text": "Meta asked for a court order"}).status_code == 302
    empty = client.post(f"/requests/{item.id}/notes", data={"text": "   "})
    assert empty.status_code == 400 and "This field is required." in text(empty)
    notes = db.session.scalars(select(RequestEvent.comment).where(RequestEvent.kind == EventKind.NOTE)).all()
    assert notes == ["Checked with the investigator", "Meta asked for a court order"]
    assert "Meta asked for a court order" in text(client.get(f"/requests/{item.id}"))


# --- documents ------------------------------------------------------------------------------------------

def upload(client, item, content: bytes, name: str, **form):
    data = {"kind": "answer", "file": (io.BytesIO(content), name)}
    data.update(form)
    return client.post(f"/requests/{item.id}/documents", data=data, content_type="multipart/form-data")


def test_a_document_is_uploaded_listed_with_its_sha256_and_downloaded_as_an_attachment(client, auth, dept, item):
    log_in(client, auth, "officer")
    response = upload(client, item, PDF, "Ответ Meta.pdf", dated="2026-03-09", note="Subscriber data")
    assert response.status_code == 302
    document = db.session.scalar(select(Document))
    sha = hashlib.sha256(PDF).hexdigest()
    assert (document.sha256, document.size, document.original_name) == (sha, len(PDF), "Ответ Meta.pdf")
    page = text(client.get(f"/requests/{item.id}"))
    assert sha in page and "Ответ Meta.pdf" in page
    with client.get(f"/requests/{item.id}/documents/{document.id}") as download:
        assert download.status_code == 200 and download.data == PDF
        assert download.headers["Content-Disposition"].startswith("attachment;")
        assert download.headers["X-Content-Type-Options"] == "nosniff"
        assert download.mimetype == "application/pdf"
        assert "no-store" in download.headers["Cache-Control"]


@pytest.mark.parametrize("content, name, message", [
    (b"<html><script>alert(1)</script></html>", "evil.html", "Files of this type cannot be attached."),
    (b"<html><script>alert(1)</script></html>", "evil.pdf", "does not match its extension"),
    (b"", "empty.pdf", "The file is empty."),
])
def test_a_bad_upload_is_refused_with_a_message_and_nothing_stored(client, auth, dept, item, content, name, message):
    log_in(client, auth, "officer")
    response = upload(client, item, content, name)
    assert response.status_code == 400 and message in text(response)
    assert count(Document) == 0


def test_an_upload_without_a_file_or_with_a_bad_kind_is_refused(client, auth, dept, item):
    log_in(client, auth, "officer")
    response = client.post(f"/requests/{item.id}/documents", data={"kind": "answer"},
                           content_type="multipart/form-data")
    assert response.status_code == 400 and "Choose a file." in text(response)
    assert upload(client, item, PDF, "a.pdf", kind="poem").status_code == 400
    assert count(Document) == 0


def test_a_file_over_the_document_limit_is_refused_in_the_form(app, client, auth, dept, item):
    app.config["COOP_MAX_DOCUMENT_BYTES"] = 20
    log_in(client, auth, "officer")
    response = upload(client, item, PDF, "big.pdf")
    assert response.status_code == 400 and "larger than" in text(response)
    assert count(Document) == 0


def test_a_request_over_the_upload_limit_is_refused_before_reading_it(app, client, auth, dept, item):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    log_in(client, auth, "officer")
    response = upload(client, item, PDF + b"x" * 4096, "big.pdf")
    assert response.status_code == 413 and "Nothing has been saved" in text(response)
    assert count(Document) == 0


def test_a_path_in_the_file_name_is_only_a_name(app, client, auth, dept, item, tmp_path):
    log_in(client, auth, "officer")
    assert upload(client, item, PDF, "../../../../tmp/evil.pdf").status_code == 302
    document = db.session.scalar(select(Document))
    assert document.original_name == "evil.pdf"
    assert not (tmp_path / "evil.pdf").exists()
    with client.get(f"/requests/{item.id}/documents/{document.id}") as download:
        assert download.headers["Content-Disposition"] == "attachment; filename=evil.pdf"


def test_text_with_html_inside_is_never_served_for_the_browser_to_render(client, auth, dept, item):
    log_in(client, auth, "officer")
    assert upload(client, item, b"<html><script>alert(1)</script></html>", "notes.txt").status_code == 302
    document = db.session.scalar(select(Document))
    with client.get(f"/requests/{item.id}/documents/{document.id}") as download:
        assert download.mimetype == "text/plain"
        assert download.headers["Content-Disposition"].startswith("attachment;")
        assert download.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in download.headers["Content-Security-Policy"]


def test_a_stored_file_altered_on_disk_is_not_served(app, client, auth, dept, item):
    log_in(client, auth, "officer")
    upload(client, item, PDF, "a.pdf")
    document = db.session.scalar(select(Document))
    from coop.domain.documents import stored_path

    stored_path(app.config["COOP_UPLOAD_FOLDER"], document.sha256).write_bytes(b"%PDF-tampered")
    response = client.get(f"/requests/{item.id}/documents/{document.id}")
    assert response.status_code == 500 and "no longer matches its SHA-256" in text(response)


def test_a_document_of_another_request_is_not_found_through_this_one(client, auth, dept, item):
    other = dept.new_request(title="Other")
    stored = store_upload(io.BytesIO(PDF), "x.pdf", current_app.config["COOP_UPLOAD_FOLDER"], 10_000)
    document = attach_document(db.session, other, dept.officer, stored, DocumentKind.ANSWER, NOW)
    db.session.commit()
    log_in(client, auth, "officer")
    assert client.get(f"/requests/{item.id}/documents/{document.id}").status_code == 404


# --- who may see and change -----------------------------------------------------------------------------

@pytest.fixture
def secret(dept):
    """A restricted request the colleague works on, with an identifier and a document."""
    request = dept.new_request(actor=dept.colleague, title="Secret", restricted=True)
    identifier = add_identifier(db.session, request, dept.colleague,
                                parse_identifier(IdentifierKind.EMAIL, "boss@mail.ru"), NOW)
    stored = store_upload(io.BytesIO(PDF), "secret.pdf", current_app.config["COOP_UPLOAD_FOLDER"], 10_000)
    document = attach_document(db.session, request, dept.colleague, stored, DocumentKind.EVIDENCE, NOW)
    db.session.commit()
    return request, identifier, document


def every_path(request, identifier, document):
    base = f"/requests/{request.id}"
    return [("get", base), ("get", f"{base}/edit"), ("post", f"{base}/edit"), ("post", f"{base}/transition"),
            ("post", f"{base}/identifiers"), ("post", f"{base}/identifiers/{identifier.id}/delete"),
            ("post", f"{base}/partner-references"), ("post", f"{base}/documents"), ("post", f"{base}/notes"),
            ("get", f"{base}/documents/{document.id}"), ("get", f"/requests/new?follows_id={request.id}")]


def test_an_officer_not_assigned_to_a_restricted_request_gets_404_everywhere(client, auth, dept, secret):
    request, identifier, document = secret
    log_in(client, auth, "officer")
    for method, path in every_path(request, identifier, document):
        assert getattr(client, method)(path).status_code == 404, path
    assert count(Identifier) == 1 and count(Document) == 1


def test_the_assigned_officer_and_a_head_see_a_restricted_request(client, auth, dept, secret):
    request, _identifier, document = secret
    for username in ("colleague", "head"):
        log_in(client, auth, username)
        assert client.get(f"/requests/{request.id}").status_code == 200
        with client.get(f"/requests/{request.id}/documents/{document.id}") as download:
            assert download.status_code == 200 and download.data == PDF


def test_an_administrator_reads_but_changes_nothing_and_the_reading_is_audited(client, auth, dept, secret):
    request, identifier, document = secret
    log_in(client, auth, "admin")
    page = client.get(f"/requests/{request.id}")
    assert page.status_code == 200 and 'data-testid="transition-form"' not in text(page)
    for method, path in every_path(request, identifier, document):
        if method == "post":
            assert client.post(path).status_code == 403, path
    readings = db.session.scalars(select(AuditRecord).where(AuditRecord.action == "read")).all()
    assert readings and all(record.entity_id == str(request.id) for record in readings)


def test_an_unknown_request_is_not_found(client, auth, dept):
    log_in(client, auth, "officer")
    assert client.get("/requests/999999").status_code == 404
    assert client.get("/requests/new?follows_id=999999").status_code == 404
