"""The letter rules without the web: which letter and template, what the record lacks, checking templates,
numbering; and, on each database, drafting, the signed version, sending, and numbers taken in parallel."""

import io
import threading
import zipfile
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from docx import Document
from sqlalchemy import select

from coop.domain import letters
from coop.domain.documents import store_upload
from coop.domain.letter_texts import builtin_docx, seed_letter_templates
from coop.domain.letters import LetterProblem
from coop.domain.requests import change_status
from coop.extensions import db
from coop.models import (
    CooperationRequest,
    Deadline,
    DeadlineKind,
    DeadlineState,
    Direction,
    Identifier,
    IdentifierKind,
    Letter,
    LetterKind,
    LetterState,
    LetterTemplate,
    RequestType,
    Status,
)
from tests.letters.conftest import COMPLETE, NOW, complete_request

ZONE = letters.ZoneInfo("Asia/Almaty")


def docx_with(*paragraphs: str) -> bytes:
    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    output = io.BytesIO()
    document.save(output)
    return output.getvalue()


# --- which letter, template, language ------------------------------------------------------------------------

@pytest.mark.parametrize(("preservation", "emergency", "direction", "expected"), [
    (True, False, Direction.OUTGOING, LetterKind.PRESERVATION),
    (False, True, Direction.OUTGOING, LetterKind.EMERGENCY),
    (False, False, Direction.OUTGOING, LetterKind.ASSISTANCE),
    (False, False, Direction.INCOMING, LetterKind.REPLY),
])
def test_the_request_type_decides_the_request_letter(preservation, emergency, direction, expected):
    request_type = RequestType(is_preservation=preservation, is_emergency=emergency)
    assert letters.request_letter_kind(request_type, direction) == expected


def test_the_most_specific_template_wins():
    request = CooperationRequest(request_type_id=1, legal_basis_id=2, partner_id=3)

    def template(**scope):
        return LetterTemplate(kind=LetterKind.ASSISTANCE, language="en", active=True, **scope)

    general, for_type, for_basis, for_partner = template(), template(request_type_id=1), \
        template(legal_basis_id=2), template(partner_id=3)
    other_partner, russian = template(partner_id=9), LetterTemplate(kind=LetterKind.ASSISTANCE, language="ru",
                                                                    active=True, partner_id=3)
    choose = letters.choose_template
    assert choose([general, for_type], LetterKind.ASSISTANCE, "en", request) is for_type
    assert choose([general, for_type, for_basis], LetterKind.ASSISTANCE, "en", request) is for_basis
    assert choose([for_partner, for_basis, general, other_partner, russian], LetterKind.ASSISTANCE, "en",
                  request) is for_partner
    assert choose([other_partner], LetterKind.ASSISTANCE, "en", request) is None
    assert choose([general], LetterKind.PRESERVATION, "en", request) is None


@pytest.mark.parametrize(("accepted", "available", "expected"), [
    ("en", {"ru", "en", "kk"}, "en"),
    ("ru", {"ru", "en"}, "ru"),
    ("de", {"ru", "en", "kk"}, "en"),  # no German template: English
    ("de, kk", {"ru", "en", "kk"}, "kk"),
    (None, {"ru"}, "ru"),
])
def test_the_language_is_the_partners_first_one_we_have(accepted, available, expected):
    assert letters.default_language(accepted, available) == expected


# --- what the record lacks ------------------------------------------------------------------------------------

def _request(**fields) -> CooperationRequest:
    request = CooperationRequest(request_type=RequestType(is_preservation=False, is_emergency=False),
                                 direction=Direction.OUTGOING, **fields)
    request.identifiers = []
    return request


def test_gaps_name_missing_facts_an_ip_without_its_time_and_a_date_without_reasons():
    request = _request(**(COMPLETE | {"facts": None, "requested_by_reasons": None}))
    request.identifiers = [Identifier(kind=IdentifierKind.IP, normalized="198.51.100.4", observed_at=None)]
    gaps = letters.letter_gaps(request, LetterKind.ASSISTANCE)
    assert [(gap.code, gap.detail) for gap in gaps] == [
        ("facts", None), ("requested_by_reasons", None), ("ip_without_time", "198.51.100.4")]


