"""Letters in the browser: for one case, the preservation request to Meta and the request for assistance to Germany
are drafted from their request pages, the .docx files are opened with python-docx and every checklist item is in
them (in English and in Russian), a signed version is uploaded and the letter is sent with its outgoing number."""

import io
import re
from datetime import date, datetime
from pathlib import Path

from docx import Document
from playwright.sync_api import expect
from sqlalchemy import select

from coop.demo import DEMO_PASSWORD
from coop.domain.identifiers import parse_identifier
from coop.domain.requests import add_identifier, change_status, create_request
from coop.extensions import db
from coop.models import Case, CooperationRequest, IdentifierKind, LegalBasis, Partner, RequestType, Status, User, utcnow
from tests.browser.conftest import SCREENSHOTS, log_in

SIGNED_PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
CONTENTS = {
    "requesting_authority": "Департамент по противодействию киберпреступности МВД Республики Казахстан",
    "investigation_subject": "Мошенничество через фейковый магазин в Instagram; следователь майор Сейтказиев А.",
    "facts": "С 3 по 28 января 2026 г. 14 потерпевших перевели предоплату за несуществующие iPhone",
    "offence": "Статья 190 часть 4 УК РК, лишение свободы на срок от пяти до десяти лет",
    "assistance_sought": "Регистрационные данные, журналы входов и IP-адреса аккаунта @fake_shop_almaty",
    "persons": "Неустановленное лицо, администратор аккаунта @fake_shop_almaty",
    "purpose": "Установить личность администратора аккаунта и привлечь его к ответственности",
    "requested_by_reasons": "Срок досудебного расследования истекает 15 мая 2026 г.",
    "confidentiality": "Просим не уведомлять владельца аккаунта о запросе",
    "data_custodian": "Meta Platforms, Inc., 1 Hacker Way, Menlo Park, CA 94025, USA",
}
MLA_ITEMS = ("requesting_authority", "investigation_subject", "facts", "offence", "assistance_sought", "persons",
             "purpose", "requested_by_reasons", "confidentiality")
PRESERVATION_ITEMS = ("requesting_authority", "facts", "offence", "assistance_sought", "persons", "data_custodian",
                      "requested_by_reasons")


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"letters-{name}.png"), full_page=True)


def prepare_case(app) -> dict:
    """The case and its two requests, complete, as the officer recorded them (the tracker's own browser test
    covers recording them through the pages)."""
    with app.app_context():
        session = db.session
        officer = session.scalar(select(User).where(User.username == "officer"))
        now = utcnow()
        case = Case(number="269900000000077", title="Фейковый магазин @fake_shop_almaty", offence=CONTENTS["offence"],
                    opened_on=date(2026, 1, 30))
        session.add(case)
        session.flush()

        def code(model, value):
            return session.scalar(select(model.id).where(model.code == value))

        common = CONTENTS | {"direction": "outgoing", "case_id": case.id, "data_period_from": date(2026, 1, 1),
                             "data_period_to": date(2026, 1, 31), "requested_by": date(2026, 4, 30),
                             "follow_up_promised": True}
        preservation = create_request(session, officer, common | {
            "title": "Сохранение данных аккаунта Instagram @fake_shop_almaty",
            "request_type_id": code(RequestType, "preservation_provider"), "partner_id": code(Partner, "meta"),
            "legal_basis_id": code(LegalBasis, "provider-policy")}, now)
        assistance = create_request(session, officer, common | {
            "title": "Правовая помощь Германии: данные сервера магазина @fake_shop_almaty",
            "request_type_id": code(RequestType, "mla_outgoing"), "partner_id": code(Partner, "DE"),
            "legal_basis_id": code(LegalBasis, "budapest"), "follows_id": preservation.id}, now)
        for item in (preservation, assistance):
            add_identifier(session, item, officer, parse_identifier(
                IdentifierKind.ACCOUNT, "https://www.instagram.com/fake_shop_almaty/"), now)
            add_identifier(session, item, officer, parse_identifier(
                IdentifierKind.IP, "95.56.12.34", observed_at=datetime(2026, 1, 5, 14, 3), zone="Asia/Almaty",
                now=now), now)
        session.commit()
        return {"preservation": preservation.id, "assistance": assistance.id,
                "references": (preservation.reference, assistance.reference)}


def approve(app, request_id: int) -> None:
    """The officer sends the request for approval and the head approves it (the tracker's test does it in pages)."""
    with app.app_context():
        item = db.session.get(CooperationRequest, request_id)
        officer = db.session.scalar(select(User).where(User.username == "officer"))
        head = db.session.scalar(select(User).where(User.username == "head"))
        change_status(db.session, item, officer, Status.AWAITING_APPROVAL, utcnow())
        change_status(db.session, item, head, Status.APPROVED, utcnow(), reason="Утверждаю.")
        db.session.commit()


