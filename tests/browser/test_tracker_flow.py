"""The tracker end to end, in the browser: a case, a preservation to Meta and an assistance request to the USA,
the head's approval, sending with the partner's reference, the answer with its document, closing."""

import re

from playwright.sync_api import expect

from coop.demo import DEMO_PASSWORD
from coop.models import Status
from tests.browser.conftest import CHROMIUM_ARGS, SCREENSHOTS, log_in, move, status_labels  # noqa: F401

CASE_NUMBER = "269900000000042"
ANSWER_PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"flow-{name}.png"), full_page=True)


def test_an_officer_takes_a_case_from_first_request_to_closed_answer(page, browser, live_server, live_app):
    labels = status_labels(live_app, "ru")
    log_in(page, "officer", DEMO_PASSWORD)

    # 1. The case.
    page.get_by_role("link", name="Дела", exact=True).click()
    page.get_by_role("link", name="Новое дело").click()
    page.fill("input[name=number]", CASE_NUMBER)
    page.fill("input[name=title]", "Фейковый магазин в Instagram @fake_shop_almaty")
    page.fill("input[name=offence]", "ст. 190 ч. 2 п. 4 УК РК — мошенничество с использованием ИТ")
    page.fill("textarea[name=summary]", "Предоплата за несуществующие iPhone, 14 потерпевших.")
    page.get_by_role("button", name="Сохранить").click()
    expect(page.locator(".flash-success")).to_contain_text(f"Дело {CASE_NUMBER} создано.")
    expect(page.locator("h1")).to_have_text(f"Дело {CASE_NUMBER}")
    expect(page.get_by_test_id("case-props")).to_contain_text("Айдар Сейтказиев")
    case_url = page.url

    # 2. A preservation request to Meta for the Instagram account, drafted from the case's page.
    page.get_by_test_id("new-outgoing").click()
    form = page.get_by_test_id("request-form")
    expect(form.locator("input[name=case_number]")).to_have_value(CASE_NUMBER)
    form.locator("input[name=title]").fill("Сохранение данных аккаунта Instagram @fake_shop_almaty")
    form.locator("select[name=request_type_id]").select_option(label="Запрос провайдеру о сохранении данных")
    form.locator("select[name=partner_id]").select_option(label="Meta (Facebook, Instagram, Messenger)")
    form.locator("textarea[name=assistance_sought]").fill("Сохранить регистрационные данные и журналы входов.")
    form.locator("textarea[name=data_custodian]").fill("Meta Platforms, Inc., Менло-Парк, США")
    form.locator("input[name=follow_up_promised]").check()
    page.get_by_test_id("save-request").click()
    expect(page.locator(".flash-success")).to_be_visible()
    preservation = page.get_by_test_id("reference").inner_text()
    assert re.fullmatch(r"OUT-\d{4}-\d{5}", preservation)
    expect(page.locator(".request-badges [data-status]")).to_have_text(labels[Status.DRAFT])
    expect(page.get_by_test_id("request-props")).to_contain_text(CASE_NUMBER)

    page.locator("details:has([data-testid=identifier-form]) > summary").click()
    identifier = page.get_by_test_id("identifier-form")
    identifier.locator("select[name=kind]").select_option("account")
    identifier.locator("input[name=value]").fill("https://www.instagram.com/fake_shop_almaty/")
    identifier.locator("button[type=submit]").click()
    expect(page.get_by_test_id("identifiers")).to_contain_text("instagram:fake_shop_almaty")
    shot(page, "1-preservation")

    # 3. The assistance request to the United States for the same case, following the preservation.
    page.goto(case_url)
    page.get_by_test_id("new-outgoing").click()
    form = page.get_by_test_id("request-form")
    form.locator("input[name=title]").fill("Правовая помощь США: содержимое аккаунта @fake_shop_almaty")
    form.locator("select[name=request_type_id]").select_option(label="Запрос о правовой помощи (исходящий)")
    form.locator("select[name=partner_id]").select_option(label="Соединенные Штаты")
    form.locator("input[name=follows_reference]").fill(preservation)
    form.locator("textarea[name=assistance_sought]").fill("Получить содержимое переписки аккаунта у Meta.")
    page.get_by_test_id("save-request").click()
    expect(page.locator(".flash-success")).to_be_visible()
    assistance = page.get_by_test_id("reference").inner_text()
    request_url = page.url
    expect(page.get_by_test_id("request-props")).to_contain_text(preservation)
    expect(page.get_by_test_id("request-props")).to_contain_text("Соединенные Штаты")

    # 4. Sent for approval; the head approves it in a browser of her own.
    move(page, Status.AWAITING_APPROVAL)
    expect(page.locator(".request-badges [data-status]")).to_have_text(labels[Status.AWAITING_APPROVAL])
    expect(page.get_by_test_id("transition-form").locator(f"option[value={Status.APPROVED.value}]")).to_have_count(0)

    head_context = browser.new_context(base_url=live_server, locale="ru-RU", viewport={"width": 1366, "height": 860})
    head = head_context.new_page()
    head.set_default_timeout(10_000)
    try:
        log_in(head, "head", DEMO_PASSWORD)
        approvals = head.get_by_test_id("approvals")
        expect(approvals).to_contain_text(assistance)
        shot(head, "2-head-home")
        approvals.get_by_role("link", name=assistance).click()
        move(head, Status.APPROVED, reason="Утверждаю. Направить через центральный орган.")
        expect(head.locator(".request-badges [data-status]")).to_have_text(labels[Status.APPROVED])
    finally:
        head_context.close()

    # 5. Sent, with the reference the US central authority gave it.
    page.goto(request_url)
    expect(page.locator(".request-badges [data-status]")).to_have_text(labels[Status.APPROVED])
    move(page, Status.SENT, channel="central_authority", partner_reference="CRM-182-77815")
    expect(page.locator(".request-badges [data-status]")).to_have_text(labels[Status.SENT])
    expect(page.get_by_test_id("partner-references")).to_contain_text("CRM-182-77815")

    # 6. The answer arrives, with its document.
    move(page, Status.ANSWERED, reason="Получены сведения о регистрации аккаунта и журналы входов.",
         file={"name": "otvet_ssha.pdf", "mimeType": "application/pdf", "buffer": ANSWER_PDF})
    expect(page.locator(".request-badges [data-status]")).to_have_text(labels[Status.ANSWERED])
    expect(page.get_by_test_id("documents")).to_contain_text("otvet_ssha.pdf")
    shot(page, "3-answered")

    # 7. Closed.
    move(page, Status.CLOSED, reason="Сведения приобщены к делу.")
    expect(page.locator(".request-badges [data-status]")).to_have_text(labels[Status.CLOSED])
    assert page.get_by_test_id("transition-form").count() == 0 or \
        page.get_by_test_id("transition-form").locator("option").count() == 0

    # 8. The case's page shows both requests, partner by partner, with the follow-up link.
    page.goto(case_url)
    meta = page.locator("[data-testid=partner-group][data-partner=meta]")
    usa = page.locator("[data-testid=partner-group][data-partner=US]")
    expect(meta).to_contain_text(preservation)
    expect(meta.locator("[data-status]")).to_have_text(labels[Status.DRAFT])
    expect(usa).to_contain_text(assistance)
    expect(usa.locator("[data-status]")).to_have_text(labels[Status.CLOSED])
    expect(usa).to_contain_text(f"продолжает {preservation}")
    expect(meta).to_contain_text(f"продолжен запросом {assistance}")
    shot(page, "4-case")

    # 9. And the list, filtered by the case, finds the two of them.
    page.goto("/requests/")
    page.get_by_test_id("request-filters").locator("input[name=case]").fill(CASE_NUMBER)
    page.get_by_test_id("request-filters").get_by_role("button", name="Применить").click()
    expect(page.get_by_test_id("result-count")).to_have_text("Найдено запросов: 2")
