"""The letters' pages: drafting from a request, the signed version, sending, the register and its export, the
printable view, drafting from a reminder, and the administrators' templates with every kind of bad upload."""

import io
from datetime import timedelta

import pytest
from docx import Document
from sqlalchemy import select

from coop.domain import letters
from coop.domain.deadlines import seed_deadline_rules
from coop.domain.requests import change_status
from coop.extensions import db
from coop.models import (
    CooperationRequest,
    Deadline,
    DeadlineKind,
    DeadlineState,
    Identifier,
    IdentifierKind,
    Letter,
    LetterKind,
    LetterState,
    LetterTemplate,
    Reminder,
    ReminderKind,
    ReminderState,
    Status,
    utcnow,
)
from tests.letters.conftest import COMPLETE, complete_request

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def docx_with(*paragraphs: str) -> bytes:
    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    output = io.BytesIO()
    document.save(output)
    return output.getvalue()


@pytest.fixture
def mla(dept, letter_templates):
    """A complete assistance request to Germany, as its officer created it."""
    request = complete_request(dept, request_type_id=dept.mla.id, partner_id=dept.germany.id,
                               legal_basis_id=dept.budapest.id)
    db.session.commit()
    return request


def _page(response) -> str:
    return response.get_data(as_text=True)


def test_the_request_page_offers_to_draft_and_the_draft_page_shows_the_template(client, auth, dept, mla):
    auth.login("officer")
    page = _page(client.get(f"/requests/{mla.id}"))
    assert f"/letters/request/{mla.id}/draft" in page and "Письма" in page
    response = client.get(f"/letters/request/{mla.id}/draft")
    assert response.status_code == 200
    page = _page(response)
    assert "Request for mutual legal assistance in a criminal matter" in page  # the built-in template
    assert 'selected value="en"' in page  # Germany's languages are not recorded: English
    assert 'data-testid="letter-gap"' not in page


def test_the_draft_page_lists_what_the_record_lacks(client, auth, dept, letter_templates):
    request = dept.new_request(request_type_id=dept.mla.id, partner_id=dept.germany.id, requested_by=COMPLETE[
        "requested_by"])
    db.session.add(Identifier(request_id=request.id, kind=IdentifierKind.IP, value="95.56.12.34",
                              normalized="95.56.12.34"))  # imported without its time
    db.session.commit()
    auth.login("officer")
    page = _page(client.get(f"/letters/request/{request.id}/draft?language=ru"))
    assert "Краткое изложение фактов" in page and "Обоснование срока" in page
    assert "IP-адрес без точного времени и часового пояса: 95.56.12.34" in page
    response = client.post(f"/letters/request/{request.id}/draft", data={"kind": "assistance", "language": "ru"})
    assert response.status_code == 400
    assert "В записи ещё не хватает" in _page(response)
    assert db.session.scalar(select(Letter.id)) is None
    response = client.post(f"/letters/request/{request.id}/draft", data={"kind": "assistance", "language": "ru",
                                                                         "accept_gaps": "y"})
    assert response.status_code == 302


@pytest.mark.parametrize("data", [{"kind": "reply", "language": "ru"}, {"kind": "assistance", "language": "de"},
                                  {"kind": "", "language": "ru"}, {}])
def test_a_bad_draft_is_refused_with_a_form_error(client, auth, dept, mla, data):
    auth.login("officer")
    response = client.post(f"/letters/request/{mla.id}/draft", data=data)
    assert response.status_code == 400
    assert db.session.scalar(select(Letter.id)) is None


