from datetime import timedelta

import pytest

from coop.extensions import db
from coop.models import LoginAttempt, Role, User, utcnow
from tests.factories import TEST_PASSWORD, make_user


@pytest.fixture
def officer(app):
    user = make_user(db.session, "officer", Role.OFFICER, full_name="Айдар Сейтказиев")
    db.session.commit()
    return user


def test_every_page_but_login_requires_a_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert client.get("/login").status_code == 200


def test_login_with_right_password_opens_home(client, auth, officer):
    response = auth.login()
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "Айдар Сейтказиев" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("username, password", [("officer", "wrong password!"), ("nobody", TEST_PASSWORD)])
def test_wrong_credentials_give_one_message_whoever_the_user(client, auth, officer, username, password):
    response = auth.login(username, password)
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Неверное имя пользователя или пароль." in body or "Wrong user name or password." in body
    assert client.get("/").status_code == 302


def test_login_is_case_insensitive_on_user_name(client, auth, officer):
    assert auth.login("OFFICER").headers["Location"] == "/"


def test_deactivated_user_cannot_log_in(client, auth, officer):
    officer.active = False
    db.session.commit()
    assert auth.login().status_code == 400
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(
    "next_url, expected",
    [
        ("/admin/users", "/admin/users"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("javascript:alert(1)", "/"),
        ("/\r\nSet-Cookie:x", "/"),
    ],
)
def test_next_after_login_stays_on_this_site(client, officer, next_url, expected):
    response = client.post("/login", query_string={"next": next_url},
                           data={"username": "officer", "password": TEST_PASSWORD})
    assert response.headers["Location"] == expected


def test_logout_revokes_the_session_even_for_a_copied_cookie(app, client, auth, officer):
    auth.login()
    stolen = client.get_cookie("coop_session").value
    assert auth.logout().status_code == 302
    thief = app.test_client()
    thief.set_cookie("coop_session", stolen)
    assert thief.get("/").status_code == 302


def test_repeated_failures_lock_the_account_for_a_while(app, client, auth, officer):
    for _ in range(app.config["COOP_MAX_FAILED_LOGINS"]):
        auth.login(password="wrong password!")
    response = auth.login()  # even the right password is refused now
    assert response.status_code == 429
    assert client.get("/").status_code == 302


def test_old_failures_no_longer_count(app, auth, officer):
    long_ago = utcnow() - app.config["COOP_FAILED_LOGIN_WINDOW"] - timedelta(minutes=1)
    for _ in range(10):
        db.session.add(LoginAttempt(username="officer", succeeded=False, attempted_at=long_ago))
    db.session.commit()
    assert auth.login().headers["Location"] == "/"


def test_change_password_signs_out_other_sessions(app, client, auth, officer):
    auth.login()
    other = app.test_client()
    other.post("/login", data={"username": "officer", "password": TEST_PASSWORD})
    assert other.get("/").status_code == 200

    new = "a much longer passphrase"
    response = client.post("/account/password",
                           data={"current_password": TEST_PASSWORD, "new_password": new, "confirm": new})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert other.get("/").status_code == 302
    client.post("/logout")
    assert client.post("/login", data={"username": "officer", "password": new}).status_code == 302


@pytest.mark.parametrize(
    "current, new, confirm, message",
    [
        ("wrong password!", "a much longer passphrase", "a much longer passphrase", "Текущий пароль указан неверно."),
        (TEST_PASSWORD, "short", "short", "Не менее 10 символов."),
        (TEST_PASSWORD, "my officer password", "my officer password", "не должен содержать имя пользователя"),
        (TEST_PASSWORD, "qwertyuiop", "qwertyuiop", "слишком легко угадать"),
        (TEST_PASSWORD, "a much longer passphrase", "something else entirely", "Пароли не совпадают."),
    ],
)
def test_change_password_refuses_bad_input_and_keeps_the_old_one(client, auth, officer, current, new, confirm,
                                                                 message):
    auth.login()
    response = client.post("/account/password", headers={"Accept-Language": "ru"},
                           data={"current_password": current, "new_password": new, "confirm": confirm})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.get(User, officer.id).password_hash == officer.password_hash


def test_a_session_ends_after_the_idle_period(app, client, auth, officer, monkeypatch):
    import time

    auth.login()
    assert client.get("/").status_code == 200
    idle = app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + idle + 60)
    assert client.get("/").status_code == 302