def test_a_complete_record_lacks_nothing_but_an_enquiry_needs_a_sent_request():
    request = _request(**COMPLETE)
    assert letters.letter_gaps(request, LetterKind.ASSISTANCE) == []
    assert [gap.code for gap in letters.letter_gaps(request, LetterKind.STATUS_ENQUIRY)] == ["not_sent_yet"]
    request.sent_at = NOW
    assert letters.letter_gaps(request, LetterKind.STATUS_ENQUIRY) == []


# --- templates ------------------------------------------------------------------------------------------------

def test_every_builtin_template_passes_the_upload_check():
    for kind in LetterKind:
        for language in letters.LANGUAGES:
            assert letters.check_template(builtin_docx(kind, language)) <= set(letters.FIELDS)


@pytest.mark.parametrize(("paragraphs", "code", "detail"), [
    (("Dear {{ addressee }", "{{ facts"), "syntax", "«Dear {{ addressee }"),
    (("{{ suspect_name }} and {{ facts }}",), "unknown_field", "suspect_name"),
    (("{% for item in identifiers %}{{ item.secret }}{% endfor %}",), "unknown_field", "secret"),
    (("{{ facts.__class__.__mro__ }}",), "unsafe", "__class__"),
])
def test_a_bad_template_is_refused_with_what_is_wrong(paragraphs, code, detail):
    with pytest.raises(LetterProblem) as refused:
        letters.check_template(docx_with(*paragraphs))
    assert refused.value.code == code
    assert detail in refused.value.detail


def test_a_file_that_is_not_a_docx_or_unpacks_too_large_is_refused():
    for content in (b"%PDF-1.7 not a word file", b"PK\x03\x04 broken zip", b""):
        with pytest.raises(LetterProblem, match="not_docx"):
            letters.check_template(content)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"0" * (letters.MAX_UNPACKED_BYTES + 1))
    with pytest.raises(LetterProblem, match="too_large"):
        letters.check_template(bomb.getvalue())


# --- numbering ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("pattern", "code"), [
    ("12-34/567", "pattern_number"), ("{number}/{number}", "pattern_number"), ("", "pattern_length"),
    ("{number}-{month}", "pattern_placeholder"), ("{number}}", "pattern_placeholder"),
])
def test_a_numbering_format_must_hold_the_number_once(pattern, code):
    with pytest.raises(LetterProblem, match=code):
        letters.check_pattern(pattern)


def test_numbers_follow_the_format():
    assert letters.format_number(letters.check_pattern(" 12-34/{number} "), 567, 2026) == "12-34/567"
    assert letters.format_number("{year}/{number}", 8, 2026) == "2026/8"
    # Each distinct text around the number counts on its own; the year starts a new series only if shown.
    assert letters.series_of("12-34/{number}", 2026) == letters.series_of("12-34/{number}", 2027)
    assert letters.series_of("{year}/{number}", 2026) != letters.series_of("{year}/{number}", 2027)


# --- on the database ------------------------------------------------------------------------------------------

def _texts(session, letter: Letter, folder) -> str:
    from coop.domain.documents import verified_path

    return letters.docx_text(verified_path(folder, letter.draft_document.sha256).read_bytes())


def test_a_drafted_letter_carries_every_checklist_item_and_is_kept_with_its_sha256(app, dept, letter_templates,
                                                                                    tmp_path):
    request = complete_request(dept, request_type_id=dept.mla.id, partner_id=dept.germany.id,
                               legal_basis_id=dept.budapest.id)
    folder = tmp_path / "uploads"
    for language in ("ru", "en", "kk"):
        letter = letters.draft_letter(db.session, request, dept.officer, LetterKind.ASSISTANCE, language, NOW, ZONE,
                                      folder)
        text = _texts(db.session, letter, folder)
        for name in ("requesting_authority", "investigation_subject", "facts", "offence", "assistance_sought",
                     "persons", "purpose", "requested_by_reasons", "confidentiality"):
            assert COMPLETE[name] in text, (language, name)
        assert "01.01.2026 – 31.01.2026" in text and "30.04.2026" in text
        assert "95.56.12.34 · 2026-01-05 09:03:00 UTC (Asia/Almaty)" in text
        assert letter.number in text and dept.case.number in text
        assert ("Article 25–27" if language == "en" else "25–27") in text
        assert letter.draft_document.sha256 and letter.missing is None
    numbers = db.session.scalars(select(Letter.number).order_by(Letter.id)).all()
    assert numbers == ["2026/1", "2026/2", "2026/3"]


