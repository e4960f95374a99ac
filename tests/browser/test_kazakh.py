"""The tracker in Kazakh, in the browser: the flow of test_tracker_flow walked by officers who chose Kazakh, and
every page it passes (and the main pages around it) checked for interface text left in English or Russian.

The database holds only the seeded reference data and what the walk enters (in Kazakh), so that any Russian or
English phrase on a page comes from the interface, not from someone's data. Free-text reference data that exists
in Russian only (a provider's policy, a treaty's articles) is shown in `.ref-text` blocks and names in other
languages carry their own `lang`: both are left out of the check.
"""

import re
from enum import StrEnum

import pytest
from babel.messages.pofile import read_po
from flask_migrate import upgrade
from playwright.sync_api import expect
from sqlalchemy import select

from coop import ROOT, models
from coop.domain.accounts import hash_password
from coop.domain.deadlines import seed_deadline_rules
from coop.domain.reference_data import seed_reference_data
from coop.extensions import db
from coop.models import Partner, RequestType, Role, Status
from tests.browser.conftest import SCREENSHOTS, browser_app, log_in, move, status_labels
from tests.factories import make_user

pytestmark = pytest.mark.browser

PASSWORD = "Kazakh-interface-2026"
CASE_NUMBER = "269900000000077"
ANSWER_PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
COMMAND = re.compile(r"\bcoop(?: [a-z][a-z-]*)+")  # "coop reminders sweep" is a command, typed as it is
SHORTEST_PHRASE = 6  # shorter catalogue strings ("Дело", "Edit") also occur inside longer words and names
# The visible text and the words shown on hover or read aloud, without blocks that hold data in other languages
# and without monospaced codes (references, field names, enum values), which are typed as they are.
PAGE_TEXT = """() => {
  const body = document.body.cloneNode(true);
  body.querySelectorAll('.ref-text, [lang]:not([lang=kk]), .mono, script, style, [hidden]')
    .forEach(node => node.remove());
  const attributes = [...body.querySelectorAll('[placeholder], [title], [aria-label]')].map(node =>
    [node.getAttribute('placeholder'), node.getAttribute('title'), node.getAttribute('aria-label')].join('\\n'));
  document.body.appendChild(body); body.style.display = 'block';
  const text = body.innerText; body.remove();
  return [document.title, text, ...attributes].join('\\n');
}"""


def foreign_interface_phrases() -> list[tuple[str, re.Pattern]]:
    """The catalogue's English messages and Russian translations that a Kazakh page must not show.

    Messages whose Kazakh text is the same (codes, "coop", "%(num)s KB") are left out, and so are the fixed
    pieces of a message around its placeholders that are shorter than SHORTEST_PHRASE.
    """
    catalogues = {}
    for language in ("ru", "kk"):
        with (ROOT / "coop" / "translations" / language / "LC_MESSAGES" / "messages.po").open("rb") as po_file:
            catalogues[language] = {message.id: message.string for message in read_po(po_file) if message.id}
    def forms(text) -> tuple[str, ...]:  # a plural message has a text per form
        return (text,) if isinstance(text, str) else tuple(text or ())

    phrases = set()
    for msgid, kazakh_forms in catalogues["kk"].items():
        kazakh = " ".join(forms(kazakh_forms))
        for source in (*forms(msgid), *forms(catalogues["ru"].get(msgid))):
            if not source or source == kazakh:
                continue
            for piece in re.split(r"%\(\w+\)[sd]", source):
                piece = piece.strip(" .,:;—–-()«»“”…")
                if len(piece) >= SHORTEST_PHRASE and piece not in kazakh and re.search(r"[^\W\d_]{3}", piece):
                    phrases.add(piece)
    # Enum values ("extension", "preservation") are codes the API documents as they are typed.
    phrases -= {member.value for enum in vars(models).values()
                if isinstance(enum, type) and issubclass(enum, StrEnum) for member in enum}
    # A hyphenated compound is a name typed as it is (the Accept-Language header), not the phrase "Language".
    return [(phrase, re.compile(r"(?<![\w-])" + re.escape(phrase) + r"(?![\w-])")) for phrase in sorted(phrases)]


@pytest.fixture(scope="module")
def phrases():
    return foreign_interface_phrases()


@pytest.fixture
def live_app(tmp_path):
    """coop with the seeded reference data and three people, and nothing else (overrides conftest's demo)."""
    app = browser_app(tmp_path / "coop.sqlite", tmp_path)
    with app.app_context():
        upgrade()
        seed_reference_data(db.session)
        seed_deadline_rules(db.session)
        password_hash = hash_password(PASSWORD)
        make_user(db.session, "aigerim", Role.OFFICER, full_name="Әйгерім Нұрланқызы", password_hash=password_hash,
                  email="aigerim@cyber.police.kz")
        make_user(db.session, "bastyk", Role.HEAD, full_name="Ерлан Қасымов", password_hash=password_hash,
                  email="bastyk@cyber.police.kz")
        make_user(db.session, "akimshi", Role.ADMIN, full_name="Дана Серікқызы", password_hash=password_hash)
        db.session.commit()
        db.session.remove()
    return app


