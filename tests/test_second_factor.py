"""The second factor (TOTP): required for heads and administrators, enrolled at the first login after it is
required, asked after the password, spent once, replaced by recovery codes or an administrator's reset."""

import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import select

from coop.domain import second_factor
from coop.extensions import db
from coop.models import AuditRecord, LoginAttempt, Role, User, utcnow
from tests.conftest import AuthActions, running_app
from tests.factories import TEST_PASSWORD, make_user

STEP = second_factor.STEP_SECONDS


@pytest.fixture
def app(database_url, tmp_path):
    """coop as deployed: the second factor required for heads and administrators, and for API tokens."""
    with running_app(database_url, tmp_path, COOP_MFA_REQUIRED_ROLES=("head", "admin"),
                     COOP_MFA_FOR_TOKENS=True, BABEL_DEFAULT_LOCALE="en") as app:
        make_user(db.session, "officer", Role.OFFICER)
        make_user(db.session, "head", Role.HEAD)
        make_user(db.session, "admin", Role.ADMIN)
        db.session.commit()
        yield app


def user(username: str) -> User:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


def code(secret: str, steps_from_now: int = 0) -> str:
    """The code an authenticator shows `steps_from_now` time steps away (within the accepted drift of one)."""
    return pyotp.TOTP(secret).at(int(utcnow().timestamp()) + steps_from_now * STEP)


def enrolled(username: str) -> str:
    """Give `username` a confirmed authenticator directly; its secret."""
    person = user(username)
    person.mfa_secret, person.mfa_enabled_at = second_factor.new_secret(), utcnow()
    db.session.commit()
    return person.mfa_secret


def log_in_fully(client, username: str, secret: str, steps_from_now: int = 0):
    AuthActions(client).login(username)
    return client.post("/login/second-factor", data={"code": code(secret, steps_from_now)})


