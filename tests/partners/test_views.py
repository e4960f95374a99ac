"""The partner list and page, the legal bases and request types, as every role sees them."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from coop.extensions import db
from coop.models import (
    ContactRole,
    LegalBasis,
    Partner,
    PartnerContact,
    PartnerInstrument,
    PartnerKind,
    Role,
    Status,
    User,
)
from tests.factories import make_legal_basis, make_partner, make_request, make_request_type

SENT = datetime(2026, 2, 2, 6, 0, tzinfo=UTC)


def _germany():
    return make_partner(db.session, "DE", kind=PartnerKind.COUNTRY, name_ru="Германия", name_en="Germany",
                        name_kk="Германия", time_zone="Europe/Berlin", weekend_days="6,7")


def _kazakh_named():
    return make_partner(db.session, "KZ", kind=PartnerKind.COUNTRY, name_ru="Казахстан", name_en="Kazakhstan",
                        name_kk="Қазақстан")


def test_the_list_shows_countries_and_providers_with_their_open_requests(client, auth, people):
    meta = make_partner(db.session, "meta", name_ru="Meta", name_en="Meta")
    germany = _germany()
    for status in (Status.SENT, Status.ACKNOWLEDGED, Status.CLOSED):
        make_request(db.session, partner=meta, status=status)
    make_request(db.session, partner=germany, status=Status.SENT)
    auth.login("officer")

    page = client.get("/partners/").get_data(as_text=True)

    assert "Германия" in page and "Meta" in page
    assert '<span class="badge badge-info">2</span>' in page  # Meta: the closed request is not open
    assert '<span class="badge badge-info">1</span>' in page


def test_the_partners_menu_entry_is_shown_to_every_role(client, auth, people):
    for username in ("officer", "head", "admin"):
        auth.login(username)
        assert 'href="/partners/" aria-current="page"' in client.get("/partners/legal-bases").get_data(as_text=True)
        auth.logout()


def test_tabs_separate_countries_and_providers(client, auth, people):
    make_partner(db.session, "meta", name_ru="Meta", name_en="Meta")
    _germany()
    auth.login("officer")

    providers = client.get("/partners/?kind=provider").get_data(as_text=True)
    countries = client.get("/partners/?kind=country").get_data(as_text=True)

    assert "Meta" in providers and "Германия" not in providers
    assert "Германия" in countries and ">Meta<" not in countries


@pytest.mark.parametrize("text", ["герм", "ГЕРМАНИЯ", "Germ", "germany", "de", "DE"])
def test_search_finds_a_country_by_code_or_name_in_any_case_and_language(client, auth, people, text):
    _germany()
    make_partner(db.session, "meta", name_ru="Meta", name_en="Meta")
    auth.login("officer")

    page = client.get("/partners/", query_string={"q": text}).get_data(as_text=True)

    assert "Германия" in page
    assert ">Meta<" not in page


def test_search_finds_a_kazakh_name(client, auth, people):
    _kazakh_named()
    auth.login("officer")

    assert "Казахстан" in client.get("/partners/", query_string={"q": "қазақ"}).get_data(as_text=True)


def test_search_treats_wildcards_as_text(client, auth, people):
    _germany()
    auth.login("officer")

    page = client.get("/partners/", query_string={"q": "%"}).get_data(as_text=True)

    assert "Германия" not in page
    assert "партнёры не найдены" in page


def test_the_list_is_paginated_and_the_filters_stay_in_the_links(client, auth, people):
    for number in range(60):
        make_partner(db.session, f"provider-{number:02d}", name_ru=f"Провайдер {number:02d}",
                     name_en=f"Provider {number:02d}")
    auth.login("officer")

    first = client.get("/partners/", query_string={"kind": "provider", "q": "провайдер"}).get_data(as_text=True)
    second = client.get("/partners/", query_string={"kind": "provider", "q": "провайдер", "page": 2})

    assert "Провайдер 49" in first and "Провайдер 50" not in first
    assert "kind=provider" in first and "page=2" in first and "q=" in first
    assert "Провайдер 50" in second.get_data(as_text=True)


def test_the_list_runs_the_same_number_of_queries_however_many_partners(client, auth, people, count_queries):
    auth.login("officer")

    def queries_for_list() -> int:
        with count_queries() as counter:
            assert client.get("/partners/").status_code == 200
        return counter.count

    make_request(db.session, partner=make_partner(db.session, "meta"), status=Status.SENT)
    few = queries_for_list()
    for number in range(20):
        make_request(db.session, partner=make_partner(db.session, f"p{number}"), status=Status.SENT)
    assert queries_for_list() == few


def test_the_partner_page_shows_its_attributes(client, auth, people):
    germany = _germany()
    germany.accepted_languages = "de, en"
    germany.channels = "central_authority, interpol"
    germany.contacts.append(PartnerContact(role=ContactRole.POINT_24_7, name="BKA 24/7", email="x@bka.example",
                                           phone="+49 611 550", office_hours="24/7"))
    budapest = make_legal_basis(db.session, "budapest", name_ru="Будапештская конвенция", name_en="Budapest")
    germany.instruments.append(PartnerInstrument(legal_basis=budapest, signed_on=date(2001, 11, 23),
                                                 in_force_on=date(2009, 7, 1)))
    auth.login("officer")

    page = client.get(f"/partners/{germany.id}").get_data(as_text=True)

    for text in ("Германия", "Germany", "Europe/Berlin", "BKA 24/7", "x@bka.example", "+49 611 550",
                 "Будапештская конвенция", "23.11.2001", "01.07.2009", "Интерпол", "Центральный орган"):
        assert text in page, text
    assert "provider-policy" not in page
    assert f"/partners/{germany.id}/edit" not in page  # officers read only


def test_a_provider_page_shows_its_policy(client, auth, people):
    meta = make_partner(db.session, "meta", name_ru="Meta", name_en="Meta", legal_entity="Meta Platforms, Inc.",
                        preservation_days=90, preservation_extension="Одно продление на 90 дней",
                        known_limits="Нет содержимого", request_portal="https://www.facebook.com/records")
    auth.login("officer")

    page = client.get(f"/partners/{meta.id}").get_data(as_text=True)

    assert 'data-testid="provider-policy"' in page
    for text in ("Meta Platforms, Inc.", "Одно продление на 90 дней", "Нет содержимого",
                 'href="https://www.facebook.com/records"'):
        assert text in page


def test_the_partner_page_lists_its_requests_the_user_may_see(client, auth, people):
    meta = make_partner(db.session, "meta")
    request_type = make_request_type(db.session, "direct_disclosure", name_ru="Прямой запрос",
                                     name_en="Direct disclosure")
    make_request(db.session, partner=meta, request_type=request_type, reference="OUT-2026-00017",
                 title="Аккаунт мошенника", status=Status.SENT, sent_at=SENT)
    make_request(db.session, partner=meta, reference="OUT-2026-00099", title="Секретный", restricted=True)
    make_request(db.session, partner=make_partner(db.session, "google"), reference="OUT-2026-00050")
    auth.login("officer")

    page = client.get(f"/partners/{meta.id}").get_data(as_text=True)

    assert "OUT-2026-00017" in page and "Аккаунт мошенника" in page and "Прямой запрос" in page
    assert "02.02.2026" in page
    assert "OUT-2026-00099" not in page  # restricted, not assigned to this officer
    assert "OUT-2026-00050" not in page  # another partner's


def test_a_head_sees_restricted_requests_on_the_partner_page(client, auth, people):
    meta = make_partner(db.session, "meta")
    make_request(db.session, partner=meta, reference="OUT-2026-00099", restricted=True)
    auth.login("head")

    assert "OUT-2026-00099" in client.get(f"/partners/{meta.id}").get_data(as_text=True)


def test_the_partner_page_shows_computed_response_times(client, auth, people):
    meta = make_partner(db.session, "meta")
    for days in (3, 5, 7):
        make_request(db.session, partner=meta, status=Status.ANSWERED, sent_at=SENT,
                     acknowledged_at=SENT + timedelta(days=1), answered_at=SENT + timedelta(days=days))
    auth.login("officer")

    page = client.get(f"/partners/{meta.id}").get_data(as_text=True)
    times = page.split('data-testid="response-times"')[1].split("</table>")[0]

    assert "5 дн." in times  # median to answer
    assert "6,6 дн." in times  # 90th percentile: 5 + 0.8 * 2
    assert "1 дн." in times  # to acknowledgement


def test_the_partner_page_has_its_own_requests_pagination(client, auth, people):
    meta = make_partner(db.session, "meta")
    for number in range(30):
        make_request(db.session, partner=meta, reference=f"OUT-2026-{number:05d}",
                     created_at=SENT + timedelta(hours=number))
    auth.login("officer")

    first = client.get(f"/partners/{meta.id}").get_data(as_text=True)
    second = client.get(f"/partners/{meta.id}?page=2").get_data(as_text=True)

    assert "OUT-2026-00029" in first and "OUT-2026-00000" not in first
    assert "OUT-2026-00000" in second
    assert f"/partners/{meta.id}?page=2" in first


def test_an_unknown_partner_is_not_found(client, auth, people):
    auth.login("officer")
    assert client.get("/partners/999").status_code == 404


def test_the_page_follows_the_users_language(client, auth, people):
    germany = _germany()
    officer = db.session.scalar(select(User).where(User.username == "officer"))
    officer.locale = "en"
    db.session.commit()
    auth.login("officer")

    page = client.get(f"/partners/{germany.id}").get_data(as_text=True)

    assert '<h1 data-testid="partner-name">Germany' in page
    assert "Name in Kazakh" in page


@pytest.mark.parametrize("role", [Role.OFFICER, Role.HEAD])
@pytest.mark.parametrize(("method", "url"), [
    ("get", "/partners/new"),
    ("post", "/partners/new"),
    ("get", "/partners/{partner}/edit"),
    ("post", "/partners/{partner}/edit"),
    ("get", "/partners/{partner}/contacts/new"),
    ("post", "/partners/{partner}/contacts/{contact}"),
    ("post", "/partners/{partner}/contacts/{contact}/delete"),
    ("get", "/partners/{partner}/instruments/new"),
    ("post", "/partners/{partner}/instruments/{instrument}/delete"),
    ("get", "/partners/legal-bases/new"),
    ("post", "/partners/legal-bases/{basis}/edit"),
    ("get", "/partners/request-types/new"),
    ("post", "/partners/request-types/{request_type}/edit"),
])
def test_only_administrators_change_reference_data(client, auth, people, role, method, url):
    germany = _germany()
    contact = PartnerContact(role=ContactRole.CENTRAL_AUTHORITY, name="Bundesamt für Justiz")
    basis = make_legal_basis(db.session, "budapest")
    germany.contacts.append(contact)
    germany.instruments.append(PartnerInstrument(legal_basis=basis))
    db.session.flush()
    request_type = make_request_type(db.session)
    auth.login(role.value)

    target = url.format(partner=germany.id, contact=contact.id, instrument=germany.instruments[0].id,
                        basis=basis.id, request_type=request_type.id)
    response = getattr(client, method)(target, data={"name": "changed", "name_ru": "changed"})

    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Partner, germany.id).name_ru == "Германия"
    assert len(db.session.get(Partner, germany.id).contacts) == 1


def test_everyone_reads_the_legal_bases_and_request_types(client, auth, people):
    basis = make_legal_basis(db.session, "un-cybercrime", name_ru="Конвенция ООН", name_en="UN Convention",
                             articles="42 — сохранность")
    germany = _germany()
    germany.instruments.append(PartnerInstrument(legal_basis=basis, signed_on=date(2025, 10, 25)))
    make_request_type(db.session, "mla_outgoing", name_ru="Запрос о правовой помощи", name_en="MLA")
    auth.login("officer")

    bases = client.get("/partners/legal-bases").get_data(as_text=True)
    detail = client.get(f"/partners/legal-bases/{basis.id}").get_data(as_text=True)
    types = client.get("/partners/request-types").get_data(as_text=True)

    assert "Конвенция ООН" in bases and "/partners/legal-bases/new" not in bases
    assert "42 — сохранность" in detail and "Германия" in detail and "25.10.2025" in detail
    assert "Запрос о правовой помощи" in types and "/edit" not in types


def test_an_unknown_legal_basis_is_not_found(client, auth, people):
    auth.login("officer")
    assert client.get("/partners/legal-bases/999").status_code == 404
    assert db.session.scalar(select(LegalBasis.id)) is None
