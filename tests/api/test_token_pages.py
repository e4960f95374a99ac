"""The account's API tokens page: a token is named, shown once, listed without its secret, and revoked."""

import re

import pytest
from sqlalchemy import select

from coop.domain.tokens import MAX_TOKENS_PER_USER, TokenProblem, find_token, issue_token, revoke_token, split_token
from coop.extensions import db
from coop.models import ApiToken, Role, TokenScope, utcnow
from tests.api.helpers import bearer
from tests.factories import make_user


@pytest.fixture
def officer(app):
    user = make_user(db.session, "officer", Role.OFFICER, full_name="Айдар Сейтказиев")
    db.session.commit()
    return user


def _shown_token(page: str) -> str | None:
    found = re.search(r'value="(coop_[a-z0-9]{10}_[^"]+)"', page)
    return found.group(1) if found else None


def test_a_new_token_is_shown_once_and_then_only_its_prefix(client, auth, officer):
    auth.login("officer")

    created = client.post("/account/tokens/", data={"name": "Синхронизация журнала", "scope": "write",
                                                    "valid_days": "90"})
    token = _shown_token(created.get_data(as_text=True))
    listed = client.get("/account/tokens/").get_data(as_text=True)

    assert created.status_code == 200 and token is not None
    assert "Синхронизация журнала" in listed and token not in listed and token.split("_")[1] in listed
    stored = db.session.scalar(select(ApiToken))
    assert stored.token_hash != token and token.split("_", 2)[2] not in stored.token_hash
    assert "coop_session" not in created.headers.get("Set-Cookie", "") or token not in created.headers["Set-Cookie"]
    assert client.get("/api/v1/me", headers=bearer(token)).get_json()["token"]["scope"] == "write"


@pytest.mark.parametrize(("data", "field_error"), [
    ({"name": "", "scope": "read", "valid_days": "30"}, "name"),
    ({"name": "x" * 101, "scope": "read", "valid_days": "30"}, "name"),
    ({"name": "Отчёты", "scope": "admin", "valid_days": "30"}, "scope"),
    ({"name": "Отчёты", "scope": "read", "valid_days": "7"}, "valid_days"),
])
def test_a_token_form_with_a_bad_field_is_refused_and_creates_nothing(client, auth, officer, data, field_error):
    auth.login("officer")

    response = client.post("/account/tokens/", data=data)

    assert response.status_code == 400
    assert f'id="{field_error}-error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(ApiToken)) is None


def test_two_usable_tokens_cannot_share_a_name(client, auth, officer):
    auth.login("officer")
    client.post("/account/tokens/", data={"name": "Отчёты", "scope": "read", "valid_days": "30"})

    again = client.post("/account/tokens/", data={"name": " отчёты ", "scope": "read", "valid_days": "30"})

    assert again.status_code == 400 and _shown_token(again.get_data(as_text=True)) is None


def test_revoking_a_token_stops_it_and_keeps_it_listed_as_revoked(client, auth, officer):
    auth.login("officer")
    token = _shown_token(client.post("/account/tokens/", data={
        "name": "Скрипт", "scope": "read", "valid_days": ""}).get_data(as_text=True))
    stored = db.session.scalar(select(ApiToken))

    response = client.post(f"/account/tokens/{stored.id}/revoke", follow_redirects=True)

    assert "Скрипт" in response.get_data(as_text=True)
    assert db.session.get(ApiToken, stored.id).revoked_at is not None
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_nobody_revokes_or_sees_another_users_token(client, auth, officer):
    other = make_user(db.session, "a.karimova", Role.OFFICER)
    token, _text = issue_token(db.session, other, "Чужой", TokenScope.WRITE, utcnow(), 30)
    db.session.commit()
    auth.login("officer")

    assert client.post(f"/account/tokens/{token.id}/revoke").status_code == 404
    assert "Чужой" not in client.get("/account/tokens/").get_data(as_text=True)
    assert db.session.get(ApiToken, token.id).revoked_at is None


def test_the_user_menu_links_to_the_tokens_page_and_the_page_to_the_api_documentation(client, auth, officer):
    auth.login("officer")

    home = client.get("/").get_data(as_text=True)
    page = client.get("/account/tokens/").get_data(as_text=True)

    assert 'href="/account/tokens/"' in home
    assert 'href="/api/v1/docs"' in page


# --- the rules, without the pages --------------------------------------------------------------------------

def test_a_token_is_found_by_its_full_text_only(app, officer):
    token, text = issue_token(db.session, officer, "Sync", TokenScope.READ, utcnow(), 30)
    prefix, secret = split_token(text)

    assert find_token(db.session, text, utcnow()) is token
    assert find_token(db.session, f"coop_{prefix}_{secret[:-1]}x", utcnow()) is None
    assert find_token(db.session, secret, utcnow()) is None
    assert split_token("coop_short_secret") is None


def test_a_person_has_a_limited_number_of_usable_tokens(app, officer):
    for number in range(MAX_TOKENS_PER_USER):
        issue_token(db.session, officer, f"Token {number}", TokenScope.READ, utcnow(), 30)

    with pytest.raises(TokenProblem) as refused:
        issue_token(db.session, officer, "One more", TokenScope.READ, utcnow(), 30)
    assert refused.value.code == "too_many"


def test_revoking_someone_elses_token_is_refused(app, officer):
    other = make_user(db.session, "a.karimova", Role.OFFICER)
    token, _text = issue_token(db.session, other, "Чужой", TokenScope.WRITE, utcnow(), 30)

    with pytest.raises(TokenProblem):
        revoke_token(db.session, officer, token.id, utcnow())
    assert revoke_token(db.session, other, token.id, utcnow()).revoked_at is not None