class KazakhCheck:
    """Screenshots each page and collects the foreign interface phrases it shows, to report them all at once."""

    def __init__(self, phrases):
        self.phrases = phrases
        self.found: dict[str, list[str]] = {}
        self.pages = 0

    def __call__(self, page, name: str, screenshot: bool = False) -> None:
        expect(page.locator("html")).to_have_attribute("lang", "kk")
        if screenshot:  # the main pages, to look at: Kazakh words run long
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"kk-{name}.png"), full_page=True)
        text = COMMAND.sub("coop", page.evaluate(PAGE_TEXT))
        shown = [phrase for phrase, pattern in self.phrases if phrase in text and pattern.search(text)]
        if shown:
            self.found[name] = shown
        self.pages += 1


def reference_names(app) -> dict[str, str]:
    with app.app_context():
        types = {code: name for code, name in db.session.execute(select(RequestType.code, RequestType.name_kk))}
        partners = {code: name for code, name in db.session.execute(
            select(Partner.code, Partner.name_kk).where(Partner.code.in_(["meta", "US"])))}
    return types | partners


def test_a_kazakh_speaking_officer_works_a_case_through_and_every_page_speaks_kazakh(
        page, browser, live_server, live_app, phrases):
    check, labels, names = KazakhCheck(phrases), status_labels(live_app, "kk"), reference_names(live_app)

    # The officer's browser asks for Russian: she chooses Kazakh on the login page, and coop keeps it.
    page.goto("/login")
    page.get_by_test_id("lang-kk").click()
    expect(page.get_by_test_id("language-switch").locator("button")).to_have_text(["KK", "RU", "EN"])
    check(page, "login", screenshot=True)
    log_in(page, "aigerim", PASSWORD)
    expect(page.locator("h1")).to_contain_text("Қош келдіңіз, Әйгерім Нұрланқызы")
    page.get_by_test_id("lang-kk").click()  # chosen again once logged in: saved as her language
    check(page, "home", screenshot=True)

    # 1. The case.
    page.get_by_role("link", name="Істер", exact=True).click()
    check(page, "cases")
    page.get_by_role("link", name="Жаңа іс").click()
    check(page, "case-form")
    page.fill("input[name=number]", CASE_NUMBER)
    page.fill("input[name=title]", "Instagram-дағы жалған дүкен @fake_shop_astana")
    page.fill("input[name=offence]", "ҚР ҚК 190-бабы 2-бөлігінің 4-тармағы — АТ пайдаланып алаяқтық")
    page.fill("textarea[name=summary]", "Жоқ iPhone үшін алдын ала төлем, 14 жәбірленуші.")
    page.get_by_role("button", name="Сақтау").click()
    expect(page.locator(".flash-success")).to_contain_text(f"№ {CASE_NUMBER} іс құрылды.")
    case_url = page.url
    check(page, "case")

    # 2. A preservation request to Meta for the Instagram account, drafted from the case's page.
    page.get_by_test_id("new-outgoing").click()
    check(page, "request-form", screenshot=True)
    form = page.get_by_test_id("request-form")
    form.locator("input[name=title]").fill("@fake_shop_astana Instagram аккаунтының деректерін сақтау")
    form.locator("select[name=request_type_id]").select_option(label=names["preservation_provider"])
    form.locator("select[name=partner_id]").select_option(label=names["meta"])
    form.locator("textarea[name=assistance_sought]").fill("Тіркеу деректері мен кіру журналдарын сақтау.")
    form.locator("textarea[name=data_custodian]").fill("Meta Platforms, Inc., Менло-Парк, АҚШ")
    form.locator("input[name=follow_up_promised]").check()
    page.get_by_test_id("save-request").click()
    expect(page.locator(".flash-success")).to_be_visible()
    preservation = page.get_by_test_id("reference").inner_text()
    expect(page.locator(".request-badges [data-status]")).to_have_text(labels[Status.DRAFT])
    page.locator("details:has([data-testid=identifier-form]) > summary").click()
    identifier = page.get_by_test_id("identifier-form")
    identifier.locator("select[name=kind]").select_option("account")
    identifier.locator("input[name=value]").fill("https://www.instagram.com/fake_shop_astana/")
    identifier.locator("button[type=submit]").click()
    expect(page.get_by_test_id("identifiers")).to_contain_text("instagram:fake_shop_astana")
    check(page, "preservation")

    # 3. The assistance request to the United States, following the preservation; sent for approval.
    page.goto(case_url)
    page.get_by_test_id("new-outgoing").click()
    form = page.get_by_test_id("request-form")
    form.locator("input[name=title]").fill("АҚШ-тың құқықтық көмегі: @fake_shop_astana аккаунтының мазмұны")
    form.locator("select[name=request_type_id]").select_option(label=names["mla_outgoing"])
    form.locator("select[name=partner_id]").select_option(label=names["US"])
    form.locator("input[name=follows_reference]").fill(preservation)
    form.locator("textarea[name=assistance_sought]").fill("Meta-дан аккаунт хат алмасуының мазмұнын алу.")
    page.get_by_test_id("save-request").click()
    expect(page.locator(".flash-success")).to_be_visible()
    assistance = page.get_by_test_id("reference").inner_text()
    request_url = page.url
    move(page, Status.AWAITING_APPROVAL)
    expect(page.locator(".request-badges [data-status]")).to_have_text(labels[Status.AWAITING_APPROVAL])
    check(page, "request-awaiting-approval")

    # 4. The head's browser asks for Kazakh itself; he approves, then looks at the dashboard and the report.
    head_context = browser.new_context(base_url=live_server, locale="kk-KZ", viewport={"width": 1366, "height": 860})
    head = head_context.new_page()
    head.set_default_timeout(10_000)
    try:
        log_in(head, "bastyk", PASSWORD)
        approvals = head.get_by_test_id("approvals")
        expect(approvals).to_contain_text(assistance)
        check(head, "head-home", screenshot=True)
        approvals.get_by_role("link", name=assistance).click()
        move(head, Status.APPROVED, reason="Бекітемін. Орталық орган арқылы жіберілсін.")
        expect(head.locator(".request-badges [data-status]")).to_have_text(labels[Status.APPROVED])
        for path, name in (("/dashboard/", "dashboard"), ("/dashboard/partners/US", "scorecard"),
                           ("/dashboard/report", "monthly-report")):
            head.goto(path)
            check(head, name, screenshot=name != "scorecard")
    finally:
        head_context.close()

    # 5. Sent with the partner's reference, answered with its document, closed.
    page.goto(request_url)
    move(page, Status.SENT, channel="central_authority", partner_reference="CRM-182-77816")
    expect(page.get_by_test_id("partner-references")).to_contain_text("CRM-182-77816")
    check(page, "request-sent", screenshot=True)
    page.goto(f"/deadlines/request/{request_url.rstrip('/').rsplit('/', 1)[-1]}")
    check(page, "request-deadlines")
    page.goto(request_url)
    move(page, Status.ANSWERED, reason="Аккаунтты тіркеу туралы мәліметтер мен кіру журналдары алынды.",
         file={"name": "jauap_aqsh.pdf", "mimeType": "application/pdf", "buffer": ANSWER_PDF})
    expect(page.get_by_test_id("documents")).to_contain_text("jauap_aqsh.pdf")
    move(page, Status.CLOSED, reason="Мәліметтер іске қоса тіркелді.")
    expect(page.locator(".request-badges [data-status]")).to_have_text(labels[Status.CLOSED])
    check(page, "request-closed")

    # 6. The case, the list and the officer's own pages.
    page.goto(case_url)
    expect(page.locator("[data-testid=partner-group][data-partner=US]")).to_contain_text(preservation)
    check(page, "case-with-requests", screenshot=True)
    page.goto("/requests/")
    page.get_by_test_id("request-filters").locator("input[name=case]").fill(CASE_NUMBER)
    page.get_by_test_id("request-filters").get_by_role("button", name="Қолдану").click()
    expect(page.get_by_test_id("result-count")).to_have_text("Табылған сұрау салулар: 2")
    check(page, "request-list", screenshot=True)
    for path, name in (("/reminders", "reminders"), ("/calendar", "calendar"), ("/partners/", "partners"),
                       ("/partners/legal-bases", "legal-bases"), ("/partners/request-types", "request-types"),
                       ("/account/tokens/", "tokens"), ("/account/password", "password"), ("/api/v1/docs", "api-docs")):
        page.goto(path)
        check(page, name)
    page.goto("/partners/")
    page.get_by_role("link", name=names["US"], exact=True).first.click()
    check(page, "partner-country", screenshot=True)
    page.goto("/partners/?kind=provider")
    page.get_by_role("link", name=names["meta"], exact=True).first.click()
    check(page, "partner-provider", screenshot=True)
    page.goto("/partners/legal-bases")
    page.locator("[data-testid=legal-bases-table] a, table a").first.click()
    check(page, "legal-basis")

    # 7. The administrator's pages.
    admin_context = browser.new_context(base_url=live_server, locale="kk-KZ", viewport={"width": 1366, "height": 860})
    admin = admin_context.new_page()
    admin.set_default_timeout(10_000)
    try:
        log_in(admin, "akimshi", PASSWORD)
        for path, name in (("/admin/users", "admin-users"), ("/admin/users/new", "admin-new-user"),
                           ("/admin/deadline-rules", "admin-deadline-rules"),
                           ("/admin/deadline-rules/new", "admin-new-rule"),
                           ("/admin/calendar-days", "admin-calendar"), ("/admin/outbox", "admin-outbox"),
                           ("/partners/new?kind=provider", "admin-new-provider"), ("/imports/", "imports")):
            admin.goto(path)
            check(admin, name, screenshot=name in ("admin-users", "admin-deadline-rules"))
    finally:
        admin_context.close()

    assert check.pages >= 30
    assert check.found == {}, "English or Russian interface text on Kazakh pages: " + "; ".join(
        f"{name}: {', '.join(shown[:8])}" for name, shown in check.found.items())
