"""Browser tests: the real pages in Debian's headless Chromium, driven by Playwright.

Playwright's own browser download is never used. Set COOP_REQUIRE_BROWSER=1 (CI does) to make a
missing Chromium fail instead of skip.
"""

import fcntl
import os
import shutil
import threading
from pathlib import Path

import pytest
from flask_babel import force_locale
from flask_migrate import upgrade
from playwright.sync_api import expect
from werkzeug.serving import make_server

from coop import create_app
from coop.extensions import db
from coop.labels import status_label
from coop.models import Status

CHROMIUM = os.environ.get("COOP_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("COOP_REQUIRE_BROWSER") == "1"
SCREENSHOTS = Path(os.environ.get("COOP_SCREENSHOTS", "test-artifacts/screenshots"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if REQUIRE_BROWSER:
            pytest.fail(f"Chromium is required (COOP_REQUIRE_BROWSER=1) but {CHROMIUM} does not exist")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


def browser_app(database_path: Path, tmp_path: Path, **settings):
    return create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database_path}",
        "SECRET_KEY": "browser-test",
        "COOP_UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "RATELIMIT_ENABLED": False,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": 1,
        "COOP_AUDIT_KEY_FILE": str(tmp_path / "audit_signing_key"),
        # The second factor is off for the demo's head and admin; test_second_factor.py turns it on.
        "COOP_MFA_REQUIRED_ROLES": (),
        "COOP_MFA_FOR_TOKENS": False,
        **settings,
    })


def run_folder(tmp_path_factory) -> Path:
    """The test run's temporary folder, which the xdist workers share (each has its own below it)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def build_demo_database(folder: Path) -> Path:
    """An SQLite file built by the real migrations with the demo department loaded, once per test run: loading the
    demo costs half a minute of CPU. The first worker builds it under a lock, the others wait and share it."""
    path = folder / "demo.sqlite"
    with open(folder / "demo.sqlite.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.exists():
            building = folder / "demo-building"
            shutil.rmtree(building, ignore_errors=True)  # what a build that failed half-way left
            building.mkdir()
            app = browser_app(building / "demo.sqlite", building)
            with app.app_context():
                upgrade()
                from coop.demo import load_demo_data

                load_demo_data(db.session)
                db.session.remove()
                db.engine.dispose()  # the last connection closed: the write-ahead log is folded into the file
            (building / "demo.sqlite").rename(path)
    return path


def pytest_collection_finish(session):
    """Build the demo database before the first test that needs it, so that its build (minutes on a loaded
    machine) does not count against that test's timeout."""
    needed = any("demo_database" in getattr(item, "fixturenames", ()) for item in session.items)
    if needed and Path(CHROMIUM).exists():
        build_demo_database(run_folder(session.config._tmp_path_factory))


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory) -> Path:
    """The demo database every browser test starts from (each on a copy of its own)."""
    return build_demo_database(run_folder(tmp_path_factory))


def demo_app(demo_database: Path, tmp_path: Path, **settings):
    """coop on a copy of the demo database, in the test's own folder."""
    database_path = tmp_path / "coop.sqlite"
    shutil.copyfile(demo_database, database_path)
    return browser_app(database_path, tmp_path, **settings)


@pytest.fixture
def live_settings():
    """Settings a test module overrides for its live application (e.g. the second factor turned on)."""
    return {}


@pytest.fixture
def live_app(demo_database, tmp_path, live_settings):
    """coop on a copy of the demo database built by the real migrations, with the demo department loaded."""
    return demo_app(demo_database, tmp_path, **live_settings)


@pytest.fixture
def live_server(live_app):
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    with live_app.app_context():
        db.engine.dispose()


@pytest.fixture
def page(browser, live_server, request):
    context = browser.new_context(base_url=live_server, locale="ru-RU", viewport={"width": 1366, "height": 860})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def log_in(page, username: str, password: str) -> None:
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("main form button.btn-primary")


def status_labels(app, language: str) -> dict[Status, str]:
    """Each status as the status form names it in `language`."""
    with app.test_request_context(), force_locale(language):
        return {status: status_label(status) for status in Status}


def move(page, target: Status, **fields) -> None:
    """Use the request page's status form: pick the new status, fill what goes with it, submit."""
    form = page.get_by_test_id("transition-form")
    form.locator("select[name=target]").select_option(target.value)
    for name, value in fields.items():
        field = form.locator(f"[name={name}]")
        if name == "file":
            field.set_input_files(value)
        elif field.evaluate("element => element.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    form.get_by_test_id("transition-submit").click()
    expect(page.locator(".flash-success")).to_be_visible()