def test_draft_sign_and_send_the_request_letter(client, auth, dept, mla):
    auth.login("officer")
    response = client.post(f"/letters/request/{mla.id}/draft", data={"kind": "assistance", "language": "en"})
    assert response.status_code == 302
    letter = db.session.scalar(select(Letter))
    page = _page(client.get(response.headers["Location"]))
    assert letter.number in page and "Скачать .docx" in page
    with client.get(f"/requests/{mla.id}/documents/{letter.draft_document_id}") as draft:
        assert draft.status_code == 200 and COMPLETE["facts"] in letters.docx_text(draft.data)

    response = client.post(f"/letters/{letter.id}/final", data={}, content_type="multipart/form-data")
    assert response.status_code == 400 and "Выберите файл." in _page(response)
    response = client.post(f"/letters/{letter.id}/final", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(b"MZ\x90 not a pdf"), "signed.pdf")})
    assert response.status_code == 400
    response = client.post(f"/letters/{letter.id}/final", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(PDF), "signed.pdf")})
    assert response.status_code == 302

    response = client.post(f"/letters/{letter.id}/send", data={"channel": "central_authority"})
    assert response.status_code == 400 and "ещё не утверждён" in _page(response)
    item = db.session.get(CooperationRequest, mla.id)
    change_status(db.session, item, dept.officer, Status.AWAITING_APPROVAL, utcnow())
    change_status(db.session, item, dept.head, Status.APPROVED, utcnow())
    db.session.commit()
    response = client.post(f"/letters/{letter.id}/send", data={"channel": "central_authority",
                                                               "partner_reference": "BfJ-77"})
    assert response.status_code == 302
    db.session.expire_all()
    letter = db.session.get(Letter, letter.id)
    assert letter.state == LetterState.SENT and letter.request.status == Status.SENT
    assert letter.sent_event.document_id == letter.final_document_id
    page = _page(client.get(f"/requests/{mla.id}"))
    assert letter.number in page


def test_the_register_filters_and_exports(client, auth, dept, mla, tmp_path):
    for language in ("ru", "en"):
        letters.draft_letter(db.session, mla, dept.officer, LetterKind.ASSISTANCE, language, utcnow(),
                             letters.ZoneInfo("Asia/Almaty"), tmp_path / "uploads")
    db.session.commit()
    first, second = db.session.scalars(select(Letter.number).order_by(Letter.id)).all()
    auth.login("head")
    page = _page(client.get("/letters/"))
    assert first in page and second in page and "Исходящие письма" in page
    page = _page(client.get("/letters/", query_string={"number": second}))
    assert second in page and f">{first}<" not in page
    page = _page(client.get("/letters/", query_string={"kind": "preservation"}))
    assert "Нет писем" in page
    export = client.get("/letters/", query_string={"format": "csv", "partner": "DE"}, buffered=True)
    assert export.status_code == 200 and first in export.get_data(as_text=True)
    assert client.get("/letters/", query_string={"format": "xlsx"}, buffered=True).data[:2] == b"PK"
    assert client.get("/letters/", query_string={"date_from": "not a date"}).status_code == 400
    assert client.get("/letters/", query_string={"format": "pdf"}).status_code == 400


def test_the_printable_view_needs_nothing_from_outside(client, auth, dept, mla, tmp_path):
    letter = letters.draft_letter(db.session, mla, dept.officer, LetterKind.ASSISTANCE, "ru", utcnow(),
                                  letters.ZoneInfo("Asia/Almaty"), tmp_path / "uploads")
    db.session.commit()
    auth.login("colleague")  # anyone who may see the request
    response = client.get(f"/letters/{letter.id}/print")
    page = _page(response)
    assert response.status_code == 200 and letter.number in page and COMPLETE["facts"] in page
    assert "http://" not in page and "https://" not in page


def test_a_reminder_drafts_the_status_enquiry_in_one_click(client, auth, dept, mla):
    seed_deadline_rules(db.session)  # the enquiry series of an outgoing request for assistance
    item = db.session.get(CooperationRequest, mla.id)
    item.status, item.sent_at = Status.SENT, utcnow() - timedelta(days=31)
    deadline = Deadline(request_id=item.id, kind=DeadlineKind.STATUS_ENQUIRY, sequence=0, state=DeadlineState.OPEN,
                        unit="calendar_days", due_at=utcnow() - timedelta(days=1), started_at=item.sent_at,
                        explanation={})
    db.session.add(deadline)
    db.session.flush()
    db.session.add(Reminder(request_id=item.id, deadline_id=deadline.id, recipient_id=dept.officer.id,
                            kind=ReminderKind.AFTER, offset_code="D+0", deadline_due_at=deadline.due_at,
                            due_at=utcnow() - timedelta(hours=1), state=ReminderState.SENT))
    db.session.commit()
    auth.login("officer")
    page = _page(client.get("/reminders"))
    assert f"/letters/deadline/{deadline.id}/draft" in page and "Подготовить запрос о ходе исполнения" in page
    response = client.post(f"/letters/deadline/{deadline.id}/draft")
    assert response.status_code == 302
    letter = db.session.scalar(select(Letter))
    assert letter.kind == LetterKind.STATUS_ENQUIRY and letter.deadline_id == deadline.id
    client.post(f"/letters/{letter.id}/final", content_type="multipart/form-data",
                data={"file": (io.BytesIO(PDF), "enquiry-signed.pdf")})
    assert client.post(f"/letters/{letter.id}/send", data={}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Deadline, deadline.id).state == DeadlineState.MET


