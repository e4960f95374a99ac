"""Every page that edits a stored object, submitted as a browser would, and with fields left out.

A browser sends every input of the page (a checkbox only when ticked, which is why an edit page also lists the
checkboxes it shows); a submission that leaves a field out must be refused with a 400 and change nothing, never
read the missing field as empty (which once deactivated a user posted with only the CSRF token).

One department (the route matrix's) is built per database, with CSRF on, as in production.
"""

import re
from dataclasses import dataclass
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from coop.domain.requests import create_request
from coop.extensions import db
from coop.models import CooperationRequest, Direction, User, utcnow
from tests.conftest import running_app, url_for_database
from tests.factories import TEST_PASSWORD, make_user
from tests.trust.test_route_matrix import build_world, fingerprint, fresh_rule

SHOWN_FIELDS = "shown_fields"
CSRF = "csrf_token"


class _FormReader(HTMLParser):
    """The name/value pairs each <form method="post"> of a page would submit, as a browser builds them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[list[tuple[str, str]]] = []
        self._form: list | None = None
        self._select: dict | None = None
        self._textarea: dict | None = None
        self._option: dict | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form" and (attributes.get("method") or "").lower() == "post":
            self._form = []
            self.forms.append(self._form)
        if self._form is None or "disabled" in attributes:
            return
        name = attributes.get("name")
        if tag == "input" and name:
            kind = (attributes.get("type") or "text").lower()
            if kind in {"checkbox", "radio"}:
                if "checked" in attributes:
                    self._form.append((name, attributes.get("value", "on")))
            elif kind not in {"submit", "button", "reset", "file", "image"}:
                self._form.append((name, attributes.get("value") or ""))
        elif tag == "select" and name:
            self._select = {"name": name, "multiple": "multiple" in attributes, "options": [], "chosen": []}
        elif tag == "option" and self._select is not None:
            self._option = {"value": attributes.get("value"), "text": ""}
            self._select["options"].append(self._option)
            if "selected" in attributes:
                self._select["chosen"].append(self._option)
        elif tag == "textarea" and name:
            self._textarea = {"name": name, "text": ""}

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea["text"] += data
        elif self._option is not None:
            self._option["text"] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea" and self._textarea is not None:
            text = self._textarea["text"]
            self._form.append((self._textarea["name"], text[1:] if text.startswith("\n") else text))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            select, self._select = self._select, None
            chosen = select["chosen"] or ([] if select["multiple"] else select["options"][:1])
            for option in chosen:
                value = option["value"] if option["value"] is not None else option["text"].strip()
                self._form.append((select["name"], value))
        elif tag == "option":
            self._option = None


def submission_of(page: str) -> list[tuple[str, str]]:
    """What the page's main form (the post form with the most fields) submits unchanged."""
    reader = _FormReader()
    reader.feed(page)
    return max(reader.forms, key=len)


@dataclass(frozen=True)
class EditPage:
    name: str
    role: str
    path: str  # filled from the department's ids