def test_a_preservation_letter_names_the_data_the_custodian_and_the_request_to_follow(app, dept, letter_templates,
                                                                                      tmp_path):
    request = complete_request(dept, request_type_id=dept.preservation.id)
    letter = letters.draft_letter(db.session, request, dept.officer, LetterKind.PRESERVATION, "en", NOW, ZONE,
                                  tmp_path)
    text = _texts(db.session, letter, tmp_path)
    for name in ("requesting_authority", "facts", "offence", "assistance_sought", "persons", "data_custodian",
                 "requested_by_reasons"):
        assert COMPLETE[name] in text, name
    assert "A request for mutual legal assistance to obtain these data will follow." in text
    assert letter.addressee == "Meta Platforms"  # the partner's name when no legal entity is recorded


def test_drafting_stops_at_gaps_unless_told_to_go_on(app, dept, letter_templates, tmp_path):
    request = dept.new_request(request_type_id=dept.mla.id, partner_id=dept.germany.id, facts="Only the facts")
    with pytest.raises(LetterProblem) as refused:
        letters.draft_letter(db.session, request, dept.officer, LetterKind.ASSISTANCE, "ru", NOW, ZONE, tmp_path)
    assert refused.value.code == "gaps" and "requesting_authority" in refused.value.detail
    letter = letters.draft_letter(db.session, request, dept.officer, LetterKind.ASSISTANCE, "ru", NOW, ZONE,
                                  tmp_path, accept_gaps=True)
    assert "requesting_authority" in letter.missing_codes() and "facts" not in letter.missing_codes()
    with pytest.raises(LetterProblem, match="kind_not_for_request"):
        letters.draft_letter(db.session, request, dept.officer, LetterKind.REPLY, "ru", NOW, ZONE, tmp_path)
    with pytest.raises(LetterProblem, match="not_allowed"):
        letters.draft_letter(db.session, request, dept.admin, LetterKind.ASSISTANCE, "ru", NOW, ZONE, tmp_path,
                             accept_gaps=True)


def _signed(request, folder, content=b"%PDF-1.7 signed letter"):
    return store_upload(io.BytesIO(content), "signed.pdf", folder, 10_000)


def test_sending_the_request_letter_moves_the_request_through_the_workflow(app, dept, letter_templates, tmp_path):
    request = complete_request(dept, request_type_id=dept.mla.id, partner_id=dept.germany.id)
    letter = letters.draft_letter(db.session, request, dept.officer, LetterKind.ASSISTANCE, "en", NOW, ZONE,
                                  tmp_path)
    with pytest.raises(LetterProblem, match="not_signed"):
        letters.record_sent(db.session, letter, dept.officer, NOW, zone=ZONE)
    letters.attach_final(db.session, letter, dept.officer, _signed(request, tmp_path), NOW)
    with pytest.raises(LetterProblem, match="not_approved"):
        letters.record_sent(db.session, letter, dept.officer, NOW, zone=ZONE)
    for status, who in ((Status.AWAITING_APPROVAL, dept.officer), (Status.APPROVED, dept.head)):
        change_status(db.session, request, who, status, NOW)
    event = letters.record_sent(db.session, letter, dept.officer, NOW, channel="central_authority",
                                partner_reference="BfJ-2026-77", zone=ZONE)
    db.session.commit()
    assert request.status == Status.SENT and request.sent_at == NOW
    assert event.to_status == Status.SENT and event.document_id == letter.final_document_id
    assert event.comment == letter.number and letter.sent_event_id == event.id
    assert letter.state == LetterState.SENT and {ref.reference for ref in request.partner_references} == {
        "BfJ-2026-77"}
    with pytest.raises(LetterProblem, match="already_sent"):
        letters.record_sent(db.session, letter, dept.officer, NOW, zone=ZONE)


