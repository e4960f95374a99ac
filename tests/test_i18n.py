from datetime import UTC, date, datetime

import pytest

from coop.extensions import db
from coop.i18n import format_local_date, format_local_datetime
from coop.models import User
from tests.factories import make_user


def test_default_language_is_russian(client):
    assert "Войти" in client.get("/login").get_data(as_text=True)


def test_browser_language_is_used_before_login(client):
    assert "Log in" in client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)


def test_language_chosen_before_login_is_kept(client):
    response = client.post("/language/en", data={"next": "/login"})
    assert response.headers["Location"] == "/login"
    assert "Log in" in client.get("/login").get_data(as_text=True)


def test_language_choice_is_remembered_for_the_user(app, client, auth):
    user = make_user(db.session, "officer")
    db.session.commit()
    auth.login()
    client.post("/language/en")
    assert db.session.get(User, user.id).locale == "en"
    auth.logout()
    other = app.test_client()
    other.post("/login", data={"username": "officer", "password": "correct horse battery"})
    assert "Log out" in other.get("/").get_data(as_text=True)


def test_unknown_language_changes_nothing(client):
    client.post("/language/xx")
    assert "Войти" in client.get("/login").get_data(as_text=True)


def test_language_switch_never_redirects_off_site(client):
    assert client.post("/language/en", data={"next": "//evil.example"}).headers["Location"] == "/"


def test_kazakh_welcome_on_the_login_page(client):
    assert "Қош келдіңіз!" in client.get("/login").get_data(as_text=True)


@pytest.mark.parametrize(
    "value, expected",
    [
        (date(2026, 3, 8), "08.03.2026"),
        # 20:30 UTC is already the next day in Almaty (UTC+5).
        (datetime(2026, 12, 15, 20, 30, tzinfo=UTC), "16.12.2026"),
    ],
)
def test_dates_are_written_day_first_in_almaty_time(app, value, expected):
    with app.test_request_context():
        assert format_local_date(value) == expected


def test_datetimes_are_shown_in_almaty_time_24_hours(app):
    with app.test_request_context():
        assert format_local_datetime(datetime(2026, 1, 1, 9, 5, tzinfo=UTC)) == "01.01.2026 14:05"
