"""Three cases that share a Telegram account and a phone number through different requests: the officer follows the
identifier across them, opens the case network and its picture; the head lists the networks. A restricted request
that names the same phone (and an account of its own) never shows to the officer, on any of these pages."""

import re

from playwright.sync_api import expect
from sqlalchemy import select

from coop.demo import DEMO_PASSWORD
from coop.extensions import db
from coop.models import Case, CooperationRequest, Identifier, IdentifierKind, Partner, RequestType, Status, User
from tests.browser.conftest import SCREENSHOTS, log_in

PHONE = "+77015550142"
ACCOUNT = "telegram:kz_callcentre_ops"
SECRET = "zq7x"


def _request(session, case, partner, request_type, title, **fields) -> CooperationRequest:
    number = session.scalar(select(CooperationRequest.id).order_by(CooperationRequest.id.desc()).limit(1)) + 1
    item = CooperationRequest(reference=fields.pop("reference", f"OUT-2026-N{number:05d}"),
                              direction=request_type.direction,
                              status=fields.pop("status", Status.SENT), partner=partner, request_type=request_type,
                              title=title, case=case, **fields)
    session.add(item)
    return item


def _identify(item, kind, normalized, value=None):
    item.identifiers.append(Identifier(kind=kind, value=value or normalized, normalized=normalized))


def build_call_centre(app) -> dict:
    """Three cases of one call centre (the phone in the first two, the account in the last two), a restricted
    request of another officer naming the phone in a fourth case, and a ring of 60 cases for a large picture."""
    with app.app_context():
        session = db.session
        partners = {code: session.scalar(select(Partner).where(Partner.code == code))
                    for code in ("telegram", "meta", "google")}
        disclosure = session.scalar(select(RequestType).where(RequestType.code == "direct_disclosure"))
        other_officer = session.scalar(select(User).where(User.username == "d.nurlanov"))
        cases = [Case(number=f"2026-77{index:04d}", title=title) for index, title in
                 enumerate(("Звонки «службы безопасности банка»", "Перевод на «безопасный счёт»",
                            "Фишинг через Telegram-бот"), start=1)]
        secret_case = Case(number=f"2026-{SECRET}", title=f"Оперативная разработка {SECRET}")
        session.add_all([*cases, secret_case])
        first = _request(session, cases[0], partners["meta"], disclosure, "Данные WhatsApp по номеру",
                         status=Status.NO_DATA)
        second = _request(session, cases[1], partners["google"], disclosure, "Аккаунт Google с номером")
        third = _request(session, cases[1], partners["telegram"], disclosure, "Данные аккаунта Telegram")
        fourth = _request(session, cases[2], partners["telegram"], disclosure, "Администратор бота")
        hidden = _request(session, secret_case, partners["telegram"], disclosure, f"Источник {SECRET}",
                          restricted=True, officers=[other_officer], reference=f"OUT-2026-{SECRET.upper()}")
        _identify(first, IdentifierKind.PHONE, PHONE, "8 701 555 01 42")
        _identify(second, IdentifierKind.PHONE, PHONE)
        _identify(third, IdentifierKind.ACCOUNT, ACCOUNT, "@kz_callcentre_ops")
        _identify(fourth, IdentifierKind.ACCOUNT, ACCOUNT, "https://t.me/kz_callcentre_ops")
        _identify(hidden, IdentifierKind.PHONE, PHONE)
        _identify(hidden, IdentifierKind.ACCOUNT, f"telegram:{SECRET}_source")
        # A large network: 100 cases in a chain (each naming a number it shares with the case before it and a
        # wallet it shares with the case after it), every tenth also naming the organisers' account: 201 nodes.
        ring = [Case(number=f"2026-88{index:04d}", title=f"Эпизод {index}") for index in range(100)]
        session.add_all(ring)
        for index, case in enumerate(ring):
            item = _request(session, case, partners["telegram"], disclosure, f"Эпизод {index}",
                            reference=f"OUT-2026-R{index:04d}")
            _identify(item, IdentifierKind.PHONE, f"+7702{index // 2:07d}")
            _identify(item, IdentifierKind.WALLET, f"T{'x' * 20}{(index + 1) // 2 % 50:02d}")
            if index % 10 == 0:
                _identify(item, IdentifierKind.ACCOUNT, "telegram:organisers_hub")
        session.commit()
        ids = {"cases": [case.id for case in cases], "first_request": first.id, "ring": ring[0].id}
        db.session.remove()
    return ids


def assert_nothing_secret(page) -> None:
    body = page.content()
    assert SECRET not in body and SECRET.upper() not in body, f"{page.url} shows the restricted request"


