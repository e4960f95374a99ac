from datetime import UTC, date, datetime

import pytest
from flask_babel import force_locale

from coop.extensions import db
from coop.i18n import format_local_date, format_local_datetime, format_month, format_number
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


# --- Kazakh -------------------------------------------------------------------------------------------------

def test_the_switch_offers_kazakh_russian_and_english_in_that_order(client):
    page = client.get("/login").get_data(as_text=True)
    positions = [page.index(f'data-testid="lang-{code}"') for code in ("kk", "ru", "en")]
    assert positions == sorted(positions)
    assert 'title="Қазақша"' in page and 'title="Русский"' in page and 'title="English"' in page


def test_a_kazakh_browser_gets_kazakh(client):
    page = client.get("/login", headers={"Accept-Language": "kk-KZ,kk;q=0.9,ru;q=0.8"}).get_data(as_text=True)
    assert "Кіру" in page and '<html lang="kk"' in page


def test_kazakh_chosen_before_login_is_kept_through_the_login_and_saved_when_chosen_again(app, client, auth):
    user = make_user(db.session, "officer")
    db.session.commit()
    client.post("/language/kk", data={"next": "/login"})
    auth.login()
    assert "Шығу" in client.get("/").get_data(as_text=True)
    client.post("/language/kk")
    assert db.session.get(User, user.id).locale == "kk"
    other = app.test_client()
    other.post("/login", data={"username": "officer", "password": "correct horse battery"},
               headers={"Accept-Language": "en"})
    assert "Шығу" in other.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_the_default_language_may_be_kazakh_but_not_one_coop_does_not_speak(tmp_path):
    from tests.conftest import make_app

    database_url = f"sqlite:///{tmp_path / 'coop.sqlite'}"
    kazakh = make_app(database_url, tmp_path, BABEL_DEFAULT_LOCALE="kk")
    page = kazakh.test_client().get("/login").get_data(as_text=True)  # no schema yet: the page that says so
    assert '<html lang="kk"' in page and "Дерекқорды жаңарту қажет" in page
    with pytest.raises(ValueError, match="COOP_DEFAULT_LANGUAGE"):
        make_app(database_url, tmp_path, BABEL_DEFAULT_LOCALE="de")


@pytest.mark.parametrize("language, month, number", [
    ("kk", "Қараша 2026", "1\xa0234\xa0567,5"),
    ("ru", "Ноябрь 2026", "1\xa0234\xa0567,5"),
    ("en", "November 2026", "1,234,567.5"),
])
def test_months_and_numbers_follow_the_language_and_dates_stay_day_first(app, language, month, number):
    with app.test_request_context(), force_locale(language):
        assert format_month(date(2026, 11, 1)) == month
        assert format_number(1234567.5) == number
        assert format_local_date(date(2026, 3, 8)) == "08.03.2026"


def test_api_errors_speak_kazakh_to_a_caller_who_asks_for_it(tmp_path):
    from tests.conftest import make_app

    client = make_app(f"sqlite:///{tmp_path / 'coop.sqlite'}", tmp_path, COOP_CHECK_SCHEMA=False).test_client()
    response = client.get("/api/v1/me", headers={"Accept-Language": "kk"})
    assert response.status_code == 401
    assert response.get_json()["error"]["message"].startswith("Аутентификация қажет")
