"""The API's requests: the same visibility, rights, rules and filters as the web pages, JSON errors with field
details, pages, and a history that names the token that made each change."""

import pytest
from sqlalchemy import func, select

from coop.domain.request_search import parse_filters, search_requests
from coop.extensions import db
from coop.i18n import local_zone
from coop.models import AuditRecord, CooperationRequest, EventKind, RequestEvent, Status, utcnow
from tests.api.helpers import bearer, seed_api_world


@pytest.fixture
def world(app):
    world = seed_api_world(db.session)
    db.session.commit()
    return world


def _new_request(**fields) -> dict:
    return {"direction": "outgoing", "title": "Данные подписчика @fake_shop_kz", "request_type": "direct_disclosure",
            "partner": "meta"} | fields


def _count_requests() -> int:
    return db.session.scalar(select(func.count()).select_from(CooperationRequest))


# --- creating ----------------------------------------------------------------------------------------------

def test_creating_a_request_answers_201_with_the_request_and_records_the_token_in_its_history(client, world):
    response = client.post("/api/v1/requests", headers=bearer(world.write_token), json=_new_request(
        legal_basis="provider-policy", case_number=world.case_number.lower(), officers=["a.karimova"],
        data_period_from="2026-01-01", data_period_to="2026-01-31", partner_reference="LE-1234"))

    assert response.status_code == 201
    body = response.get_json()
    assert response.headers["Location"] == f"/api/v1/requests/{body['id']}"
    assert body["reference"].startswith("OUT-") and body["status"] == "draft"
    assert body["partner"]["code"] == "meta" and body["legal_basis"]["code"] == "provider-policy"
    assert body["case"]["number"] == world.case_number
    assert {officer["username"] for officer in body["officers"]} == {"officer", "a.karimova"}
    assert body["partner_references"] == ["LE-1234"] and body["data_period_to"] == "2026-01-31"
    events = db.session.scalars(select(RequestEvent).where(RequestEvent.request_id == body["id"])).all()
    assert {event.kind for event in events} == {EventKind.CREATED, EventKind.PARTNER_REFERENCE}
    assert all(event.via == "api" and event.via_detail == "write token" for event in events)
    audit = db.session.scalar(select(AuditRecord).where(AuditRecord.entity == "cooperation_request",
                                                        AuditRecord.entity_id == str(body["id"])))
    assert audit.via == "api" and "write token" in audit.actor_name


def test_the_request_page_shows_that_a_change_came_through_the_api_with_the_tokens_name(client, auth, world):
    created = client.post("/api/v1/requests", headers=bearer(world.write_token), json=_new_request()).get_json()
    auth.login("officer")

    page = client.get(f"/requests/{created['id']}").get_data(as_text=True)

    assert "write token" in page and 'data-via="api"' in page


@pytest.mark.parametrize(("body", "field"), [
    ({"title": None}, "title"),
    ({"title": "   "}, "title"),
    ({"title": "x" * 301}, "title"),
    ({"partner": "atlantis"}, "partner"),
    ({"request_type": "mla_incoming"}, "request_type"),  # an incoming type for an outgoing request
    ({"partner": "US"}, "partner"),  # a provider's type for a country
    ({"data_period_from": "01.02.2026"}, "data_period_from"),
    ({"data_period_from": "2026-02-30"}, "data_period_from"),
    ({"requested_by": "1000-01-01"}, "requested_by"),
    ({"data_period_from": "2026-03-01", "data_period_to": "2026-02-01"}, "data_period_to"),
    ({"urgency": "emergency"}, "emergency_justification"),
    ({"urgency": "now!"}, "urgency"),
    ({"restricted": "yes"}, "restricted"),
    ({"officers": ["nobody"]}, "officers"),
    ({"case_number": "0000-404"}, "case_number"),
    ({"follows": "OUT-1999-0001"}, "follows"),
    ({"colour": "red"}, "colour"),
    ({"facts": "a\x00b"}, "facts"),
    ({"received_on": "2026-01-05"}, "received_on"),  # an outgoing request is not received
])
def test_a_request_with_a_bad_field_is_refused_with_422_naming_the_field_and_nothing_is_created(client, world,
                                                                                                body, field):
    before = _count_requests()

    response = client.post("/api/v1/requests", headers=bearer(world.write_token), json=_new_request(**body))

    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid" and error["status"] == 422
    assert field in error["fields"] and all(error["fields"][field])
    assert _count_requests() == before


