"""An officer sees a reminder in the navigation, opens the request from it, reads how its deadline was computed,
and marks the reminder done."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from coop.demo import DEMO_PASSWORD
from coop.domain.requests import create_request
from coop.extensions import db
from coop.models import Direction, Partner, RequestType, User, utcnow
from tests.browser.conftest import SCREENSHOTS, demo_app, log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def live_app(demo_database, tmp_path):
    """The demo department, plus an incoming request of the demo officer whose execution deadline has passed."""
    app = demo_app(demo_database, tmp_path)
    with app.app_context():
        session = db.session
        officer = session.scalar(select(User).where(User.username == "officer"))
        incoming = session.scalar(select(RequestType).where(RequestType.code == "mla_incoming"))
        germany = session.scalar(select(Partner).where(Partner.code == "DE"))
        received = utcnow() - timedelta(days=50)
        request = create_request(session, officer, {
            "direction": Direction.INCOMING, "title": "Запрос прокуратуры ФРГ о данных абонента +7 701 000 00 00",
            "request_type_id": incoming.id, "partner_id": germany.id, "received_at": received}, received)
        app.config["BROWSER_TEST_REFERENCE"] = request.reference
        session.commit()
        db.session.remove()
    return app


def test_an_officer_opens_a_request_from_a_reminder_and_marks_it_done(page, live_app):
    reference = live_app.config["BROWSER_TEST_REFERENCE"]
    log_in(page, "officer", DEMO_PASSWORD)
    counter = page.get_by_test_id("reminder-count")
    waiting = int(counter.inner_text())
    assert waiting >= 1

    page.get_by_test_id("reminder-counter").click()
    page.wait_for_url("**/reminders")
    row = page.get_by_test_id("reminder-row").filter(has_text=reference)
    assert row.count() == 1
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "reminders_list.png"), full_page=True)

    row.get_by_test_id("reminder-request").click()
    page.wait_for_url("**/requests/*")
    assert page.get_by_test_id("reference").inner_text() == reference
    deadline = page.get_by_test_id("deadline-execution_deadline")
    assert deadline.is_visible()
    assert "Просрочено" in deadline.inner_text()
    deadline.get_by_text("Как рассчитан срок").click()
    explanation = deadline.get_by_test_id("explanation")
    assert "Правило" in explanation.inner_text() and "mla_incoming" in explanation.inner_text()
    assert "Не учтённые дни" in explanation.inner_text()
    page.get_by_test_id("request-deadlines").screenshot(path=str(SCREENSHOTS / "request_deadlines.png"))

    page.get_by_test_id("reminder-counter").click()
    page.wait_for_url("**/reminders")
    page.get_by_test_id("reminder-row").filter(has_text=reference).get_by_test_id("reminder-done").click()
    page.wait_for_url("**/reminders")
    assert page.get_by_test_id("reminder-row").filter(has_text=reference).count() == 0
    assert int(page.get_by_test_id("reminder-count").inner_text()) == waiting - 1
    assert reference in page.locator(".flash-success").inner_text()
