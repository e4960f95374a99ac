from playwright.sync_api import expect

from coop.demo import DEMO_PASSWORD
from coop.domain.reference_data import seed_reference_data
from coop.extensions import db
from tests.browser.conftest import SCREENSHOTS, log_in


def _seeded(app) -> None:
    """The demo loads the reference data too; seeding again adds nothing if it did."""
    with app.app_context():
        seed_reference_data(db.session)
        db.session.commit()
        db.session.remove()


def test_admin_edits_a_providers_preservation_period(page, live_app):
    _seeded(live_app)
    log_in(page, "admin", DEMO_PASSWORD)
    page.get_by_role("link", name="Партнёры").click()
    page.get_by_test_id("tab-provider").click()
    page.get_by_role("link", name="Meta (Facebook, Instagram, Messenger)").click()
    expect(page.get_by_test_id("preservation-days")).to_contain_text("90 дн.")
    page.screenshot(path=str(SCREENSHOTS / "partner-provider.png"), full_page=True)

    page.get_by_test_id("edit-partner").click()
    page.fill("input[name=preservation_days]", "0")
    page.get_by_test_id("save-partner").click()
    expect(page.locator("#preservation_days-error")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "partner-form-error.png"), full_page=True)

    page.fill("input[name=preservation_days]", "120")
    page.get_by_test_id("save-partner").click()
    expect(page.locator(".flash-success")).to_contain_text("сохранён")
    expect(page.get_by_test_id("preservation-days")).to_contain_text("120 дн.")


def test_officer_views_a_country_page_in_russian(page, live_app):
    _seeded(live_app)
    log_in(page, "officer", DEMO_PASSWORD)
    page.get_by_role("link", name="Партнёры").click()
    page.get_by_test_id("partner-search").fill("герм")
    page.get_by_role("button", name="Найти").click()
    page.screenshot(path=str(SCREENSHOTS / "partners-search.png"), full_page=True)
    page.get_by_test_id("partners-table").get_by_role("link", name="Германия").click()

    expect(page.get_by_test_id("partner-name")).to_contain_text("Германия")
    expect(page.get_by_test_id("name-kk")).to_have_text("Германия")
    expect(page.locator("main")).to_contain_text("Europe/Berlin")
    expect(page.locator("main")).to_contain_text("Фактические сроки ответа")
    expect(page.get_by_test_id("edit-partner")).to_have_count(0)  # officers read only

    page.goto("/partners/?kind=country&q=росс")  # (cutting the partner's id out of the URL once cut the port)
    page.get_by_test_id("partners-table").get_by_role("link", name="Россия").click()
    expect(page.get_by_test_id("instruments")).to_contain_text("Минск, 1993")
    page.screenshot(path=str(SCREENSHOTS / "partner-country.png"), full_page=True)