def test_a_body_that_is_not_json_is_a_400_and_a_json_list_a_422(client, world):
    not_json = client.post("/api/v1/requests", headers=bearer(world.write_token), data="title=x",
                           content_type="application/x-www-form-urlencoded")
    a_list = client.post("/api/v1/requests", headers=bearer(world.write_token), json=["outgoing"])

    assert not_json.status_code == 400 and not_json.get_json()["error"]["code"] == "not_json"
    assert a_list.status_code == 422


def test_missing_required_fields_are_all_named_at_once(client, world):
    response = client.post("/api/v1/requests", headers=bearer(world.write_token), json={})

    assert set(response.get_json()["error"]["fields"]) == {"direction", "title", "request_type", "partner"}


def test_an_administrator_cannot_create_requests(client, world):
    response = client.post("/api/v1/requests", headers=bearer(world.admin_token), json=_new_request())

    assert response.status_code == 403 and response.get_json()["error"]["code"] == "not_allowed"


# --- reading -----------------------------------------------------------------------------------------------

def test_a_request_reads_with_its_fields_identifiers_and_next_statuses(client, world):
    body = client.get(f"/api/v1/requests/{world.outgoing_id}", headers=bearer(world.write_token)).get_json()

    assert body["status"] == "legal_check" and body["editable"] is True
    assert set(body["next_statuses"]) == {"draft", "awaiting_approval", "withdrawn"}
    assert body["history_url"] == f"/api/v1/requests/{world.outgoing_id}/history"


def test_an_officer_cannot_see_a_restricted_request_of_others_by_any_route(client, world):
    headers = bearer(world.write_token)

    assert client.get(f"/api/v1/requests/{world.restricted_id}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/requests/{world.restricted_id}/history", headers=headers).status_code == 404
    assert client.patch(f"/api/v1/requests/{world.restricted_id}", headers=headers,
                        json={"version": 1, "title": "x"}).status_code == 404
    listed = client.get("/api/v1/requests?per_page=100", headers=headers).get_json()["items"]
    assert world.restricted_id not in {item["id"] for item in listed}
    assert client.get(f"/api/v1/requests/{world.restricted_id}",
                      headers=bearer(world.head_token)).status_code == 200


def test_an_administrator_reads_a_restricted_request_and_the_reading_is_audited(client, world):
    response = client.get(f"/api/v1/requests/{world.restricted_id}", headers=bearer(world.admin_token))
    write = client.patch(f"/api/v1/requests/{world.restricted_id}", headers=bearer(world.admin_token),
                         json={"version": 1, "title": "Изменено"})

    assert response.status_code == 200 and response.get_json()["editable"] is False
    assert write.status_code == 403
    reading = db.session.scalar(select(AuditRecord).where(AuditRecord.action == "read"))
    assert reading.entity_id == str(world.restricted_id) and reading.via == "api"


# --- the list ----------------------------------------------------------------------------------------------

def test_the_list_applies_the_web_lists_filters_and_sorting(app, client, world):
    for number in range(4):
        client.post("/api/v1/requests", headers=bearer(world.write_token),
                    json=_new_request(title=f"Запрос Telegram {number}", urgency="urgent" if number % 2 else "normal"))
    args = {"status": "open", "partner": "meta", "urgency": "urgent", "text": "telegram", "sort": "title"}

    listed = client.get("/api/v1/requests", headers=bearer(world.write_token), query_string=args).get_json()

    filters, _problems = parse_filters(args)
    with app.test_request_context():
        expected = db.session.scalars(search_requests(world.officer, filters, utcnow(), local_zone())).all()
    assert [item["id"] for item in listed["items"]] == [item.id for item in expected]
    assert [item["title"] for item in listed["items"]] == ["Запрос Telegram 1", "Запрос Telegram 3"]


