"""Who may call the API, and how: tokens (revoked, expired, read-only), the session with its CSRF token, and
errors that are JSON under /api/ while the web pages keep theirs."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from coop.domain.tokens import issue_token
from coop.extensions import db
from coop.models import ApiToken, CooperationRequest, TokenScope, utcnow
from tests.api.helpers import bearer, seed_api_world
from tests.conftest import running_app
from tests.factories import TEST_PASSWORD

NEW_REQUEST = {"direction": "outgoing", "title": "Данные подписчика", "request_type": "direct_disclosure",
               "partner": "meta"}


@pytest.fixture
def world(app):
    world = seed_api_world(db.session)
    db.session.commit()
    return world


def _titles() -> set[str]:
    return set(db.session.scalars(select(CooperationRequest.title)))


# --- tokens ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("header", [None, "Bearer", "Bearer nonsense", "Basic b2ZmaWNlcjpwYXNz",
                                    "Bearer coop_0123456789_wrongsecret"])
def test_a_call_without_a_valid_token_is_a_401_in_json_asking_for_a_bearer_token(client, world, header):
    response = client.get("/api/v1/me", headers={"Authorization": header} if header else {})

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.get_json()["error"]["code"] in {"unauthorized", "invalid_token"}


def test_the_right_prefix_with_a_wrong_secret_is_refused(client, world):
    prefix = world.write_token.split("_")[1]

    response = client.get("/api/v1/me", headers=bearer(f"coop_{prefix}_{'A' * 43}"))

    assert response.status_code == 401


def test_a_read_only_token_reads_but_cannot_write(client, world):
    headers = bearer(world.read_token)
    before = _titles()

    assert client.get("/api/v1/requests", headers=headers).status_code == 200
    created = client.post("/api/v1/requests", headers=headers, json=NEW_REQUEST)
    edited = client.patch(f"/api/v1/requests/{world.outgoing_id}", headers=headers, json={"version": 2, "title": "x"})
    moved = client.post(f"/api/v1/requests/{world.outgoing_id}/status", headers=headers, json={"status": "draft"})

    for response in (created, edited, moved):
        assert response.status_code == 403
        assert response.get_json()["error"]["code"] == "read_only_token"
    assert _titles() == before


def test_a_revoked_token_can_neither_write_nor_read(client, auth, world):
    token = db.session.scalar(select(ApiToken).where(ApiToken.name == "write token"))
    auth.login("officer")
    client.post(f"/account/tokens/{token.id}/revoke")
    auth.logout()
    headers = bearer(world.write_token)

    created = client.post("/api/v1/requests", headers=headers, json=NEW_REQUEST)
    read = client.get("/api/v1/me", headers=headers)

    assert created.status_code == read.status_code == 401
    assert created.get_json()["error"]["code"] == "invalid_token"
    assert "Данные подписчика" not in _titles()


def test_an_expired_token_is_refused(client, world):
    token = db.session.scalar(select(ApiToken).where(ApiToken.name == "write token"))
    token.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()

    assert client.get("/api/v1/me", headers=bearer(world.write_token)).status_code == 401


def test_the_token_of_a_deactivated_user_is_refused(client, world):
    world.officer.active = False
    db.session.commit()

    assert client.get("/api/v1/me", headers=bearer(world.write_token)).status_code == 401


def test_a_token_acts_for_its_owner_with_the_owners_rights(client, world):
    me = client.get("/api/v1/me", headers=bearer(world.read_token)).get_json()

    assert me["username"] == "officer" and me["role"] == "officer"
    assert me["token"]["name"] == "read token" and me["token"]["scope"] == "read"


def test_each_use_of_a_token_is_noted_at_most_once_a_minute_without_filling_the_audit_trail(client, world):
    from coop.models import AuditRecord

    audited = db.session.query(AuditRecord).count()
    client.get("/api/v1/me", headers=bearer(world.read_token))
    first = db.session.scalar(select(ApiToken.last_used_at).where(ApiToken.name == "read token"))
    client.get("/api/v1/me", headers=bearer(world.read_token))
    second = db.session.scalar(select(ApiToken.last_used_at).where(ApiToken.name == "read token"))

    assert first is not None and second == first
    assert db.session.query(AuditRecord).count() == audited


# --- the session and CSRF ----------------------------------------------------------------------------------

@pytest.fixture
def csrf_app(database_url, tmp_path):
    with running_app(database_url, tmp_path, WTF_CSRF_ENABLED=True) as app:
        world = seed_api_world(db.session)
        db.session.commit()
        app.world = world
        yield app


def _logged_in(client) -> str:
    """Log in through the form (with its CSRF token); returns a CSRF token of the session."""
    import re

    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login", data={"username": "officer", "password": TEST_PASSWORD, "csrf_token": token})
    page = client.get("/account/tokens/").get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_a_browser_session_reads_the_api_but_must_send_the_csrf_token_to_write(csrf_app):
    client = csrf_app.test_client()
    csrf_token = _logged_in(client)

    read = client.get("/api/v1/me")
    forged = client.post("/api/v1/requests", json=NEW_REQUEST)
    genuine = client.post("/api/v1/requests", json=NEW_REQUEST, headers={"X-CSRFToken": csrf_token})

    assert read.status_code == 200 and read.get_json()["token"] is None
    assert forged.status_code == 400 and forged.get_json()["error"]["code"] == "csrf_failed"
    assert genuine.status_code == 201 and genuine.get_json()["title"] == "Данные подписчика"


def test_a_call_with_a_token_needs_no_csrf_token(csrf_app):
    client = csrf_app.test_client()

    response = client.post("/api/v1/requests", json=NEW_REQUEST, headers=bearer(csrf_app.world.write_token))

    assert response.status_code == 201


def test_with_both_a_session_and_a_token_the_token_decides(csrf_app):
    client = csrf_app.test_client()
    _logged_in(client)  # the officer's session ...

    response = client.post("/api/v1/requests", json=NEW_REQUEST, headers=bearer(csrf_app.world.read_token))

    assert response.status_code == 403  # ... cannot lift a read-only token's limit


# --- errors ------------------------------------------------------------------------------------------------

def test_errors_under_the_api_are_json_while_the_web_pages_keep_their_html(client, auth, world):
    headers = bearer(world.write_token)

    unknown = client.get("/api/v1/nothing-here", headers=headers)
    wrong_method = client.delete("/api/v1/requests", headers=headers)
    missing = client.get("/api/v1/requests/999999", headers=headers)
    huge = client.get("/api/v1/requests/99999999999999999999", headers=headers)
    nul = client.get("/api/v1/partners/%00", headers=headers)
    auth.login("officer")
    page = client.get("/no-such-page")

    assert unknown.status_code == missing.status_code == huge.status_code == 404
    assert unknown.get_json()["error"]["code"] == "not_found"
    assert wrong_method.status_code == 405 and "GET" in wrong_method.headers["Allow"]
    assert wrong_method.get_json()["error"]["code"] == "method_not_allowed"
    assert nul.status_code == 400 and nul.is_json
    assert page.status_code == 404 and page.mimetype == "text/html"


def test_a_body_over_the_upload_limit_is_a_413_in_json(database_url, tmp_path):
    with running_app(database_url, tmp_path, MAX_CONTENT_LENGTH=1024) as app:
        world = seed_api_world(db.session)
        db.session.commit()
        response = app.test_client().post("/api/v1/requests", headers=bearer(world.write_token),
                                          json=NEW_REQUEST | {"facts": "x" * 4096})

    assert response.status_code == 413 and response.get_json()["error"]["code"] == "too_large"


def test_messages_are_in_the_callers_language(client, world):
    world.officer.locale = "ru"
    db.session.commit()

    response = client.post("/api/v1/requests", headers=bearer(world.write_token), json={})

    assert response.get_json()["error"]["fields"]["title"] == ["Это поле обязательно."]


def test_a_token_issued_and_stored_keeps_only_a_hash_of_its_secret(app, world):
    token, text = issue_token(db.session, world.head, "Отчёты", TokenScope.READ, utcnow(), None)

    assert text.startswith(f"coop_{token.prefix}_")
    assert text.split("_", 2)[2] not in (token.token_hash, token.prefix)
    assert len(token.token_hash) == 64 and token.expires_at is None


def test_too_many_calls_with_one_token_are_a_429_in_json(database_url, tmp_path):
    with running_app(database_url, tmp_path, RATELIMIT_ENABLED=True, COOP_API_RATE_LIMIT="3 per minute") as app:
        world = seed_api_world(db.session)
        db.session.commit()
        client = app.test_client()
        answers = [client.get("/api/v1/me", headers=bearer(world.read_token)) for _ in range(4)]
        other_token = client.get("/api/v1/me", headers=bearer(world.head_token))

    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert answers[-1].get_json()["error"]["code"] == "too_many_requests"
    assert "Retry-After" in answers[-1].headers
    assert other_token.status_code == 200
