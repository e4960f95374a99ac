import re

import pytest

from coop.extensions import db
from coop.models import Role
from coop.security import safe_next_url
from tests.conftest import running_app
from tests.factories import TEST_PASSWORD, make_user


def test_pages_carry_security_headers(client):
    response = client.get("/login")
    policy = response.headers["Content-Security-Policy"]
    for directive in ("script-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        assert directive in policy
    assert "unsafe-inline" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_session_cookie_is_http_only_and_same_site(client, auth):
    make_user(db.session, "officer")
    db.session.commit()
    auth.login()
    cookie = client.get_cookie("coop_session")
    assert cookie.http_only
    assert cookie.same_site == "Lax"


def test_no_page_has_inline_script(client, auth):
    make_user(db.session, "officer", Role.ADMIN)
    db.session.commit()
    auth.login()
    for path in ("/login", "/", "/admin/users", "/account/password"):
        body = client.get(path).get_data(as_text=True)
        assert "<script>" not in body and "onclick=" not in body


@pytest.mark.parametrize("target", ["//evil.example", "/\\evil.example", "http://evil.example", "", None,
                                    "evil.example", "/\tjavascript:x"])
def test_safe_next_url_rejects_off_site_targets(target):
    assert safe_next_url(target) is None


def test_safe_next_url_keeps_local_paths_with_queries():
    assert safe_next_url("/requests?status=sent&page=2") == "/requests?status=sent&page=2"


@pytest.fixture
def csrf_client(database_url, tmp_path):
    with running_app(database_url, tmp_path, WTF_CSRF_ENABLED=True) as app:
        make_user(db.session, "officer")
        db.session.commit()
        yield app.test_client()


def test_forms_without_a_csrf_token_are_refused(csrf_client):
    response = csrf_client.post("/login", data={"username": "officer", "password": TEST_PASSWORD})
    assert response.status_code == 400
    assert csrf_client.get("/").status_code == 302


def test_forms_with_a_wrong_csrf_token_are_refused(csrf_client):
    csrf_client.get("/login")
    response = csrf_client.post("/login", data={"username": "officer", "password": TEST_PASSWORD,
                                                "csrf_token": "forged"})
    assert response.status_code == 400


def test_forms_with_the_page_token_are_accepted_and_logout_needs_it_too(csrf_client):
    page = csrf_client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = csrf_client.post("/login", data={"username": "officer", "password": TEST_PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert csrf_client.post("/logout").status_code == 400
    assert csrf_client.get("/").status_code == 200