@pytest.mark.parametrize(("query", "field"), [
    ("status=lost", "status"), ("created_from=yesterday", "created_from"), ("partner=atlantis", "partner"),
    ("per_page=30", "per_page"), ("page=0", "page"), ("case=%C2%B2", "case"),
    ("officer=99999999999999999999", "officer"),
    ("created_to=9999-12-31", "created_to"), ("sent_from=0001-01-01", "sent_from"), ("overdue=maybe", "overdue"),
    ("text=" + "x" * 201, "text"), ("sort=colour", "sort"),
])
def test_a_filter_the_list_cannot_use_is_a_400_naming_it(client, world, query, field):
    response = client.get(f"/api/v1/requests?{query}", headers=bearer(world.write_token))

    assert response.status_code == 400
    assert field in response.get_json()["error"]["fields"]


def test_the_list_comes_in_pages_with_links_that_keep_the_filters(client, world):
    for number in range(27):
        client.post("/api/v1/requests", headers=bearer(world.head_token), json=_new_request(title=f"№ {number}"))
    headers = bearer(world.write_token)

    first = client.get("/api/v1/requests?per_page=25&status=draft", headers=headers).get_json()
    second = client.get(first["next"], headers=headers).get_json()

    assert (first["total"], first["pages"], len(first["items"]), first["prev"]) == (27, 2, 25, None)
    # The next page is read by cursor (page numbers still work, but are deprecated): nothing counted there.
    assert "status=draft" in first["next"] and f"cursor={first['next_cursor']}" in first["next"]
    assert len(second["items"]) == 2 and second["next"] is None and second["next_cursor"] is None
    assert (second["total"], second["page"], second["prev"]) == (None, None, None)
    by_number = client.get("/api/v1/requests?per_page=25&status=draft&page=2", headers=headers).get_json()
    assert [item["id"] for item in by_number["items"]] == [item["id"] for item in second["items"]]
    assert "page=1" in by_number["prev"]


def test_a_page_of_the_list_costs_the_same_few_queries_whatever_its_size(client, world, count_queries):
    for number in range(30):
        client.post("/api/v1/requests", headers=bearer(world.write_token), json=_new_request(title=f"№ {number}"))
    headers = bearer(world.write_token)
    client.get("/api/v1/requests?per_page=25", headers=headers)

    with count_queries() as small:
        client.get("/api/v1/requests?per_page=25&sort=title", headers=headers)
    with count_queries() as large:
        client.get("/api/v1/requests?per_page=100&sort=title", headers=headers)

    # The short page also counts the total and reads the sort value its next cursor starts from (the long one
    # holds every request): four times the rows, never more queries.
    assert large.count <= small.count <= 12


# --- editing -----------------------------------------------------------------------------------------------

def test_an_edit_changes_only_the_fields_sent_and_records_them_with_the_token(client, world):
    before = client.get(f"/api/v1/requests/{world.outgoing_id}", headers=bearer(world.write_token)).get_json()

    response = client.patch(f"/api/v1/requests/{world.outgoing_id}", headers=bearer(world.write_token),
                            json={"version": before["version"], "title": "Новое название", "facts": "Факты"})

    body = response.get_json()
    assert response.status_code == 200
    assert (body["title"], body["facts"], body["version"]) == ("Новое название", "Факты", before["version"] + 1)
    assert body["partner"] == before["partner"] and body["case"] == before["case"]
    changes = db.session.scalars(select(RequestEvent).where(RequestEvent.request_id == world.outgoing_id,
                                                            RequestEvent.kind == EventKind.CHANGED)).all()
    assert {(event.field, event.via, event.via_detail) for event in changes} == {
        ("title", "api", "write token"), ("facts", "api", "write token")}


def test_an_edit_from_an_old_version_is_a_409_and_changes_nothing(client, world):
    headers = bearer(world.write_token)
    version = client.get(f"/api/v1/requests/{world.outgoing_id}", headers=headers).get_json()["version"]
    client.patch(f"/api/v1/requests/{world.outgoing_id}", headers=headers, json={"version": version, "title": "A"})

    response = client.patch(f"/api/v1/requests/{world.outgoing_id}", headers=headers,
                            json={"version": version, "title": "B"})

    error = response.get_json()["error"]
    assert response.status_code == 409 and error["code"] == "edit_conflict" and "version" in error["fields"]
    assert db.session.get(CooperationRequest, world.outgoing_id).title == "A"


