import pytest
from sqlalchemy import select

from coop.extensions import db
from coop.models import Role, User
from tests.factories import TEST_PASSWORD, make_user


@pytest.fixture
def admin(app):
    user = make_user(db.session, "admin", Role.ADMIN)
    db.session.commit()
    return user


def new_user_form(**overrides):
    form = {"username": "a.karimova", "full_name": "Асель Каримова", "email": "a.karimova@cyber.police.kz",
            "role": "officer", "active": "y", "password": "a long enough password"}
    form.update(overrides)
    return form


@pytest.mark.parametrize("role", [Role.OFFICER, Role.HEAD])
def test_only_admins_open_administration(client, auth, role):
    make_user(db.session, "someone", role)
    db.session.commit()
    auth.login("someone")
    assert client.get("/admin/users").status_code == 403
    assert client.post("/admin/users/new", data=new_user_form()).status_code == 403
    assert db.session.scalar(select(User).where(User.username == "a.karimova")) is None


def test_admin_creates_a_user_who_can_then_log_in(app, client, auth, admin):
    auth.login("admin")
    response = client.post("/admin/users/new", data=new_user_form(username="  A.Karimova "))
    assert response.status_code == 302
    created = db.session.scalar(select(User).where(User.username == "a.karimova"))
    assert created.role == Role.OFFICER and created.full_name == "Асель Каримова"
    assert "Асель Каримова" in client.get("/admin/users").get_data(as_text=True)
    newcomer = app.test_client()
    response = newcomer.post("/login", data={"username": "a.karimova", "password": "a long enough password"})
    assert response.status_code == 302


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"username": ""}, "This field is required."),
        ({"username": "Айдар"}, "Lower-case Latin letters"),
        ({"username": "admin"}, "This user name is already taken."),
        ({"email": "not-an-email"}, "Invalid email address."),
        ({"role": "superuser"}, "Not a valid choice."),
        ({"password": "short"}, "At least 10 characters, please."),
        ({"password": ""}, "This field is required."),
        ({"full_name": "x" * 201}, "Field cannot be longer than 200 characters."),
    ],
)
def test_bad_user_input_is_refused_with_a_message(client, auth, admin, overrides, message):
    auth.login("admin")
    client.post("/language/en")
    response = client.post("/admin/users/new", data=new_user_form(**overrides))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.full_name == "Асель Каримова")) is None


def test_deactivating_a_user_ends_their_sessions(app, client, auth, admin):
    officer = make_user(db.session, "officer", Role.OFFICER)
    db.session.commit()
    theirs = app.test_client()
    theirs.post("/login", data={"username": "officer", "password": TEST_PASSWORD})
    assert theirs.get("/").status_code == 200

    auth.login("admin")
    form = new_user_form(username="officer", full_name=officer.full_name, password="", version=officer.version,
                         shown_fields="active")
    del form["active"]  # unticked
    assert client.post(f"/admin/users/{officer.id}", data=form).status_code == 302
    assert theirs.get("/").status_code == 302
    assert not db.session.get(User, officer.id).active


def test_admin_changes_a_role_and_resets_a_password(client, auth, admin):
    officer = make_user(db.session, "officer", Role.OFFICER)
    db.session.commit()
    auth.login("admin")
    form = new_user_form(username="officer", role="head", password="a brand new passphrase", version=1)
    assert client.post(f"/admin/users/{officer.id}", data=form).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, officer.id).role == Role.HEAD


def test_admin_cannot_demote_or_deactivate_themselves(client, auth, admin):
    auth.login("admin")
    form = new_user_form(username="admin", role="officer", password="", version=1)
    response = client.post(f"/admin/users/{admin.id}", data=form)
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(User, admin.id).role == Role.ADMIN


def test_editing_an_unknown_user_is_404(client, auth, admin):
    auth.login("admin")
    assert client.get("/admin/users/9999").status_code == 404
