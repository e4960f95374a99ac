"""The pages of identifiers and networks: what each role sees, bad input to the link form, exports, and that a
restricted request never shows through to an officer who may not open it."""

import io
import json

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from coop.extensions import db
from coop.models import AuditRecord, Document, DocumentKind, Identifier, IdentifierKind, IdentifierLink, Role, Status
from tests.factories import make_case, make_partner, make_request, make_user

SECRET = "zq7x"
PHONE = "+77011234567"


def _identify(request, kind, normalized, value=None):
    request.identifiers.append(Identifier(kind=kind, value=value or normalized, normalized=normalized))


@pytest.fixture
def world(app):
    """Three cases sharing a phone and a Telegram account through different requests, and a restricted
    request (only the insider's) that names the phone and a secret account, in a fourth case."""
    officer = make_user(db.session, "officer", Role.OFFICER)
    insider = make_user(db.session, "insider", Role.OFFICER)
    make_user(db.session, "head", Role.HEAD, full_name="Ерлан Главный")
    meta, telegram = make_partner(db.session, "meta"), make_partner(db.session, "telegram")
    cases = [make_case(db.session, f"2026-00{number}", title=f"Дело {number}") for number in (1, 2, 3)]
    secret_case = make_case(db.session, f"2026-{SECRET}", title=f"Секрет {SECRET}")
    first = make_request(db.session, partner=meta, case=cases[0], status=Status.NO_DATA)
    second = make_request(db.session, partner=telegram, case=cases[1], status=Status.SENT)
    third = make_request(db.session, partner=telegram, case=cases[2], status=Status.ANSWERED)
    hidden = make_request(db.session, partner=meta, case=secret_case, restricted=True, officers=[insider],
                          reference=f"OUT-{SECRET}", title=f"Закрытый {SECRET}")
    _identify(first, IdentifierKind.PHONE, PHONE, "8 701 123 45 67")
    _identify(second, IdentifierKind.PHONE, PHONE)
    _identify(second, IdentifierKind.ACCOUNT, "telegram:fake_shop_kz")
    _identify(third, IdentifierKind.ACCOUNT, "telegram:fake_shop_kz")
    _identify(hidden, IdentifierKind.PHONE, PHONE)
    _identify(hidden, IdentifierKind.ACCOUNT, f"telegram:{SECRET}")
    _identify(hidden, IdentifierKind.ACCOUNT, "telegram:only_hidden")
    db.session.add(Document(request=third, kind=DocumentKind.ANSWER, original_name="answer.pdf", sha256="0" * 64,
                            size=10, content_type="application/pdf"))
    db.session.commit()
    return {"cases": [case.id for case in cases], "secret_case": secret_case.id, "officer": officer.id}


def log_in(client, auth, username: str) -> None:
    """Logged in, with pages in English (whose messages the tests read)."""
    auth.login(username)
    client.post("/language/en")


def test_an_identifier_page_shows_every_visible_request_and_only_a_count_of_the_others(client, auth, world):
    log_in(client, auth, "officer")
    html = client.get(f"/identifiers/phone/{PHONE}").get_data(as_text=True)
    assert "2026-001" in html and "2026-002" in html and 'data-testid="no-data"' in html
    assert "1 more request names this identifier that you may not see" in html and "Ерлан Главный" in html
    assert SECRET not in html
    assert "telegram:fake_shop_kz" in html  # named with it in the second request
    account = client.get("/identifiers/account/telegram:fake_shop_kz").get_data(as_text=True)
    assert "answer.pdf" in account and "2026-003" in account
    # A key only the restricted request names, an unknown one, an unknown kind: the same 404 (the page echoes
    # only the address the officer typed, in its language switch).
    for path in ("/identifiers/account/telegram:only_hidden", "/identifiers/phone/+77000000000",
                 f"/identifiers/nothing/{PHONE}"):
        response = client.get(path)
        assert response.status_code == 404 and SECRET not in response.get_data(as_text=True)


def test_marking_two_identifiers_as_the_same_person_refuses_bad_input_and_is_audited(client, auth, world):
    log_in(client, auth, "officer")
    base = {"kind": "phone", "normalized": PHONE, "other_kind": "account", "other_platform": "telegram",
            "other_value": "@fake_shop_kz", "reason": "Номер указан в профиле"}
    for changes, message in (({"reason": ""}, "Say why these identifiers"),
                             ({"other_value": "@x"}, "Not a valid account name"),
                             ({"other_value": f"@{SECRET}"}, "No request you may see names this identifier"),
                             ({"other_kind": "phone", "other_value": PHONE}, "This is the identifier of this page")):
        response = client.post("/identifiers/links", data={**base, **changes})
        assert response.status_code == 400, changes
        assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(IdentifierLink.id)) is None
    assert client.post("/identifiers/links", data={**base, "normalized": f"telegram:{SECRET}",
                                                   "kind": "account"}).status_code == 404
    response = client.post("/identifiers/links", data=base)
    assert response.status_code == 302
    page = client.get(f"/identifiers/phone/{PHONE}").get_data(as_text=True)
    assert "Номер указан в профиле" in page
    assert db.session.scalar(select(AuditRecord).where(AuditRecord.entity == "identifier_link")).action == "insert"
    link_id = db.session.scalar(select(IdentifierLink.id))
    assert client.post(f"/identifiers/links/{link_id}/delete").status_code == 302
    assert db.session.scalar(select(IdentifierLink.id)) is None


