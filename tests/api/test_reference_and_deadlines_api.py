"""Partners, reference lists, deadlines and reminders through the API, and the API's own description."""

from datetime import timedelta

import pytest

from coop.api.openapi import document
from coop.extensions import db
from coop.models import (
    ClockUnit,
    Deadline,
    DeadlineKind,
    DeadlineState,
    Reminder,
    ReminderKind,
    ReminderState,
    utcnow,
)
from tests.api.helpers import bearer, seed_api_world


@pytest.fixture
def world(app):
    world = seed_api_world(db.session)
    db.session.commit()
    return world


def _deadline(request_id: int, due_in: timedelta, state=DeadlineState.OPEN, kind=DeadlineKind.ANSWER_EXPECTED):
    deadline = Deadline(request_id=request_id, kind=kind, sequence=0, state=state, unit=ClockUnit.CALENDAR_DAYS,
                        due_at=utcnow() + due_in, started_at=utcnow() - timedelta(days=1))
    db.session.add(deadline)
    db.session.flush()
    return deadline


def _reminder(deadline: Deadline, recipient, due_in: timedelta, state=ReminderState.SENT) -> Reminder:
    reminder = Reminder(request_id=deadline.request_id, deadline_id=deadline.id, recipient_id=recipient.id,
                        kind=ReminderKind.BEFORE, offset_code="D-3", deadline_due_at=deadline.due_at,
                        due_at=utcnow() + due_in, state=state)
    db.session.add(reminder)
    db.session.flush()
    return reminder


# --- partners and reference lists --------------------------------------------------------------------------

def test_partners_are_listed_by_code_and_filtered_by_kind_and_text(client, world):
    headers = bearer(world.read_token)

    everyone = client.get("/api/v1/partners", headers=headers).get_json()
    countries = client.get("/api/v1/partners?kind=country", headers=headers).get_json()
    found = client.get("/api/v1/partners?q=герм", headers=headers).get_json()

    assert [partner["code"] for partner in everyone["items"]] == ["DE", "US", "meta"]
    assert {partner["code"] for partner in countries["items"]} == {"DE", "US"}
    assert [partner["code"] for partner in found["items"]] == ["DE"]


@pytest.mark.parametrize("query", ["kind=planet", "active=maybe", "page=abc", "per_page=500", "q=" + "x" * 101])
def test_a_partner_filter_that_cannot_be_used_is_a_400(client, world, query):
    response = client.get(f"/api/v1/partners?{query}", headers=bearer(world.read_token))

    assert response.status_code == 400 and response.get_json()["error"]["fields"]


def test_a_partner_reads_with_its_contacts_and_instruments(client, world):
    partner = client.get("/api/v1/partners/meta", headers=bearer(world.read_token)).get_json()

    assert partner["kind"] == "provider" and partner["contacts"] == [] and partner["instruments"] == []
    assert client.get("/api/v1/partners/atlantis", headers=bearer(world.read_token)).status_code == 404


def test_request_types_and_legal_bases_list_their_codes(client, world):
    types = client.get("/api/v1/request-types", headers=bearer(world.read_token)).get_json()["items"]
    bases = client.get("/api/v1/legal-bases", headers=bearer(world.read_token)).get_json()["items"]

    assert {item["code"] for item in types} >= {"preservation_provider", "mla_incoming", "direct_disclosure"}
    assert next(item for item in types if item["code"] == "mla_incoming")["direction"] == "incoming"
    assert {item["code"] for item in bases} == {"provider-policy", "budapest"}


# --- deadlines and reminders -------------------------------------------------------------------------------

def test_a_requests_deadlines_are_listed_soonest_first_with_whether_they_are_overdue(client, world):
    later = _deadline(world.outgoing_id, timedelta(days=10))
    late = _deadline(world.outgoing_id, timedelta(days=-2), kind=DeadlineKind.STATUS_ENQUIRY)
    db.session.commit()

    items = client.get(f"/api/v1/requests/{world.outgoing_id}/deadlines",
                       headers=bearer(world.read_token)).get_json()["items"]

    assert [(item["id"], item["overdue"]) for item in items] == [(late.id, True), (later.id, False)]
    assert items[0]["request"]["id"] == world.outgoing_id