def test_an_edit_needs_the_version_it_starts_from(client, world):
    response = client.patch(f"/api/v1/requests/{world.outgoing_id}", headers=bearer(world.write_token),
                            json={"title": "Без версии"})

    assert response.status_code == 422 and "version" in response.get_json()["error"]["fields"]


# --- moving along the workflow -----------------------------------------------------------------------------

def test_a_move_the_workflow_allows_is_recorded_with_its_reason_channel_and_token(client, world):
    response = client.post(f"/api/v1/requests/{world.outgoing_id}/status", headers=bearer(world.write_token),
                           json={"status": "awaiting_approval", "reason": "Проверено", "channel": "email",
                                 "expected_status": "legal_check"})

    assert response.status_code == 200 and response.get_json()["status"] == "awaiting_approval"
    event = db.session.scalar(select(RequestEvent).where(RequestEvent.request_id == world.outgoing_id,
                                                         RequestEvent.to_status == Status.AWAITING_APPROVAL))
    assert (event.comment, event.channel, event.via, event.via_detail) == ("Проверено", "email", "api",
                                                                           "write token")


@pytest.mark.parametrize(("body", "status", "where"), [
    ({"status": "sent"}, 422, "status"),  # not the next step of a request in legal check
    ({"status": "withdrawn"}, 422, "reason"),  # withdrawing needs a reason
    ({"status": "legal_check"}, 422, "status"),  # already there
    ({"status": "draft", "expected_status": "approved"}, 409, "expected_status"),
    ({"status": "lost"}, 422, "status"),
])
def test_a_move_the_workflow_refuses_is_answered_with_its_reason(client, world, body, status, where):
    response = client.post(f"/api/v1/requests/{world.outgoing_id}/status", headers=bearer(world.write_token),
                           json=body)

    assert response.status_code == status
    assert where in response.get_json()["error"]["fields"]
    assert db.session.get(CooperationRequest, world.outgoing_id).status == Status.LEGAL_CHECK


def test_only_a_head_approves_a_request(client, world):
    headers = bearer(world.write_token)
    client.post(f"/api/v1/requests/{world.outgoing_id}/status", headers=headers, json={"status": "awaiting_approval"})

    by_officer = client.post(f"/api/v1/requests/{world.outgoing_id}/status", headers=headers,
                             json={"status": "approved"})
    by_head = client.post(f"/api/v1/requests/{world.outgoing_id}/status", headers=bearer(world.head_token),
                          json={"status": "approved"})

    assert by_officer.status_code == 403 and by_officer.get_json()["error"]["code"] == "head_only"
    assert by_head.status_code == 200 and by_head.get_json()["status"] == "approved"


# --- the history -------------------------------------------------------------------------------------------

def test_the_history_lists_every_entry_oldest_first_with_how_it_came(client, world):
    headers = bearer(world.write_token)
    client.post(f"/api/v1/requests/{world.outgoing_id}/status", headers=headers, json={"status": "draft"})

    history = client.get(f"/api/v1/requests/{world.outgoing_id}/history?per_page=2", headers=headers).get_json()
    rest = client.get(history["next"], headers=headers).get_json()

    entries = history["items"] + rest["items"]
    assert [entry["kind"] for entry in entries] == ["created", "transition", "transition"]
    assert [entry["via"] for entry in entries] == ["web", "web", "api"]
    assert entries[-1]["via_detail"] == "write token" and entries[-1]["actor"]["username"] == "officer"
    assert entries[-1]["from_status"] == "legal_check" and entries[-1]["to_status"] == "draft"


def test_a_query_argument_the_operation_does_not_know_is_a_400_naming_it(client, world):
    response = client.get("/api/v1/requests?stauts=open", headers=bearer(world.write_token))

    assert response.status_code == 400
    assert response.get_json()["error"]["fields"] == {"stauts": ["Unknown query argument."]}
