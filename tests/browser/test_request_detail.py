"""A request's page in the browser: an officer works a request from creation to sending, a head approves."""

from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from coop.demo import DEMO_PASSWORD
from coop.domain.identifiers import parse_identifier
from coop.domain.requests import add_identifier, add_note, change_status, create_request
from coop.extensions import db
from coop.models import (
    Case,
    Direction,
    IdentifierKind,
    LegalBasis,
    LegalBasisKind,
    Partner,
    PartnerKind,
    RequestType,
    Status,
    User,
    utcnow,
)
from tests.browser.conftest import SCREENSHOTS, log_in


def _find_or_add(session, model, key: dict, **fields):
    found = session.scalar(select(model).filter_by(**key))
    if found is None:
        found = model(**key, **fields)
        session.add(found)
        session.flush()
    return found


@pytest.fixture
def worked_request(live_app):
    """A preservation request to Meta with identifiers and history, and an earlier request naming the same account."""
    with live_app.app_context():
        session = db.session
        officer = session.scalar(select(User).where(User.username == "officer"))
        colleague = session.scalar(select(User).where(User.username == "a.karimova"))
        meta = _find_or_add(session, Partner, {"code": "meta"}, kind=PartnerKind.PROVIDER, name_ru="Meta Platforms",
                            name_en="Meta Platforms", legal_entity="Meta Platforms, Inc.")
        preservation = _find_or_add(session, RequestType, {"code": "preservation_provider"},
                                    direction=Direction.OUTGOING, partner_kind=PartnerKind.PROVIDER,
                                    is_preservation=True, name_ru="Сохранение данных провайдером",
                                    name_en="Preservation by a provider")
        policy = _find_or_add(session, LegalBasis, {"code": "provider-policy"}, kind=LegalBasisKind.PROVIDER_POLICY,
                              name_ru="Политика провайдера", name_en="Provider policy")
        case = _find_or_add(session, Case, {"number": "252500031000777"},
                            title="Мошенничество с предоплатой в Instagram", offence="ст. 190 ч. 4 УК РК")
        session.flush()
        now = utcnow()
        earlier = create_request(session, colleague, {
            "direction": Direction.OUTGOING, "title": "Данные абонента @fake_shop_kz",
            "request_type_id": preservation.id, "partner_id": meta.id, "legal_basis_id": policy.id,
            "case_id": case.id}, now - timedelta(days=20))
        add_identifier(session, earlier, colleague,
                       parse_identifier(IdentifierKind.ACCOUNT, "@fake_shop_kz", platform="instagram"), now)
        request = create_request(session, officer, {
            "direction": Direction.OUTGOING, "title": "Сохранение данных аккаунта @fake_shop_kz",
            "request_type_id": preservation.id, "partner_id": meta.id, "legal_basis_id": policy.id,
            "case_id": case.id, "requesting_authority": "Департамент по противодействию киберпреступности МВД РК",
            "facts": "С января 2026 года аккаунт принимал предоплату за несуществующие товары; пострадали 40 человек.",
            "offence": "Мошенничество, ст. 190 ч. 4 УК РК: лишение свободы от 5 до 10 лет.",
            "assistance_sought": "Сохранить регистрационные данные, IP-журналы входов и переписку аккаунта.",
            "data_custodian": "Meta Platforms, Inc., Menlo Park, California",
            "follow_up_promised": True, "officers": [colleague]}, now - timedelta(days=2))
        for kind, value, extra in (
            (IdentifierKind.ACCOUNT, "https://t.me/fake_shop_kz_bot", {}),
            (IdentifierKind.PHONE, "8 701 123 45 67", {}),
            (IdentifierKind.IP, "185.48.176.9:51234", {"observed_at": datetime(2026, 2, 14, 21, 3, 17),
                                                       "zone": "Asia/Almaty"}),
        ):
            add_identifier(session, request, officer, parse_identifier(kind, value, **extra), now - timedelta(days=1))
        add_note(session, request, officer, "Следователь просит успеть до истечения 90 дней хранения у Meta.",
                 now - timedelta(hours=5))
        change_status(session, request, officer, Status.AWAITING_APPROVAL, now - timedelta(hours=3))
        session.commit()
        ids = {"request_id": request.id, "reference": request.reference, "earlier": earlier.reference,
               "type_id": str(preservation.id), "partner_id": str(meta.id)}
        session.remove()
    return ids