def _upload(client, content: bytes, name: str = "mine.docx", **fields):
    data = {"name": "Запрос в Германию", "kind": "assistance", "language": "en", "active": "y",
            "file": (io.BytesIO(content), name)} | fields
    return client.post("/letters/templates/new", data=data, content_type="multipart/form-data")


@pytest.mark.parametrize(("content", "name", "message"), [
    (docx_with("Dear {{ addressee }", "{{ facts }}"), "syntax.docx", "В полях шаблона ошибка"),
    (docx_with("{{ suspect_name }}"), "unknown.docx", "suspect_name"),
    (PDF, "letter.pdf", "не документ Word (.docx)"),
    (b"x" * (300 * 1024), "big.docx", "Файл больше 0.25 МБ."),  # under the test client's 500 KB spooling
])
def test_a_bad_template_gets_a_clear_message_and_the_stored_ones_keep_working(app, client, auth, dept, mla,
                                                                              content, name, message):
    app.config["COOP_MAX_TEMPLATE_BYTES"] = 256 * 1024 if name == "big.docx" else letters.MAX_TEMPLATE_BYTES
    stored = {row.scope_key: row.sha256 for row in db.session.scalars(select(LetterTemplate))}
    auth.login("admin")
    response = _upload(client, content, name, partner_id=str(dept.germany.id))
    assert response.status_code == 400
    assert message in _page(response)
    assert {row.scope_key: row.sha256 for row in db.session.scalars(select(LetterTemplate))} == stored
    auth.logout()
    auth.login("officer")
    assert client.post(f"/letters/request/{mla.id}/draft", data={"kind": "assistance",
                                                                 "language": "en"}).status_code == 302


def test_an_administrator_uploads_a_partners_own_template_and_sets_the_numbering(client, auth, dept, mla):
    auth.login("admin")
    assert client.get("/letters/templates").status_code == 200
    response = _upload(client, docx_with("Germany: {{ number }} — {{ facts }}"), partner_id=str(dept.germany.id))
    assert response.status_code == 302
    assert client.post("/letters/numbering", data={"pattern": "12-34"}).status_code == 400
    assert client.post("/letters/numbering", data={"pattern": "12-34/{number}"}).status_code == 302
    template = db.session.scalar(select(LetterTemplate).where(LetterTemplate.partner_id == dept.germany.id))
    assert client.get(f"/letters/templates/{template.id}/file").data[:2] == b"PK"
    response = client.post(f"/letters/templates/{template.id}", data={
        "name": "Renamed", "kind": "assistance", "language": "en", "partner_id": str(dept.germany.id),
        "active": "y"}, content_type="multipart/form-data")
    assert response.status_code == 302  # the file is kept when none is uploaded
    auth.logout()
    auth.login("officer")
    client.post(f"/letters/request/{mla.id}/draft", data={"kind": "assistance", "language": "en"})
    letter = db.session.scalar(select(Letter))
    assert letter.number == "12-34/1" and letter.template.name == "Renamed"
    with client.get(f"/requests/{mla.id}/documents/{letter.draft_document_id}") as download:
        text = letters.docx_text(download.data)
    assert text.strip() == f"Germany: 12-34/1 — {COMPLETE['facts']}"
    assert client.get("/letters/templates").status_code == 403
