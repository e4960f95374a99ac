"""An officer imports the department's register (Russian headings, a few broken rows) through the pages, and
connects another system with a personal API token."""

import re

import pytest
from playwright.sync_api import expect

from coop.demo import DEMO_PASSWORD
from tests.browser.conftest import SCREENSHOTS, log_in
from tests.imports.registers import BROKEN, register_rows, register_xlsx

SLOW = 120_000  # a preview tries every row against the rules; the import writes them: seconds, not milliseconds


@pytest.fixture
def register_file(tmp_path):
    path = tmp_path / "Журнал запросов 2025.xlsx"
    path.write_bytes(register_xlsx(register_rows()))
    return path


def _upload(page, path) -> None:
    page.get_by_role("link", name="Импорт", exact=True).click()
    page.set_input_files("input[type=file]", str(path))
    page.get_by_role("button", name="Загрузить и сопоставить столбцы").click()


def test_an_officer_uploads_a_register_checks_the_preview_and_imports_it_once(page, register_file):
    rows = len(register_rows())
    page.set_default_timeout(SLOW)
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, "officer", DEMO_PASSWORD)

    _upload(page, register_file)
    expect(page.locator("h1")).to_contain_text("Сопоставление столбцов")
    expect(page.locator("select[data-column='3']")).to_have_value("partner")
    expect(page.locator("select[data-column='2']")).to_have_value("sent_on")
    expect(page.locator("select[data-column='0']")).to_have_value("")
    page.screenshot(path=str(SCREENSHOTS / "import-mapping.png"), full_page=True)

    page.get_by_role("button", name="Показать предпросмотр").click()
    page.wait_for_url(re.compile(r"/preview"), timeout=SLOW)
    expect(page.get_by_test_id("count-ready")).to_have_text(str(rows - len(BROKEN)))
    expect(page.get_by_test_id("count-problems")).to_have_text(str(len(BROKEN)))
    page.screenshot(path=str(SCREENSHOTS / "import-preview.png"))
    page.locator(".import-tabs a[data-show=problems]").click()
    expect(page.locator("tr[data-state=problems]:visible")).to_have_count(len(BROKEN))
    expect(page.locator("tr[data-state=ready]:visible")).to_have_count(0)
    expect(page.locator("tr[data-row='19']")).to_contain_text("«Атлантида» в coop не найден")
    page.screenshot(path=str(SCREENSHOTS / "import-preview-problems.png"), full_page=True)

    page.get_by_test_id("import-button").click()
    page.wait_for_url(re.compile(r"/imports/\d+$"), timeout=SLOW)
    expect(page.get_by_test_id("result-imported")).to_have_text(str(rows - len(BROKEN)))
    expect(page.get_by_test_id("result-problems")).to_have_text(str(len(BROKEN)))
    page.screenshot(path=str(SCREENSHOTS / "import-result.png"))

    page.get_by_test_id("result-imported-table").locator("a").first.click()
    expect(page.locator(".event-via[data-via=import]").first).to_contain_text("Журнал запросов 2025.xlsx")

    _upload(page, register_file)  # the same file again: nothing new
    page.get_by_role("button", name="Показать предпросмотр").click()
    page.wait_for_url(re.compile(r"/preview"), timeout=SLOW)
    expect(page.get_by_test_id("count-imported")).to_have_text(str(rows - len(BROKEN)))
    expect(page.get_by_test_id("count-ready")).to_have_text("0")
    expect(page.get_by_test_id("import-button")).to_be_disabled()


def test_an_officer_creates_a_token_uses_it_and_revokes_it(page, live_server):
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, "officer", DEMO_PASSWORD)

    page.get_by_test_id("user-menu").click()
    page.get_by_role("link", name="Токены API").click()
    page.fill("input[name=name]", "Синхронизация журнала")
    page.select_option("select[name=scope]", "write")
    page.get_by_role("button", name="Создать токен").click()
    token = page.locator("#new-token-value").input_value()
    assert token.startswith("coop_")
    page.screenshot(path=str(SCREENSHOTS / "api-token-created.png"), full_page=True)

    me = page.request.get(f"{live_server}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status == 200 and me.json()["token"]["name"] == "Синхронизация журнала"

    page.reload()
    expect(page.locator("#new-token-value")).to_have_count(0)  # shown once only
    page.get_by_role("button", name="Отозвать").click()
    expect(page.locator(".flash-success")).to_contain_text("отозван")
    revoked = page.request.get(f"{live_server}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert revoked.status == 401

    page.get_by_role("link", name="Документация API").click()
    expect(page.get_by_test_id("operation-create_request")).to_contain_text("/requests")
    page.screenshot(path=str(SCREENSHOTS / "api-docs.png"))