def test_a_status_enquiry_sent_moves_the_series_to_the_next_enquiry(app, dept, letter_templates, tmp_path):
    from coop.domain.deadlines import seed_deadline_rules

    seed_deadline_rules(db.session)
    request = complete_request(dept, request_type_id=dept.mla.id, partner_id=dept.germany.id)
    sent = NOW - timedelta(days=40)
    request.sent_at = sent
    request.status = Status.SENT
    due = Deadline(request_id=request.id, kind=DeadlineKind.STATUS_ENQUIRY, sequence=0, state=DeadlineState.OPEN,
                   unit="calendar_days", due_at=NOW - timedelta(days=10), started_at=sent, explanation={})
    db.session.add(due)
    db.session.flush()
    letter = letters.draft_letter(db.session, request, dept.officer, LetterKind.STATUS_ENQUIRY, "ru", NOW, ZONE,
                                  tmp_path)
    assert letter.deadline_id == due.id
    text = _texts(db.session, letter, tmp_path)
    assert request.reference in text and "29.01.2026" in text and "прошло 40 дн." in text
    letters.attach_final(db.session, letter, dept.officer, _signed(request, tmp_path), NOW)
    event = letters.record_sent(db.session, letter, dept.officer, NOW, zone=ZONE)
    db.session.commit()
    assert event.document_id == letter.final_document_id and event.comment == letter.number
    db.session.expire_all()
    assert db.session.get(Deadline, due.id).state == DeadlineState.MET


def test_a_refused_upload_leaves_the_stored_template_as_it_was(app, dept, letter_templates):
    key = letters.scope_key(LetterKind.ASSISTANCE, "en")
    stored = db.session.scalar(select(LetterTemplate).where(LetterTemplate.scope_key == key))
    before = stored.sha256
    for bad in (docx_with("{{ facts"), docx_with("{{ nobody }}"), b"not a docx"):
        with pytest.raises(LetterProblem):
            letters.store_template(db.session, LetterKind.ASSISTANCE, "en", bad, "Mine", dept.admin, NOW,
                                   replacing=stored)
        db.session.rollback()
    assert db.session.get(LetterTemplate, stored.id).sha256 == before
    mine = letters.store_template(db.session, LetterKind.ASSISTANCE, "en", docx_with("To {{ addressee }}: {{ facts }}"),
                                  "Germany's own", dept.admin, NOW, partner_id=dept.germany.id)
    assert mine.id != stored.id and not mine.builtin
    assert seed_letter_templates(db.session, NOW) == 0  # seeding again adds nothing and changes nothing


def test_parallel_numbering_gives_distinct_numbers_without_gaps(app, dept):
    """Officers drafting at the same moment, each in a transaction of their own; every fourth draft fails after
    taking its number and rolls back: the committed numbers are exactly 1..N, none twice."""
    workers, each = 8, 12
    db.session.commit()  # the test itself holds no transaction (on SQLite it would hold the write lock)
    start = threading.Barrier(workers)

    def number_many(worker: int) -> list[str]:
        numbers = []
        with app.app_context():
            start.wait()
            for attempt in range(each):
                number = letters.allocate_number(db.session, "12-34/{number}", 2026)
                if attempt % 4 == 3:
                    db.session.rollback()  # e.g. the template could not be filled
                    continue
                db.session.commit()
                numbers.append(number)
            db.session.remove()
        return numbers

    with ThreadPoolExecutor(workers) as pool:
        numbers = [number for batch in pool.map(number_many, range(workers)) for number in batch]
    expected = workers * (each - each // 4)
    assert len(set(numbers)) == len(numbers) == expected
    assert sorted(numbers, key=lambda text: int(text.rsplit("/", 1)[1])) == \
        [f"12-34/{number}" for number in range(1, expected + 1)]


def test_a_number_already_in_the_register_is_skipped(app, dept, letter_templates, tmp_path):
    request = complete_request(dept, request_type_id=dept.mla.id, partner_id=dept.germany.id)
    first = letters.draft_letter(db.session, request, dept.officer, LetterKind.ASSISTANCE, "en", NOW, ZONE, tmp_path)
    letters.set_pattern(db.session, "{year}/{number}", dept.admin, NOW)  # the same format saved again
    assert first.number == "2026/1"
    # The counter row is reset by hand (a restored backup, say): the next free number is given, not a duplicate.
    from coop.models import ReferenceCounter

    db.session.get(ReferenceCounter, letters.series_of("{year}/{number}", 2026)).last_value = 0
    db.session.flush()
    second = letters.draft_letter(db.session, request, dept.officer, LetterKind.ASSISTANCE, "en",
                                  NOW + timedelta(minutes=1), ZONE, tmp_path)
    assert second.number == "2026/2"
