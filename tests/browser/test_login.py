from playwright.sync_api import expect

from coop.demo import DEMO_PASSWORD
from tests.browser.conftest import SCREENSHOTS, log_in


def test_officer_logs_in_switches_language_and_logs_out(page):
    page.goto("/")
    expect(page).to_have_url(f"{page.url.split('/login')[0]}/login?next=%2F")
    expect(page.get_by_test_id("kazakh-welcome")).to_have_text("Қош келдіңіз!")
    expect(page.locator("button[type=submit].btn-primary")).to_have_text("Войти")
    page.screenshot(path=str(SCREENSHOTS / "login.png"))

    log_in(page, "officer", "wrong password")
    expect(page.locator(".flash-error")).to_contain_text("Неверное имя пользователя или пароль")

    log_in(page, "officer", DEMO_PASSWORD)
    expect(page.get_by_test_id("user-menu")).to_have_text("Айдар Сейтказиев")
    expect(page.locator("h1")).to_contain_text("Добро пожаловать")

    page.get_by_test_id("lang-en").click()
    expect(page.locator("h1")).to_contain_text("Welcome")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("logout").click()
    expect(page.locator(".flash")).to_contain_text("You have logged out.")
    page.goto("/")
    expect(page.locator("input[name=username]")).to_be_visible()


def test_admin_creates_a_user_with_an_error_first(page):
    log_in(page, "admin", DEMO_PASSWORD)
    page.get_by_role("link", name="Администрирование").click()
    page.get_by_role("link", name="Новый пользователь").click()
    page.fill("input[name=username]", "t.test")
    page.fill("input[name=full_name]", "Тимур Тестов")
    page.fill("input[name=password]", "short")
    page.get_by_role("button", name="Сохранить").click()
    expect(page.locator(".field-invalid .error")).to_have_text("Не менее 10 символов.")
    expect(page.locator("input[name=full_name]")).to_have_value("Тимур Тестов")
    page.fill("input[name=password]", "a long enough password")
    page.get_by_role("button", name="Сохранить").click()
    expect(page.locator(".flash-success")).to_contain_text("t.test")
    expect(page.get_by_test_id("users-table")).to_contain_text("Тимур Тестов")