def test_the_deadlines_list_shows_only_visible_requests_and_filters_them(client, world):
    mine = _deadline(world.outgoing_id, timedelta(days=-1))
    _deadline(world.incoming_id, timedelta(days=5), state=DeadlineState.MET, kind=DeadlineKind.TIME_LIMIT)
    hidden = _deadline(world.restricted_id, timedelta(days=-1))
    db.session.commit()
    headers = bearer(world.read_token)

    everything = client.get("/api/v1/deadlines", headers=headers).get_json()
    overdue = client.get("/api/v1/deadlines?overdue=true", headers=headers).get_json()
    met = client.get("/api/v1/deadlines?state=met", headers=headers).get_json()
    bad = client.get("/api/v1/deadlines?due_from=03.03.2026", headers=headers)

    assert hidden.id not in {item["id"] for item in everything["items"]} and everything["total"] == 3
    assert [item["id"] for item in overdue["items"]] == [mine.id]
    assert [item["state"] for item in met["items"]] == ["met"]
    assert bad.status_code == 400 and "due_from" in bad.get_json()["error"]["fields"]


def test_reminders_are_the_callers_own_and_can_be_marked_done(client, world):
    deadline = _deadline(world.outgoing_id, timedelta(days=2))
    waiting = _reminder(deadline, world.officer, timedelta(hours=-1))
    _reminder(deadline, world.head, timedelta(hours=-1))
    db.session.commit()

    listed = client.get("/api/v1/reminders", headers=bearer(world.write_token)).get_json()
    shown = client.get("/api/v1/reminders/waiting", headers=bearer(world.write_token)).get_json()
    read_only = client.post(f"/api/v1/reminders/{deadline.id}/done", headers=bearer(world.read_token))
    done = client.post(f"/api/v1/reminders/{deadline.id}/done", headers=bearer(world.write_token))

    assert waiting.id in {item["id"] for item in listed["items"]}
    assert all(item["request"]["id"] != world.restricted_id for item in listed["items"])
    assert [item["id"] for item in shown["items"]] == [waiting.id]
    assert read_only.status_code == 403
    assert done.get_json() == {"done": 1}
    assert db.session.get(Reminder, waiting.id).state == ReminderState.DONE
    assert client.get("/api/v1/reminders/waiting", headers=bearer(world.write_token)).get_json()["items"] == []


def test_reminders_of_a_request_the_caller_cannot_see_stay_hidden(client, world):
    hidden = _deadline(world.restricted_id, timedelta(days=1))
    _reminder(hidden, world.officer, timedelta(hours=-1))
    db.session.commit()

    listed = client.get("/api/v1/reminders", headers=bearer(world.read_token)).get_json()["items"]
    assert all(item["request"]["id"] != world.restricted_id for item in listed)
    assert client.post(f"/api/v1/reminders/{hidden.id}/done", headers=bearer(world.write_token)).status_code == 404


# --- the API's description ---------------------------------------------------------------------------------

def test_the_openapi_document_is_served_in_english_and_the_docs_page_in_the_readers_language(client, world):
    served = client.get("/api/v1/openapi.json", headers=bearer(world.read_token)).get_json()
    world.officer.locale = "ru"
    db.session.commit()
    page = client.get("/api/v1/docs", headers=bearer(world.read_token)).get_data(as_text=True)

    assert served == document()
    assert served["openapi"] == "3.1.0" and served["paths"]["/requests"]["get"]["summary"] == "List requests"
    assert "Список запросов" in page and 'data-testid="operation-create_request"' in page


def test_the_openapi_document_needs_a_login_like_every_page(client, world):
    assert client.get("/api/v1/openapi.json").status_code == 401
