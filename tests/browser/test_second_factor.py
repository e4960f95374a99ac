"""A head's first login once the second factor is required: enrolment with the QR code or the key, recovery
codes, then a login with a TOTP code computed here, as a phone would."""

import time

import pyotp
import pytest
from playwright.sync_api import expect

from coop.demo import DEMO_PASSWORD
from tests.browser.conftest import SCREENSHOTS, log_in


@pytest.fixture
def live_settings():
    return {"COOP_MFA_REQUIRED_ROLES": ("head", "admin"), "COOP_MFA_FOR_TOKENS": True}


def fresh_code(secret: str) -> str:
    """The next step's code (the current one was spent on enrolment; one step of drift is accepted)."""
    return pyotp.TOTP(secret).at(int(time.time()) + 30)


def test_a_head_enrols_then_logs_in_with_a_totp_code(page):
    log_in(page, "head", DEMO_PASSWORD)
    expect(page.get_by_test_id("second-factor-setup")).to_be_visible()
    expect(page.get_by_test_id("qr-code")).to_be_visible()
    assert page.get_by_test_id("qr-code").get_attribute("src").startswith("data:image/svg+xml")
    page.screenshot(path=str(SCREENSHOTS / "second_factor_setup.png"), full_page=True)

    # Nothing else is reachable before enrolling.
    page.goto("/dashboard/")
    expect(page.get_by_test_id("second-factor-setup")).to_be_visible()

    secret = page.get_by_test_id("manual-key").inner_text().replace(" ", "")
    page.fill("input[name=code]", "000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    page.locator("main form button.btn-primary").click()
    expect(page.locator(".field-invalid .error")).to_be_visible()

    page.fill("input[name=code]", pyotp.TOTP(secret).now())
    page.locator("main form button.btn-primary").click()
    expect(page.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)
    page.screenshot(path=str(SCREENSHOTS / "second_factor_recovery_codes.png"), full_page=True)
    page.get_by_test_id("codes-kept").click()

    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("logout").click()
    page.goto("/dashboard/")
    log_in(page, "head", DEMO_PASSWORD)
    expect(page.get_by_test_id("second-factor")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "second_factor_code.png"), full_page=True)
    page.fill("input[name=code]", fresh_code(secret))
    page.locator("main form button.btn-primary").click()
    expect(page.get_by_test_id("user-menu")).to_have_text("Гульнара Ахметова")
    page.goto("/dashboard/")
    expect(page.get_by_test_id("second-factor")).to_have_count(0)
    expect(page.get_by_test_id("user-menu")).to_be_visible()

    # The audit page: write a checkpoint, then check the trail against it.
    page.goto("/audit/")
    page.get_by_test_id("write-checkpoint").click()
    expect(page.get_by_test_id("checkpoint-line")).to_contain_text('"format":"coop-audit-checkpoint/1"')
    page.get_by_test_id("verify-trail").click()
    expect(page.get_by_test_id("verify-result")).to_contain_text("Журнал цел и доходит до всех контрольных точек")
    page.screenshot(path=str(SCREENSHOTS / "audit_checkpoints.png"), full_page=True)