def page_urls(app) -> list[str]:
    """A URL for every GET route of coop (ids that need not exist: a refusal must come before any lookup)."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        values = {name: ("1" if rule._converters[name].__class__.__name__ != "IntegerConverter" else 1)
                  for name in rule.arguments}
        urls.append((rule.endpoint, rule.build(values, append_unknown=False)[1]))
    return urls


def test_a_head_cannot_reach_any_page_before_enrolling(app, client, auth):
    response = auth.login("head")
    assert response.headers["Location"] == "/"
    free = {"auth.login", "auth.second_factor_check", "auth.second_factor_setup", "main.set_language", "static",
            "main.health", "deadlines.calendar_feed"}
    checked = 0
    for endpoint, url in page_urls(app):
        if endpoint in free:
            continue
        answer = client.get(url)
        if endpoint.startswith("api."):
            assert answer.status_code == 401, url
        else:
            assert answer.status_code == 302 and answer.headers["Location"] == "/account/second-factor/setup", url
        checked += 1
    assert checked > 60
    # Writes too: a form posted before enrolling changes nothing and lands on enrolment.
    refused = client.post("/requests/new", data={"title": "x"})
    assert refused.headers["Location"] == "/account/second-factor/setup"
    assert client.post("/account/tokens/", data={"name": "sync"}).status_code == 302


def test_enrolment_shows_a_qr_code_and_a_key_and_a_first_code_turns_it_on(app, client, auth):
    auth.login("head")
    page = client.get("/account/second-factor/setup").get_data(as_text=True)
    secret = user("head").mfa_secret
    assert 'src="data:image/svg+xml' in page and "<script" not in page.split("<main", 1)[1]
    assert " ".join(secret[i:i + 4] for i in range(0, 32, 4)) in page
    assert client.get("/account/second-factor/setup").status_code == 200
    assert user("head").mfa_secret == secret  # reloading keeps the QR code already scanned
    assert user("head").has_second_factor is False

    wrong = client.post("/account/second-factor/setup", data={"code": "000000" if code(secret) != "000000" else "1"})
    assert wrong.status_code == 400 and "does not match" in wrong.get_data(as_text=True)
    assert client.post("/account/second-factor/setup", data={"code": ""}).status_code == 400
    assert client.post("/account/second-factor/setup", data={"code": "1" * 17}).status_code == 400

    done = client.post("/account/second-factor/setup", data={"code": code(secret)})
    codes = re.findall(r"<li>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</li>", done.get_data(as_text=True))
    assert done.status_code == 200 and len(set(codes)) == 10
    assert user("head").has_second_factor
    assert client.get("/dashboard/").status_code == 200
    assert client.get("/account/second-factor").status_code == 200
    # The change is in the audit trail, without the secret.
    change = db.session.scalars(select(AuditRecord).where(AuditRecord.entity == "user_account")
                                .order_by(AuditRecord.id.desc())).first()
    assert secret not in str(change.changes)


def test_a_login_asks_for_the_code_after_the_password_and_a_code_works_once(app, client, auth):
    secret = enrolled("head")
    response = auth.login("head")
    assert response.headers["Location"].startswith("/login/second-factor")
    assert client.get("/requests/").headers["Location"] == "/login/second-factor?next=/requests/"
    assert client.get("/api/v1/requests").status_code == 401
    page = client.get("/login/second-factor")
    assert page.status_code == 200 and "authenticator" in page.get_data(as_text=True)

    assert client.post("/login/second-factor", data={"code": "12345x"}).status_code == 400
    used = code(secret)
    ok = client.post("/login/second-factor?next=/requests/", data={"code": used})
    assert ok.headers["Location"] == "/requests/"
    assert client.get("/requests/").status_code == 200

    auth.logout()
    auth.login("head")
    again = client.post("/login/second-factor", data={"code": used})
    assert again.status_code == 400 and "already been used" in again.get_data(as_text=True)
    assert client.post("/login/second-factor", data={"code": code(secret, 1)}).status_code == 302
    attempts = db.session.scalars(select(LoginAttempt.succeeded).where(LoginAttempt.factor == "second_factor")
                                  .order_by(LoginAttempt.id)).all()
    assert attempts == [False, True, False, True]


def test_recovery_codes_work_once_each(app, client, auth):
    auth.login("admin")
    client.get("/account/second-factor/setup")
    secret = user("admin").mfa_secret
    page = client.post("/account/second-factor/setup", data={"code": code(secret)}).get_data(as_text=True)
    first, second = re.findall(r"<li>([a-z2-9-]{14})</li>", page)[:2]
    auth.logout()

    auth.login("admin")
    spent = client.post("/login/second-factor", data={"code": first.upper().replace("-", " ")})
    assert spent.headers["Location"] == "/account/second-factor"  # where a lost phone is replaced
    assert "Recovery codes left: 9." in client.get("/account/second-factor").get_data(as_text=True)
    assert second_factor.remaining_recovery_codes(db.session, user("admin")) == 9
    auth.logout()

    auth.login("admin")
    assert client.post("/login/second-factor", data={"code": first}).status_code == 400
    assert client.post("/login/second-factor", data={"code": second}).status_code == 302

    # New codes void the old ones.
    renewed = client.post("/account/second-factor/recovery-codes").get_data(as_text=True)
    assert len(re.findall(r"<li>([a-z2-9-]{14})</li>", renewed)) == 10
    assert second_factor.remaining_recovery_codes(db.session, user("admin")) == 10


def test_wrong_codes_lock_the_account_out_as_wrong_passwords_do(app, client, auth):
    secret = enrolled("head")
    auth.login("head")
    for _ in range(5):
        assert client.post("/login/second-factor", data={"code": "000000"}).status_code in (400, 302)
    if user("head").mfa_last_step is None:  # unless 000000 happened to be the code
        locked = client.post("/login/second-factor", data={"code": code(secret)})
        assert locked.status_code == 429 and "Too many failed attempts" in locked.get_data(as_text=True)
        fresh = app.test_client()
        assert AuthActions(fresh).login("head").status_code == 429  # the password is refused too


def test_an_administrators_reset_is_audited_ends_the_sessions_and_sends_the_user_back_to_enrolment(app):
    head_client, admin_client = app.test_client(), app.test_client()
    head_secret, admin_secret = enrolled("head"), enrolled("admin")
    log_in_fully(head_client, "head", head_secret)
    log_in_fully(admin_client, "admin", admin_secret)
    head = user("head")
    page = admin_client.get(f"/admin/users/{head.id}").get_data(as_text=True)
    assert "Reset the second factor" in page

    reset = admin_client.post(f"/admin/users/{head.id}/second-factor/reset")
    assert reset.status_code == 302 and not user("head").has_second_factor
    assert head_client.get("/").headers["Location"].startswith("/login")  # the head's session has ended
    record = db.session.scalars(select(AuditRecord).where(AuditRecord.entity == "user_account",
                                                          AuditRecord.entity_id == str(head.id))
                                .order_by(AuditRecord.id.desc())).first()
    assert record.actor_name == "admin" and record.changes["mfa_secret"] == ["***", "***"]
    assert record.changes["mfa_enabled_at"][1] is None

    AuthActions(head_client).login("head")
    assert head_client.get("/").headers["Location"] == "/account/second-factor/setup"
    again = admin_client.post(f"/admin/users/{head.id}/second-factor/reset")
    assert again.status_code == 302  # nothing to reset: a message, no change
    officer_client = app.test_client()
    AuthActions(officer_client).login("officer")
    assert officer_client.post(f"/admin/users/{head.id}/second-factor/reset").status_code == 403


def test_a_lost_phone_is_replaced_by_enrolling_again(app, client):
    secret = enrolled("head")
    log_in_fully(client, "head", secret)
    replaced = client.post("/account/second-factor/replace")
    assert replaced.headers["Location"] == "/account/second-factor/setup"
    new_secret = (client.get("/account/second-factor/setup"), user("head").mfa_secret)[1]
    assert new_secret != secret and not user("head").has_second_factor
    assert client.post("/account/second-factor/setup", data={"code": code(new_secret)}).status_code == 200
    assert client.get("/dashboard/").status_code == 200


def test_officers_log_in_with_the_password_unless_everyone_must_use_a_second_factor(app, client, auth):
    auth.login("officer")
    assert client.get("/").status_code == 200
    assert client.get("/login/second-factor").headers["Location"] == "/account/second-factor/setup"
    app.config["COOP_REQUIRE_MFA"] = True
    assert client.get("/").headers["Location"] == "/account/second-factor/setup"


def test_a_password_change_keeps_the_second_factor_of_this_session(app, client):
    secret = enrolled("head")
    log_in_fully(client, "head", secret)
    changed = client.post("/account/password", data={"current_password": TEST_PASSWORD,
                                                     "new_password": "a brand new long phrase",
                                                     "confirm": "a brand new long phrase"})
    assert changed.status_code == 302
    assert client.get("/dashboard/").status_code == 200


def test_creating_an_api_token_needs_the_second_factor_but_using_one_does_not(app, client, auth):
    auth.login("officer")
    page = client.get("/account/tokens/").get_data(as_text=True)
    assert 'data-testid="tokens-need-second-factor"' in page
    refused = client.post("/account/tokens/", data={"name": "sync", "scope": "read", "valid_days": "30"})
    assert refused.status_code == 403 and "second factor" in refused.get_data(as_text=True)

    secret = enrolled("officer")
    auth.logout()
    log_in_fully(client, "officer", secret)
    created = client.post("/account/tokens/", data={"name": "sync", "scope": "read", "valid_days": "30"})
    token = re.search(r'value="(coop_[^"]+)"', created.get_data(as_text=True)).group(1)
    auth.logout()
    # The token alone opens the API: no session, no second factor.
    answer = app.test_client().get("/api/v1/requests", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200


def test_codes_match_their_time_step_with_one_step_of_drift_and_never_twice():
    secret = second_factor.new_secret()
    now = datetime(2026, 12, 4, 10, 0, 10, tzinfo=UTC)
    step = int(now.timestamp()) // STEP
    totp = pyotp.TOTP(secret)
    assert second_factor.matching_step(secret, totp.at(now), now, None) == step
    assert second_factor.matching_step(secret, totp.at(now - timedelta(seconds=STEP)), now, None) == step - 1
    assert second_factor.matching_step(secret, totp.at(now + timedelta(seconds=STEP)), now, None) == step + 1
    assert second_factor.matching_step(secret, totp.at(now - timedelta(seconds=3 * STEP)), now, None) is None
    assert second_factor.matching_step(secret, totp.at(now), now, step) is None
    assert second_factor.matching_step(secret, " ".join(totp.at(now)[i:i + 3] for i in (0, 3)), now, None) == step
    for junk in ("", "abcdef", "١٢٣٤٥٦", "1234567"):
        assert second_factor.matching_step(secret, junk, now, None) is None


def test_recovery_codes_are_random_readable_and_hashed_ignoring_case_and_dashes():
    codes = second_factor.new_recovery_codes()
    assert len(set(codes)) == 10 and all(re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", item) for item in codes)
    assert not set("01lio") & set("".join(codes).replace("-", ""))
    assert second_factor.recovery_code_hash("ABCD-efgh-2345") == second_factor.recovery_code_hash("abcd efgh 2345")
    assert second_factor.is_required("head", ("head", "admin"), False)
    assert not second_factor.is_required("officer", ("head", "admin"), False)
    assert second_factor.is_required("officer", (), True)