def test_an_officer_follows_a_phone_and_an_account_across_cases_and_the_head_lists_the_networks(page, live_app):
    world = build_call_centre(live_app)
    first_case, second_case, third_case = world["cases"]
    log_in(page, "officer", DEMO_PASSWORD)

    # From the request, the phone's own page: every request naming it, what each partner answered.
    page.goto(f"/requests/{world['first_request']}")
    page.get_by_test_id("identifier-page-link").filter(has_text=PHONE).click()
    expect(page.get_by_test_id("identifier-key")).to_have_text(PHONE)
    appearances = page.get_by_test_id("appearances").locator("tbody tr")
    expect(appearances).to_have_count(2)
    expect(page.get_by_test_id("no-data")).to_have_count(1)
    expect(page.get_by_test_id("hidden-requests")).to_contain_text("Гульнара Ахметова")
    assert_nothing_secret(page)

    # The officer marks the phone and the account as the same person's; a missing reason is refused first.
    form = page.get_by_test_id("link-form")
    form.locator("select[name=other_kind]").select_option("account")
    form.locator("select[name=other_platform]").select_option("telegram")
    form.locator("input[name=other_value]").fill("https://t.me/KZ_callcentre_ops")
    form.get_by_role("button").click()
    expect(page.locator(".field-invalid")).to_have_count(1)
    form = page.get_by_test_id("link-form")
    form.locator("textarea[name=reason]").fill("Номер указан в профиле аккаунта (ответ Telegram)")
    form.get_by_role("button").click()
    expect(page.get_by_test_id("links")).to_contain_text(ACCOUNT)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "network-identifier-page.png"), full_page=True)

    # The case page lists the connected cases; the network page draws them.
    page.goto(f"/cases/{first_case}")
    connected = page.get_by_test_id("connected-cases")
    expect(connected).to_contain_text("2026-770002")
    expect(connected).to_contain_text("2026-770003")
    assert_nothing_secret(page)
    page.get_by_test_id("open-network").click()
    graph = page.get_by_test_id("network-graph")
    expect(graph).to_have_attribute("data-ready", "true")
    # Three cases, the phone and the account (the restricted case and its account are not there).
    expect(graph).to_have_attribute("data-nodes", "5")
    rows = page.get_by_test_id("connected-cases").locator("tbody tr")
    expect(rows).to_have_count(2)
    assert_nothing_secret(page)
    page.screenshot(path=str(SCREENSHOTS / "network-case-officer.png"), full_page=True)
    for path in (f"/cases/{first_case}/network.json", f"/cases/{first_case}/network/export.csv",
                 f"/api/v1/identifiers?kind=phone&value={PHONE.replace('+', '%2B')}",
                 f"/api/v1/cases/{first_case}/network"):
        response = page.request.get(path)
        assert response.ok and SECRET not in response.text(), path
    assert page.request.get("/networks/").status == 403

    # A click on a case in the picture opens that case's network.
    position = page.evaluate("""(id) => { const node = window.coopNetwork.getElementById(id);
        const box = document.getElementById('network-graph').getBoundingClientRect();
        const at = node.renderedPosition(); return {x: box.left + at.x, y: box.top + at.y}; }""", f"case-{third_case}")
    page.mouse.click(position["x"], position["y"])
    expect(page).to_have_url(re.compile(rf"/cases/{third_case}/network$"))

    # The head sees every network, the largest first, and the whole call centre (the restricted case too).
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("logout").click()
    log_in(page, "head", DEMO_PASSWORD)
    page.get_by_role("link", name="Сети", exact=True).click()
    row = page.get_by_test_id("network-row").filter(has_text="2026-770001")
    expect(row).to_have_count(1)
    expect(row.locator("td.num").first).to_have_text("4")
    page.screenshot(path=str(SCREENSHOTS / "network-list-head.png"), full_page=True)
    row.get_by_role("link", name="Схема и список").click()
    # Four cases (the restricted one too), the phone and the account.
    expect(page.get_by_test_id("network-graph")).to_have_attribute("data-nodes", "6")
    page.screenshot(path=str(SCREENSHOTS / "network-case-head.png"), full_page=True)

    # A network of about two hundred nodes stays readable.
    page.goto(f"/cases/{world['ring']}/network")
    graph = page.get_by_test_id("network-graph")
    expect(graph).to_have_attribute("data-ready", "true", timeout=30_000)
    expect(graph).to_have_attribute("data-nodes", str(100 + 50 + 50 + 1))
    graph.screenshot(path=str(SCREENSHOTS / "network-graph-200-nodes.png"))
