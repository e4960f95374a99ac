"""coop.domain.requests: creating, editing, moving requests, and what each change records."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from coop.domain import deadlines
from coop.domain.documents import StoredFile
from coop.domain.identifiers import parse_identifier
from coop.domain.requests import (
    EditConflict,
    RequestProblem,
    add_identifier,
    add_note,
    add_partner_reference,
    attach_document,
    change_status,
    contents_checklist,
    copy_identifiers,
    missing_contents,
    moment_of,
    remove_identifier,
    set_officers,
    update_request,
)
from coop.domain.workflow import TransitionNotAllowed
from coop.extensions import db
from coop.models import (
    Direction,
    DocumentKind,
    EventKind,
    IdentifierKind,
    PartnerReference,
    RequestEvent,
    Status,
    Urgency,
)
from tests.requests.conftest import NOW


def events_of(request, kind=None):
    query = select(RequestEvent).where(RequestEvent.request_id == request.id).order_by(RequestEvent.id)
    if kind is not None:
        query = query.where(RequestEvent.kind == kind)
    return list(db.session.scalars(query))


@pytest.fixture
def recomputed(monkeypatch):
    """Every call the domain makes to let the deadlines recompute."""
    calls = []
    monkeypatch.setattr(deadlines, "on_request_changed", lambda session, request, now: calls.append((request, now)))
    return calls


# --- creating -------------------------------------------------------------------------------------------

def test_a_new_outgoing_request_is_a_draft_with_the_next_reference_and_its_creator_assigned(dept, recomputed):
    first = dept.new_request()
    second = dept.new_request(title="Second")
    assert (first.reference, second.reference) == ("OUT-2026-00001", "OUT-2026-00002")
    assert first.status == Status.DRAFT and first.version == 1
    assert first.officers == [dept.officer] and first.created_by == dept.officer
    assert first.received_at is None
    [created] = events_of(first)
    assert (created.kind, created.actor, created.to_status, created.at) == (EventKind.CREATED, dept.officer,
                                                                           Status.DRAFT, NOW)
    assert recomputed == [(first, NOW), (second, NOW)]


def test_an_incoming_request_is_received_with_its_time_and_the_partners_reference(dept):
    arrived = datetime(2026, 3, 5, 19, 0, tzinfo=UTC)
    request = dept.new_request(direction=Direction.INCOMING, request_type_id=dept.incoming_mla.id,
                               partner_id=dept.germany.id, legal_basis_id=dept.budapest.id, received_at=arrived,
                               partner_reference="BKA-2026-17")
    assert request.reference == "IN-2026-00001" and request.status == Status.RECEIVED
    assert request.received_at == arrived
    assert [ref.reference for ref in request.partner_references] == ["BKA-2026-17"]


def test_the_reference_year_is_the_year_in_almaty_not_in_utc(dept):
    # 31 December 20:00 UTC is already 1 January in Almaty (UTC+5).
    request = dept.new_request(now=datetime(2026, 12, 31, 20, 0, tzinfo=UTC))
    assert request.reference == "OUT-2027-00001"


def test_officers_besides_the_creator_are_assigned_once_each(dept):
    request = dept.new_request(officers=[dept.colleague, dept.officer])
    assert sorted(officer.username for officer in request.officers) == ["colleague", "officer"]


@pytest.mark.parametrize("overrides, code, field", [
    ({"urgency": Urgency.EMERGENCY}, "emergency_justification_required", "emergency_justification"),
    ({"urgency": Urgency.EMERGENCY, "emergency_justification": "   "}, "emergency_justification_required",
     "emergency_justification"),
    ({"title": "  "}, "title_required", "title"),
    ({"request_type_id": None}, "type_required", "request_type_id"),
    ({"data_period_from": date(2026, 2, 1), "data_period_to": date(2026, 1, 1)}, "period_reversed",
     "data_period_to"),
    ({"follows_id": 999999}, "unknown_request", "follows_id"),
])
def test_a_request_breaking_a_rule_is_refused(dept, overrides, code, field):
    with pytest.raises(RequestProblem) as problem:
        dept.new_request(**overrides)
    assert (problem.value.code, problem.value.field) == (code, field)


def test_a_type_must_fit_the_direction_and_the_kind_of_partner(dept):
    with pytest.raises(RequestProblem, match="type_partner_mismatch"):
        dept.new_request(request_type_id=dept.mla.id)  # an MLA goes to a country, not to Meta
    with pytest.raises(RequestProblem, match="type_direction_mismatch"):
        dept.new_request(request_type_id=dept.incoming_mla.id, partner_id=dept.germany.id)


def test_an_emergency_with_its_justification_is_accepted(dept):
    request = dept.new_request(urgency=Urgency.EMERGENCY, emergency_justification="Threat of suicide posted")
    assert request.urgency == Urgency.EMERGENCY


def test_an_administrator_cannot_create_requests(dept):
    with pytest.raises(RequestProblem, match="not_allowed"):
        dept.new_request(actor=dept.admin)


# --- editing --------------------------------------------------------------------------------------------

def test_an_edit_records_one_event_per_changed_field_and_raises_the_version(dept, recomputed):
    request = dept.new_request(facts="Old facts")
    db.session.commit()
    later = NOW + timedelta(hours=1)
    events = update_request(db.session, request, dept.officer,
                            {"facts": "New facts", "title": request.title, "partner_id": dept.meta.id,
                             "urgency": Urgency.URGENT, "requested_by": date(2026, 4, 1), "restricted": True},
                            submitted_version=1, now=later)
    db.session.commit()
    changed = {(event.field, event.old_value, event.new_value) for event in events}
    assert changed == {("facts", "Old facts", "New facts"), ("urgency", "normal", "urgent"),
                       ("requested_by", None, "2026-04-01"), ("restricted", "false", "true")}
    assert all(event.kind == EventKind.CHANGED and event.actor == dept.officer and event.at == later
               for event in events)
    assert request.version == 2 and request.updated_at == later
    assert recomputed[-1] == (request, later)


def test_an_edit_that_changes_nothing_records_nothing(dept):
    request = dept.new_request(facts="Facts")
    db.session.commit()
    assert update_request(db.session, request, dept.officer, {"facts": " Facts ", "persons": ""}, 1, NOW) == []
    assert request.version == 1


def test_an_edit_from_an_outdated_version_is_a_conflict_and_changes_nothing(dept):
    request = dept.new_request(facts="Original")
    db.session.commit()
    update_request(db.session, request, dept.colleague, {"facts": "Colleague's"}, 1, NOW)
    db.session.commit()
    with pytest.raises(EditConflict) as conflict:
        update_request(db.session, request, dept.officer, {"facts": "Mine"}, 1, NOW)
    db.session.rollback()
    assert conflict.value.current_version == 2
    db.session.refresh(request)
    assert request.facts == "Colleague's" and request.version == 2


def test_editing_the_officers_records_who_was_and_who_is_assigned(dept):
    request = dept.new_request()
    db.session.commit()
    [event] = update_request(db.session, request, dept.officer, {"officer_ids": [dept.colleague.id, dept.officer.id]},
                             1, NOW)
    assert event.field == "officers"
    assert event.old_value == str(dept.officer.id)
    assert event.new_value == ",".join(str(i) for i in sorted([dept.officer.id, dept.colleague.id]))


def test_set_officers_replaces_the_assigned_officers(dept):
    request = dept.new_request()
    event = set_officers(db.session, request, dept.head, [dept.colleague], NOW)
    assert request.officers == [dept.colleague] and event.field == "officers"
    assert set_officers(db.session, request, dept.head, [dept.colleague], NOW) is None


def test_a_request_cannot_follow_itself_or_one_that_follows_it(dept):
    first = dept.new_request()
    second = dept.new_request(follows_id=first.id)
    db.session.commit()
    with pytest.raises(RequestProblem, match="follows_itself"):
        update_request(db.session, first, dept.officer, {"follows_id": first.id}, 1, NOW)
    db.session.rollback()
    with pytest.raises(RequestProblem, match="follows_cycle"):
        update_request(db.session, first, dept.officer, {"follows_id": second.id}, 1, NOW)


# --- the workflow ---------------------------------------------------------------------------------------

def test_a_transition_records_who_when_why_and_what_went_with_it(dept, recomputed):
    request = dept.new_request()
    letter = attach_document(db.session, request, dept.officer, StoredFile("a" * 64, 10, "application/pdf", "x.pdf"),
                             DocumentKind.REQUEST_LETTER, NOW)
    for target, actor in ((Status.AWAITING_APPROVAL, dept.officer), (Status.APPROVED, dept.head)):
        change_status(db.session, request, actor, target, NOW)
    event = change_status(db.session, request, dept.officer, Status.SENT, NOW, reason="Via the portal",
                          channel="law_enforcement_portal", partner_reference="META-123", document=letter,
                          occurred_on=date(2026, 3, 9))
    db.session.commit()
    assert (event.kind, event.from_status, event.to_status, event.actor) == (EventKind.TRANSITION, Status.APPROVED,
                                                                             Status.SENT, dept.officer)
    assert (event.comment, event.channel, event.partner_reference, event.document, event.occurred_on) == (
        "Via the portal", "law_enforcement_portal", "META-123", letter, date(2026, 3, 9))
    assert request.status == Status.SENT
    # Sent yesterday (Almaty): the clock starts at the start of that day, not when it was recorded.
    assert request.sent_at == datetime(2026, 3, 8, 19, 0, tzinfo=UTC)
    assert [ref.reference for ref in request.partner_references] == ["META-123"]
    assert recomputed[-1] == (request, NOW)


def test_an_officer_cannot_approve_only_a_head_can(dept):
    request = dept.new_request()
    change_status(db.session, request, dept.officer, Status.AWAITING_APPROVAL, NOW)
    with pytest.raises(TransitionNotAllowed) as refusal:
        change_status(db.session, request, dept.officer, Status.APPROVED, NOW)
    assert refusal.value.code == "head_only" and request.status == Status.AWAITING_APPROVAL


def test_an_outgoing_request_cannot_be_sent_before_approval(dept):
    request = dept.new_request()
    with pytest.raises(TransitionNotAllowed) as refusal:
        change_status(db.session, request, dept.head, Status.SENT, NOW)
    assert refusal.value.code == "not_in_workflow"
    assert events_of(request, EventKind.TRANSITION) == []


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_a_refusal_without_a_reason_is_refused(dept, reason):
    request = dept.new_request(direction=Direction.INCOMING, request_type_id=dept.incoming_mla.id,
                               partner_id=dept.germany.id)
    for target in (Status.REGISTERED, Status.ASSESSED, Status.CONSULTATION):
        change_status(db.session, request, dept.officer, target, NOW)
    with pytest.raises(TransitionNotAllowed) as refusal:
        change_status(db.session, request, dept.officer, Status.REFUSED, NOW, reason=reason)
    assert refusal.value.code == "reason_required" and request.status == Status.CONSULTATION
    change_status(db.session, request, dept.officer, Status.REFUSED, NOW, reason="Dual criminality not met")
    assert request.status == Status.REFUSED and request.closed_at == NOW


def test_milestones_are_set_when_reached_and_a_full_answer_follows_a_partial_one(dept):
    request = dept.new_request()
    moments = iter(NOW + timedelta(days=day) for day in range(10))
    steps = [(Status.AWAITING_APPROVAL, dept.officer), (Status.APPROVED, dept.head), (Status.SENT, dept.officer),
             (Status.ACKNOWLEDGED, dept.officer), (Status.PARTIALLY_ANSWERED, dept.officer),
             (Status.ANSWERED, dept.officer), (Status.CLOSED, dept.officer)]
    at = {}
    for target, actor in steps:
        at[target] = next(moments)
        change_status(db.session, request, actor, target, at[target])
    assert request.sent_at == at[Status.SENT]
    assert request.acknowledged_at == at[Status.ACKNOWLEDGED]
    assert request.answered_at == at[Status.ANSWERED]
    assert request.closed_at == at[Status.CLOSED]


def test_a_finished_request_no_longer_moves(dept):
    request = dept.new_request()
    change_status(db.session, request, dept.officer, Status.WITHDRAWN, NOW, reason="No longer needed")
    with pytest.raises(TransitionNotAllowed, match="final"):
        change_status(db.session, request, dept.officer, Status.DRAFT, NOW)


def test_a_move_from_a_status_someone_else_already_left_is_refused(dept):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("on SQLite the first read of a transaction takes the write lock: this race cannot happen")
    request = dept.new_request()
    db.session.commit()
    assert request.status == Status.DRAFT  # read in this session's transaction, before the colleague's move
    table = request.__table__
    with db.engine.begin() as other:  # a colleague's save, committed after this session loaded the request
        other.execute(table.update().where(table.c.id == request.id).values(status=Status.LEGAL_CHECK))
    with pytest.raises(TransitionNotAllowed, match="status_changed"):
        change_status(db.session, request, dept.officer, Status.AWAITING_APPROVAL, NOW)


def test_a_date_in_the_future_or_a_document_of_another_request_is_refused(dept):
    request, other = dept.new_request(), dept.new_request()
    with pytest.raises(RequestProblem, match="date_in_future"):
        change_status(db.session, request, dept.officer, Status.LEGAL_CHECK, NOW, occurred_on=date(2026, 3, 11))
    foreign = attach_document(db.session, other, dept.officer, StoredFile("b" * 64, 1, "text/plain", "b.txt"),
                              DocumentKind.OTHER, NOW)
    with pytest.raises(RequestProblem, match="foreign_document"):
        change_status(db.session, request, dept.officer, Status.LEGAL_CHECK, NOW, document=foreign)


def test_moment_of_a_date_is_now_for_today_and_the_start_of_the_day_in_almaty_otherwise():
    assert moment_of(None, NOW) == NOW
    assert moment_of(date(2026, 3, 10), NOW) == NOW
    assert moment_of(date(2026, 3, 1), NOW) == datetime(2026, 2, 28, 19, 0, tzinfo=UTC)


# --- notes, references, identifiers, documents ----------------------------------------------------------

def test_notes_and_partner_references_are_recorded_in_the_history(dept):
    request = dept.new_request()
    add_note(db.session, request, dept.officer, "  Called the Meta LE desk  ", NOW)
    add_partner_reference(db.session, request, dept.officer, "12345678", NOW, note="Meta case number")
    with pytest.raises(RequestProblem, match="duplicate_partner_reference"):
        add_partner_reference(db.session, request, dept.officer, " 12345678 ", NOW)
    with pytest.raises(RequestProblem, match="note_required"):
        add_note(db.session, request, dept.officer, "   ", NOW)
    kinds = [(event.kind, event.comment, event.new_value) for event in events_of(request)[1:]]
    assert kinds == [(EventKind.NOTE, "Called the Meta LE desk", None),
                     (EventKind.PARTNER_REFERENCE, "Meta case number", "12345678")]
    assert db.session.scalar(select(PartnerReference.note)) == "Meta case number"


def test_identifiers_are_added_once_and_removed_with_a_trace(dept):
    request = dept.new_request()
    phone = parse_identifier(IdentifierKind.PHONE, "8 701 123 45 67")
    identifier = add_identifier(db.session, request, dept.officer, phone, NOW, note="Used for the ads")
    with pytest.raises(RequestProblem, match="duplicate_identifier"):
        add_identifier(db.session, request, dept.officer, parse_identifier(IdentifierKind.PHONE, "+77011234567"), NOW)
    remove_identifier(db.session, request, dept.officer, identifier, NOW)
    db.session.commit()
    assert request.identifiers == []
    added, removed = events_of(request, EventKind.IDENTIFIER)
    assert (added.field, added.new_value, added.comment) == ("phone", "+77011234567", "Used for the ads")
    assert (removed.old_value, removed.new_value) == ("+77011234567", None)


def test_a_follow_up_copies_the_identifiers_it_does_not_name_yet(dept):
    preservation = dept.new_request(request_type_id=dept.preservation.id)
    follow_up = dept.new_request(follows_id=preservation.id)
    ip = parse_identifier(IdentifierKind.IP, "8.8.8.8", observed_at=datetime(2026, 3, 1, 12, 0), zone="Asia/Almaty")
    account = parse_identifier(IdentifierKind.ACCOUNT, "https://instagram.com/fake_shop_kz")
    add_identifier(db.session, preservation, dept.officer, ip, NOW)
    add_identifier(db.session, preservation, dept.officer, account, NOW)
    add_identifier(db.session, follow_up, dept.officer, account, NOW)
    assert copy_identifiers(db.session, preservation, follow_up, dept.officer, NOW) == 1
    copied = {(item.kind, item.normalized, item.observed_at) for item in follow_up.identifiers}
    assert (IdentifierKind.IP, "8.8.8.8", datetime(2026, 3, 1, 7, 0, tzinfo=UTC)) in copied and len(copied) == 2


def test_the_same_file_is_attached_to_a_request_once(dept):
    request = dept.new_request()
    stored = StoredFile("c" * 64, 2048, "application/pdf", "letter.pdf")
    document = attach_document(db.session, request, dept.officer, stored, DocumentKind.REQUEST_LETTER, NOW,
                               dated=date(2026, 3, 9), note="Signed")
    with pytest.raises(RequestProblem, match="duplicate_document"):
        attach_document(db.session, request, dept.officer, stored, DocumentKind.OTHER, NOW)
    [event] = events_of(request, EventKind.DOCUMENT)
    assert (event.document, event.new_value, event.field, event.occurred_on) == (document, "letter.pdf",
                                                                                 "request_letter", date(2026, 3, 9))


def test_an_administrator_changes_nothing(dept):
    request = dept.new_request()
    with pytest.raises(RequestProblem, match="not_allowed"):
        add_note(db.session, request, dept.admin, "Looks fine", NOW)
    with pytest.raises(RequestProblem, match="not_allowed"):
        change_status(db.session, request, dept.admin, Status.LEGAL_CHECK, NOW)


# --- the checklist --------------------------------------------------------------------------------------

def test_an_empty_request_misses_every_item_of_the_checklist(dept):
    assert missing_contents(dept.new_request()) == [
        "requesting_authority", "investigation_subject", "facts", "offence", "assistance_sought", "persons",
        "purpose", "data_period", "requested_by", "requested_by_reasons", "confidentiality"]


def test_a_complete_request_misses_nothing_and_identifiers_count_as_the_accounts_concerned(dept):
    request = dept.new_request(
        requesting_authority="DCC MIA RK", investigation_subject="Fraud, investigator Nurlanov", facts="Ads",
        offence="Art. 190(4) CC, up to 10 years", assistance_sought="Subscriber data", purpose="Identify the seller",
        data_period_from=date(2026, 1, 1), data_period_to=date(2026, 2, 1), requested_by=date(2026, 4, 1),
        requested_by_reasons="Detention term ends", confidentiality="Do not notify the user")
    assert missing_contents(request) == ["persons"]
    add_identifier(db.session, request, dept.officer, parse_identifier(IdentifierKind.EMAIL, "a@mail.ru"), NOW)
    assert missing_contents(request) == []
    assert all(done for _item, done in contents_checklist(request))


def test_a_preservation_request_has_its_own_checklist_and_an_emergency_needs_its_justification(dept):
    request = dept.new_request(request_type_id=dept.preservation.id, urgency=Urgency.EMERGENCY,
                               emergency_justification="Kidnapping", assistance_sought="All data of the account",
                               data_custodian="Meta Platforms, Inc., Menlo Park", follow_up_promised=True)
    assert missing_contents(request) == ["requesting_authority", "facts", "offence", "persons", "data_period",
                                         "urgency_reasons"]
    assert ("emergency_justification", True) in contents_checklist(request)