EDIT_PAGES = [
    EditPage("user", "admin", "/admin/users/{target_id}"),
    EditPage("provider", "admin", "/partners/{meta_id}/edit"),
    EditPage("country", "admin", "/partners/{country_id}/edit"),
    EditPage("partner contact", "admin", "/partners/{meta_id}/contacts/{contact_id}"),
    EditPage("partner instrument", "admin", "/partners/{country_id}/instruments/{instrument_id}"),
    EditPage("legal basis", "admin", "/partners/legal-bases/{basis_id}/edit"),
    EditPage("request type", "admin", "/partners/request-types/{type_id}/edit"),
    EditPage("deadline rule", "admin", "/admin/deadline-rules/{edited_rule_id}/edit"),
    EditPage("case", "officer", "/cases/{case_id}/edit"),
    EditPage("request", "officer", "/requests/{edited_id}/edit"),
]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def department(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp("edits")
    url = url_for_database(request, folder)
    with running_app(url, folder, WTF_CSRF_ENABLED=True) as app:
        world = build_world(db.session, folder / "uploads")
        ids = vars(world) | {"target_id": make_user(db.session, "target").id, "edited_rule_id": fresh_rule(world)}
        officer = db.session.get(User, world.users["officer"])
        ids["edited_id"] = create_request(db.session, officer, {
            "direction": Direction.OUTGOING, "title": "Черновик", "request_type_id": world.type_id,
            "partner_id": world.meta_id}, utcnow()).id
        db.session.commit()
        clients = {}
        for role in ("officer", "admin"):
            client = app.test_client()
            token = _csrf_token(client.get("/login").get_data(as_text=True))
            response = client.post("/login", data={"username": role, "password": TEST_PASSWORD, CSRF: token})
            assert response.status_code == 302, f"{role} could not log in"
            clients[role] = client
        yield ids, clients


def _csrf_token(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def _opened(department, page: EditPage):
    ids, clients = department
    client, path = clients[page.role], page.path.format(**ids)
    response = client.get(path)
    assert response.status_code == 200, f"{page.name}: GET {path} answered {response.status_code}"
    return client, path, submission_of(response.get_data(as_text=True))


def _without(pairs: list[tuple[str, str]], name: str) -> list[tuple[str, str]]:
    """The submission with `name` left out: its value, and its mention among the checkboxes shown."""
    return [(key, value) for key, value in pairs if key != name and (key, value) != (SHOWN_FIELDS, name)]


@pytest.mark.parametrize("page", EDIT_PAGES, ids=[page.name for page in EDIT_PAGES])
def test_an_edit_page_saved_as_shown_is_accepted(department, page):
    """Else the refusals below would prove nothing: the page itself sends everything it asks for."""
    client, path, pairs = _opened(department, page)
    response = client.post(path, data=_multi(pairs))
    assert response.status_code == 302, (page.name, re.findall(r'class="(?:error|flash flash-error)"[^>]*>([^<]*)',
                                                             response.get_data(as_text=True)))


@pytest.mark.parametrize("page", EDIT_PAGES, ids=[page.name for page in EDIT_PAGES])
def test_a_post_that_leaves_fields_out_changes_nothing_and_answers_400(department, page):
    client, path, pairs = _opened(department, page)
    token = dict(pairs)[CSRF]
    names = sorted({name for name, _value in pairs} - {CSRF, SHOWN_FIELDS})
    problems = []
    for left_out in [None, *names]:
        # None: only the CSRF token, as in the report of the user who was deactivated by it.
        sent = [(CSRF, token)] if left_out is None else _without(pairs, left_out)
        before = fingerprint()
        response = client.post(path, data=_multi(sent))
        body = response.get_data(as_text=True)
        what = left_out or "everything but the CSRF token"
        if response.status_code != 400:
            problems.append(f"{what} left out: {response.status_code}")
        elif "The form arrived incomplete" not in body and "Форма пришла неполной" not in body:
            problems.append(f"{what} left out: 400 without saying the form was incomplete")
        if fingerprint() != before:
            problems.append(f"{what} left out: something stored changed")
    assert not problems, f"{page.name}: " + "; ".join(problems)


def test_the_calendar_day_form_refuses_a_post_without_its_fields(department):
    """The calendar's days are added and removed, never edited: a post without the day's fields stores nothing."""
    _ids, clients = department
    page = clients["admin"].get("/admin/calendar-days").get_data(as_text=True)
    before = fingerprint()
    response = clients["admin"].post("/admin/calendar-days", data={CSRF: _csrf_token(page)})
    assert response.status_code == 400 and 'class="error"' in response.get_data(as_text=True)
    assert fingerprint() == before


def test_an_unticked_checkbox_is_still_an_edit(department):
    """Leaving a checkbox empty (the page lists it as shown) deactivates: only leaving it out is refused."""
    ids, _clients = department
    client, path, pairs = _opened(department, EDIT_PAGES[0])
    response = client.post(path, data=_multi([(name, value) for name, value in pairs if name != "active"]))
    assert response.status_code == 302
    db.session.expire_all()
    target = db.session.get(User, ids["target_id"])
    assert not target.active
    target.active = True
    db.session.commit()


def test_a_user_edited_meanwhile_by_someone_else_is_not_overwritten(department):
    ids, _clients = department
    client, path, pairs = _opened(department, EDIT_PAGES[0])
    db.session.execute(sa.update(User).where(User.id == ids["target_id"])
                       .values(full_name="Changed meanwhile", version=User.version + 1))
    db.session.commit()
    response = client.post(path, data=_multi([(name, "Mine" if name == "full_name" else value)
                                              for name, value in pairs]))
    assert response.status_code == 409
    db.session.expire_all()
    assert db.session.get(User, ids["target_id"]).full_name == "Changed meanwhile"


def test_a_request_posted_without_its_version_is_refused(department):
    ids, _clients = department
    client, path, pairs = _opened(department, EDIT_PAGES[-1])
    version = db.session.get(CooperationRequest, ids["edited_id"]).version
    response = client.post(path, data=_multi([(name, "" if name == "version" else value) for name, value in pairs]))
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(CooperationRequest, ids["edited_id"]).version == version


def _multi(pairs: list[tuple[str, str]]) -> MultiDict:
    return MultiDict(pairs)
