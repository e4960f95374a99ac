"""The head's dashboard in a real browser: figures from the demo data, filters, a download, the scorecard."""

import csv
import io
import re

from playwright.sync_api import expect

from coop.demo import DEMO_PASSWORD
from tests.browser.conftest import SCREENSHOTS, log_in


def _number(text: str) -> int:
    return int("".join(char for char in text if char.isdigit()) or 0)


def test_head_reads_the_dashboard_filters_it_and_downloads_a_table(page):
    log_in(page, "head", DEMO_PASSWORD)
    page.get_by_role("link", name="Сводка", exact=True).click()
    expect(page.locator("h1")).to_have_text("Сводка по управлению")
    open_requests = _number(page.get_by_test_id("stat-open").locator(".stat-value").inner_text())
    assert open_requests > 0
    expect(page.locator("#trend svg")).to_be_visible()
    expect(page.get_by_test_id("open-country")).to_be_visible()
    expect(page.get_by_test_id("open-provider")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "dashboard.png"), full_page=True)

    page.select_option("select[name=partner_kind]", "country")
    page.get_by_test_id("apply-filters").click()
    expect(page).to_have_url(re.compile(r"partner_kind=country"))
    expect(page.get_by_test_id("open-provider")).to_have_count(0)
    countries_open = _number(page.get_by_test_id("stat-open").locator(".stat-value").inner_text())
    assert 0 < countries_open <= open_requests
    shown = page.get_by_test_id("open-country").locator("tbody tr")
    first_partner = shown.first.locator("td").first.inner_text()
    first_total = shown.first.locator("td").nth(-2).inner_text()

    with page.expect_download() as download_info:
        page.get_by_test_id("export-open_by_partner-csv").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    with open(download.path(), encoding="utf-8-sig") as downloaded:
        rows = list(csv.reader(io.StringIO(downloaded.read())))
    assert rows[0][0] == "Партнёр"
    exported = {row[0]: row for row in rows[1:]}
    assert exported[first_partner][-2] == first_total
    assert sum(int(row[-2]) for row in rows[1:]) == countries_open
    assert {row[2] for row in rows[1:]} == {rows[1][2]}  # countries only, as filtered


def test_head_opens_a_partner_scorecard_and_the_monthly_report(page):
    log_in(page, "head", DEMO_PASSWORD)
    page.goto("/dashboard/")
    partner_link = page.get_by_test_id("open-provider").locator("tbody tr").first.locator("a").first
    partner_name = partner_link.inner_text()
    partner_link.click()
    expect(page.locator("h1")).to_contain_text(partner_name)
    expect(page.get_by_test_id("partner-times")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "partner-scorecard.png"), full_page=True)

    page.goto("/dashboard/report")
    expect(page.get_by_test_id("monthly-report")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator(".topbar")).to_be_hidden()
    page.screenshot(path=str(SCREENSHOTS / "monthly-report-print.png"), full_page=True)