def draft(page, request_id: int, language: str | None = None) -> tuple[str, str]:
    """Draft the request's own letter from its page; returns the letter's number and the .docx text."""
    page.goto(f"/requests/{request_id}")
    page.get_by_test_id("draft-letter").click()
    expect(page.get_by_test_id("letter-gaps")).to_contain_text("В записи есть всё, что нужно для письма")
    if language:
        choice = page.get_by_test_id("letter-choice")
        choice.locator("select[name=language]").select_option(language)
        choice.get_by_role("button").click()
    page.get_by_test_id("draft-submit").click()
    expect(page.locator(".flash-success")).to_contain_text("подготовлено")
    number = page.get_by_test_id("letter-number").inner_text()
    with page.expect_download() as download:
        page.get_by_test_id("letter-download").click()
    document = Document(io.BytesIO(Path(download.value.path()).read_bytes()))
    return number, "\n".join(paragraph.text for paragraph in document.paragraphs)


def assert_every_item(text: str, items: tuple[str, ...], requested_date: bool = True) -> None:
    for name in items:
        assert CONTENTS[name] in text, name
    assert "01.01.2026 – 31.01.2026" in text  # the time period
    assert "instagram:fake_shop_almaty" in text  # the account ...
    assert "95.56.12.34 · 2026-01-05 09:03:00 UTC (Asia/Almaty)" in text  # ... and the IP address with its time
    assert ("30.04.2026" in text) == requested_date  # a preservation asks for no date: it is urgent


def test_an_officer_drafts_signs_and_sends_the_letters_of_a_case(page, live_app):
    ids = prepare_case(live_app)
    log_in(page, "officer", DEMO_PASSWORD)

    # The preservation request to Meta: English, the language Meta accepts.
    number, text = draft(page, ids["preservation"])
    assert re.fullmatch(r"\d{4}/\d+", number)
    assert "REQUEST FOR THE EXPEDITED PRESERVATION OF STORED DATA" in text and number in text
    assert_every_item(text, PRESERVATION_ITEMS, requested_date=False)
    assert "A request for mutual legal assistance to obtain these data will follow." in text
    assert "Meta Platforms, Inc." in text  # the addressee: the provider's legal entity

    # The request for assistance to Germany: in English (no German template), and in Russian on request.
    page.goto(f"/letters/request/{ids['assistance']}/draft")
    expect(page.locator("select[name=language]")).to_have_value("en")
    shot(page, "1-draft-page")
    english_number, english = draft(page, ids["assistance"])
    assert "REQUEST FOR MUTUAL LEGAL ASSISTANCE IN A CRIMINAL MATTER" in english
    assert_every_item(english, MLA_ITEMS)
    assert "Article 25–27" in english
    russian_number, russian = draft(page, ids["assistance"], "ru")
    assert "ЗАПРОС о взаимной правовой помощи по уголовному делу" in russian and russian_number in russian
    assert_every_item(russian, MLA_ITEMS)
    assert len({number, english_number, russian_number}) == 3

    # The printable view of the Russian letter, for a quick look without Word.
    page.get_by_test_id("letter-print").click()
    expect(page.get_by_test_id("letter-sheet")).to_contain_text(CONTENTS["facts"])
    shot(page, "2-printable")
    page.go_back()

    # Signed, and sent once the head approved the request, under its number.
    approve(live_app, ids["assistance"])
    page.reload()
    page.get_by_test_id("final-form").locator("input[name=file]").set_input_files(
        {"name": "zapros_germaniya_podpisan.pdf", "mimeType": "application/pdf", "buffer": SIGNED_PDF})
    page.get_by_test_id("final-submit").click()
    expect(page.locator(".flash-success")).to_contain_text("Подписанная версия")
    expect(page.get_by_test_id("letter-files")).to_contain_text("zapros_germaniya_podpisan.pdf")
    send = page.get_by_test_id("send-form")
    send.locator("select[name=channel]").select_option("central_authority")
    send.locator("input[name=partner_reference]").fill("BfJ-II-3-2026-0117")
    send.get_by_test_id("send-submit").click()
    expect(page.locator(".flash-success")).to_contain_text(f"Письмо {russian_number} отмечено как направленное.")
    expect(page.get_by_test_id("letter-state")).to_have_text("Отправлено")

    page.goto(f"/requests/{ids['assistance']}")
    expect(page.locator(".request-badges [data-status]")).to_have_text("Отправлено")
    expect(page.get_by_test_id("request-letters")).to_contain_text(russian_number)
    expect(page.get_by_test_id("documents")).to_contain_text("zapros_germaniya_podpisan.pdf")
    expect(page.get_by_test_id("partner-references")).to_contain_text("BfJ-II-3-2026-0117")

    # The register lists the three letters with their numbers; a filter finds the one sent.
    page.goto("/letters/")
    register = page.get_by_test_id("register")
    for drafted in (number, english_number, russian_number):
        expect(register).to_contain_text(drafted)
    shot(page, "3-register")
    page.get_by_test_id("register-filters").locator("select[name=state]").select_option("sent")
    page.get_by_test_id("register-filters").get_by_role("button", name="Применить").click()
    expect(page.get_by_test_id("register-row")).to_have_count(1)
    expect(page.get_by_test_id("register-row")).to_contain_text(russian_number)