def test_an_officer_adds_an_identifier_and_sees_it_named_elsewhere_then_a_head_approves(page, worked_request):
    request_id, reference, earlier_reference = (worked_request[key] for key in ("request_id", "reference", "earlier"))
    log_in(page, "officer", DEMO_PASSWORD)
    page.goto(f"/requests/{request_id}")
    expect(page.get_by_test_id("reference")).to_have_text(reference)
    expect(page.locator(".request-badges")).to_contain_text("На утверждении у начальника")
    expect(page.get_by_test_id("checklist")).to_contain_text("Краткое изложение фактов")
    expect(page.locator(".flash-warning").first).to_contain_text("только начальник")
    page.screenshot(path=str(SCREENSHOTS / "request-detail-officer.png"), full_page=True)

    # A bad phone number first: a clear message, the input kept.
    page.get_by_text("Добавить идентификатор").click()
    page.select_option("select[name=kind]", "phone")
    expect(page.locator("select[name=platform]")).to_be_hidden()
    page.fill("input[name=value]", "12345")
    page.get_by_test_id("identifier-form").get_by_role("button", name="Добавить").click()
    expect(page.locator(".field-invalid .error")).to_contain_text("Недопустимый номер телефона")
    expect(page.locator("input[name=value]")).to_have_value("12345")

    # The same Instagram account as an earlier request: shown at once.
    page.select_option("select[name=kind]", "account")
    page.fill("input[name=value]", "@Fake_Shop_KZ")
    page.select_option("select[name=platform]", "instagram")
    page.get_by_test_id("identifier-form").get_by_role("button", name="Добавить").click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.get_by_test_id("duplicate-warning")).to_contain_text(earlier_reference)
    page.screenshot(path=str(SCREENSHOTS / "request-detail-duplicate-identifier.png"), full_page=True)

    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("logout").click()
    log_in(page, "head", DEMO_PASSWORD)
    page.goto(f"/requests/{request_id}")
    page.select_option("select[name=target]", "approved")
    page.fill("textarea[name=reason]", "Основания проверены, можно направлять.")
    page.get_by_test_id("transition-submit").click()
    expect(page.locator(".flash-success")).to_contain_text("Утверждён")
    expect(page.get_by_test_id("timeline")).to_contain_text("Основания проверены")
    page.screenshot(path=str(SCREENSHOTS / "request-detail-approved.png"), full_page=True)


def test_an_officer_creates_a_request_with_a_mistake_first(page, worked_request):
    log_in(page, "officer", DEMO_PASSWORD)
    page.goto("/requests/new")
    page.fill("input[name=title]", "Раскрытие данных абонента")
    page.select_option("select[name=urgency]", "emergency")
    page.get_by_test_id("save-request").click()
    expect(page.locator("#emergency_justification-error")).to_contain_text("Экстренный запрос должен быть обоснован")
    expect(page.locator("input[name=title]")).to_have_value("Раскрытие данных абонента")
    page.screenshot(path=str(SCREENSHOTS / "request-form-errors.png"), full_page=True)
    page.select_option("select[name=request_type_id]", worked_request["type_id"])
    page.select_option("select[name=partner_id]", worked_request["partner_id"])
    page.fill("textarea[name=emergency_justification]", "Угроза жизни: объявление о похищении ребёнка.")
    page.get_by_test_id("save-request").click()
    expect(page.locator(".flash-success")).to_contain_text("создан")
    expect(page.locator(".request-badges")).to_contain_text("Экстренный")
