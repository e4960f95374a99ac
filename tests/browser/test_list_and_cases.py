"""An officer finds things in the demo department: filters the list, searches a phone number, opens a case."""

import re

from playwright.sync_api import expect
from sqlalchemy import func, select

from coop.demo import DEMO_PASSWORD
from coop.domain.access import visible_requests
from coop.extensions import db
from coop.models import CooperationRequest, Identifier, IdentifierKind, User
from tests.browser.conftest import SCREENSHOTS, log_in


def a_shared_kazakh_phone(app) -> tuple[str, set[str]]:
    """A Kazakh mobile number named in several requests the officer can see, and those requests' references."""
    with app.app_context():
        officer = db.session.scalar(select(User).where(User.username == "officer"))
        visible = visible_requests(officer).with_only_columns(CooperationRequest.id)
        phone = db.session.scalar(
            select(Identifier.normalized)
            .where(Identifier.kind == IdentifierKind.PHONE, Identifier.normalized.like("+77%"),
                   Identifier.request_id.in_(visible))
            .group_by(Identifier.normalized)
            .having(func.count(func.distinct(Identifier.request_id)) > 1)
            .order_by(Identifier.normalized).limit(1))
        references = set(db.session.scalars(
            visible_requests(officer).with_only_columns(CooperationRequest.reference)
            .join(Identifier, Identifier.request_id == CooperationRequest.id)
            .where(Identifier.normalized == phone)))
        db.session.remove()
    return phone, references


def local_form(e164: str) -> str:
    """+77011234567 as people in Kazakhstan write it: 8 701 123 45 67."""
    digits = e164[2:]
    return f"8 {digits[:3]} {digits[3:6]} {digits[6:8]} {digits[8:]}"


def test_an_officer_filters_the_list_searches_a_phone_and_opens_a_case(page, live_app):
    log_in(page, "officer", DEMO_PASSWORD)
    page.get_by_role("link", name="Запросы", exact=True).first.click()
    expect(page.locator("h1")).to_have_text("Запросы")
    rows = page.get_by_test_id("requests-table").locator("tbody tr")
    expect(rows).to_have_count(50)

    # Narrow to outgoing requests to Telegram that are still open.
    filters = page.get_by_test_id("request-filters")
    filters.locator("select[name=direction]").select_option("outgoing")
    filters.locator("select[name=partner]").select_option("telegram")
    filters.locator("select[name=status]").select_option("open")
    filters.get_by_role("button", name="Применить").click()
    expect(page).to_have_url(re.compile(r"direction=outgoing.*partner=telegram|partner=telegram.*direction=outgoing"))
    assert "status=open" in page.url
    count = rows.count()
    assert count > 0
    for index in range(count):
        expect(rows.nth(index)).to_contain_text("Telegram")
        expect(rows.nth(index).locator("[data-status]")).not_to_have_attribute("data-status", "closed")
    expect(filters.locator("select[name=partner]")).to_have_value("telegram")
    page.screenshot(path=str(SCREENSHOTS / "list_filtered.png"), full_page=True)

    # Search a phone number the way it is dictated: 8 7xx ..., stored as +77...
    phone, expected = a_shared_kazakh_phone(live_app)
    page.get_by_test_id("reset-filters").click()
    page.fill("input[name=text]", local_form(phone))
    page.press("input[name=text]", "Enter")
    expect(page.get_by_test_id("result-count")).to_have_text(f"Найдено запросов: {len(expected)}")
    shown = {rows.nth(index).get_attribute("data-reference") for index in range(rows.count())}
    assert shown == expected
    page.screenshot(path=str(SCREENSHOTS / "list_phone_search.png"), full_page=True)

    # Open the case of the first request found: its page lists all its requests, partner by partner.
    case_link = page.get_by_test_id("requests-table").locator("a[href^='/cases/']").first
    case_number = case_link.inner_text()
    case_link.click()
    expect(page.locator("h1")).to_have_text(f"Дело {case_number}")
    with live_app.app_context():
        from coop.models import Case

        case_id = db.session.scalar(select(Case.id).where(Case.number == case_number))
        officer = db.session.scalar(select(User).where(User.username == "officer"))
        in_case = set(db.session.scalars(visible_requests(officer).with_only_columns(CooperationRequest.reference)
                                         .where(CooperationRequest.case_id == case_id)))
        db.session.remove()
    groups = page.get_by_test_id("partner-group")
    assert groups.count() >= 1
    listed = set(page.locator("[data-testid=partner-group] tbody tr td:first-child a").all_inner_texts())
    assert listed == in_case
    expect(page.get_by_test_id("case-props")).to_contain_text(case_number)
    expect(page.get_by_test_id("new-outgoing")).to_be_visible()