def test_a_case_network_its_picture_and_export_show_what_the_viewer_may_see(client, auth, world):
    first, second, third = world["cases"]
    log_in(client, auth, "officer")
    case_page = client.get(f"/cases/{first}").get_data(as_text=True)
    assert 'data-testid="connected-cases"' in case_page and "2026-002" in case_page and "2026-003" in case_page
    page = client.get(f"/cases/{first}/network").get_data(as_text=True)
    assert "through another case" in page and SECRET not in page
    graph = client.get(f"/cases/{first}/network.json").get_json()
    labels = {node["data"]["label"] for node in graph["elements"]["nodes"]}
    assert labels == {"2026-001", "2026-002", "2026-003", PHONE, "telegram:fake_shop_kz"}
    assert len(graph["elements"]["edges"]) == 4 and SECRET not in json.dumps(graph)
    csv_text = client.get(f"/cases/{first}/network/export.csv", buffered=True).get_data(as_text=True)
    assert csv_text.count("\n") == 4 and SECRET not in csv_text and "telegram: telegram:fake_shop_kz" not in csv_text
    workbook = load_workbook(io.BytesIO(client.get(f"/cases/{first}/network/export.xlsx", buffered=True).get_data()))
    assert workbook.active.max_row == 4
    assert client.get(f"/cases/{first}/network/export.pdf").status_code == 404
    assert client.get("/networks/").status_code == 403
    # The insider sees the restricted request's case joined through the phone.
    auth.logout()
    log_in(client, auth, "insider")
    graph = client.get(f"/cases/{first}/network.json").get_json()
    assert f"case-{world['secret_case']}" in {node["data"]["id"] for node in graph["elements"]["nodes"]}


def test_the_head_lists_the_largest_networks(client, auth, world):
    log_in(client, auth, "head")
    html = client.get("/networks/").get_data(as_text=True)
    assert html.count('data-testid="network-row"') == 1
    row = html.split('data-testid="network-row"')[1].split("</tr>")[0]
    # Four cases (the restricted one too: heads see everything), four requests, two partners.
    assert [cell.split("<")[0] for cell in row.split('<td class="num">')[1:]] == ["4", "4", "2", "2", "0"]
    assert client.get("/networks/?page=2").status_code == 200


def test_the_api_gives_identifiers_and_networks_with_the_same_need_to_know(client, auth, world):
    first = world["cases"][0]
    log_in(client, auth, "officer")
    found = client.get("/api/v1/identifiers", query_string={"kind": "phone", "value": "8 701 123-45-67"})
    assert found.status_code == 200
    body = found.get_json()
    assert body["normalized"] == PHONE and body["hidden_requests"] == 1 and len(body["appearances"]) == 2
    assert SECRET not in found.get_data(as_text=True)
    for query, status in (({"kind": "account", "value": "telegram:only_hidden", "platform": "telegram"}, 404),
                          ({"kind": "phone", "value": "12"}, 400), ({"kind": "nothing", "value": "x"}, 400),
                          ({"kind": "phone"}, 400)):
        response = client.get("/api/v1/identifiers", query_string=query)
        assert response.status_code == status, query
    network = client.get(f"/api/v1/cases/{first}/network").get_json()
    assert [case["number"] for case in network["cases"]] == ["2026-001", "2026-002", "2026-003"]
    assert client.get("/api/v1/cases/999999/network").status_code == 404
    assert client.get("/api/v1/networks").status_code == 403
    auth.logout()
    log_in(client, auth, "head")
    listed = client.get("/api/v1/networks").get_json()
    assert listed["total"] == 1 and listed["items"][0]["cases"] == 4


def test_an_ip_address_shows_its_sessions_and_connects_only_the_cases_of_one(client, auth, app):
    from datetime import UTC, datetime, timedelta

    make_user(db.session, "head", Role.HEAD)
    partner = make_partner(db.session, "meta")
    cases = [make_case(db.session, f"2026-10{number}") for number in (1, 2, 3)]
    requests = [make_request(db.session, partner=partner, case=case) for case in cases]
    seen = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    for request, when in zip(requests, (seen, seen + timedelta(hours=5), seen + timedelta(days=40)), strict=True):
        request.identifiers.append(Identifier(kind=IdentifierKind.IP, value="93.184.216.34",
                                              normalized="93.184.216.34", observed_at=when, observed_zone="UTC"))
    db.session.commit()
    log_in(client, auth, "head")
    html = client.get("/identifiers/ip/93.184.216.34").get_data(as_text=True)
    assert 'data-testid="ip-sessions"' in html and html.count("<tr><td class=\"nowrap\">") == 2
    network = client.get(f"/cases/{cases[0].id}/network").get_data(as_text=True)
    assert "2026-102" in network and "2026-103" not in network and 'data-testid="ip-session"' in network
    graph = client.get(f"/cases/{cases[0].id}/network.json").get_json()
    [address] = [node["data"] for node in graph["elements"]["nodes"] if node["data"]["type"] == "identifier"]
    assert address["url"].endswith("/identifiers/ip/93.184.216.34") and "·" in address["full"]
    api = client.get(f"/api/v1/cases/{cases[0].id}/network").get_json()
    assert api["identifiers"][0]["session"]["first_seen"].startswith("2026-03-02T09:00")
