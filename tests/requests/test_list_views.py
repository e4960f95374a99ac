"""The request list page: filters in the URL, pages, sorting, bad input, who sees what, and its cost."""

import re
from html import unescape

import pytest
from flask_babel import force_locale

from coop.extensions import db
from coop.labels import status_label
from coop.models import Direction, PartnerKind, Role, Status
from tests.factories import make_case, make_partner, make_request, make_request_type, make_user


def references(html: str) -> list[str]:
    """The references of the rows of the list, in order."""
    return re.findall(r'data-reference="([^"]+)"', html)


@pytest.fixture
def officer(app):
    return make_user(db.session, "officer")


def test_the_list_shows_requests_with_their_partner_type_and_translated_status(app, client, auth, officer):
    meta = make_partner(db.session, "meta", name_ru="Meta", name_en="Meta Platforms")
    make_request(db.session, reference="OUT-2026-00001", title="Сохранение данных @shop_kz", partner=meta,
                 status=Status.AWAITING_APPROVAL, officers=[officer])
    auth.login("officer")
    html = client.get("/requests/").get_data(as_text=True)
    assert references(html) == ["OUT-2026-00001"]
    assert "Сохранение данных @shop_kz" in html
    assert 'data-status="awaiting_approval"' in html
    with app.test_request_context(), force_locale("ru"):
        assert f">{status_label(Status.AWAITING_APPROVAL)}</span>" in html
    assert "Найдено запросов: 1" in html


def test_filters_and_search_narrow_the_list_and_stay_in_the_form(client, auth, officer):
    turkey = make_partner(db.session, "TR", PartnerKind.COUNTRY, name_ru="Турция")
    make_request(db.session, reference="TR-SENT", partner=turkey, status=Status.SENT, title="Колл-центр")
    make_request(db.session, reference="TR-DRAFT", partner=turkey, status=Status.DRAFT, title="Колл-центр")
    make_request(db.session, reference="META", status=Status.SENT, title="Instagram")
    auth.login("officer")
    html = client.get("/requests/?partner=TR&status=sent&text=колл").get_data(as_text=True)
    assert references(html) == ["TR-SENT"]
    assert re.search(r'<option value="TR"\s+selected', html)
    assert re.search(r'<option value="sent"\s+selected', html)
    assert 'name="text" value="колл"' in html
    assert "Сбросить" in html


def test_page_links_keep_the_filters(client, auth, officer):
    for number in range(30):
        make_request(db.session, reference=f"R{number:03d}", status=Status.SENT)
    make_request(db.session, reference="DRAFT", status=Status.DRAFT)
    auth.login("officer")
    html = unescape(client.get("/requests/?status=sent&per_page=25&sort=reference").get_data(as_text=True))
    assert references(html) == [f"R{number:03d}" for number in range(25)]
    next_link = re.search(r'href="(/requests/\?[^"]*[?&]page=2(?:&[^"]*)?)"', html).group(1)
    assert "status=sent" in next_link and "per_page=25" in next_link and "sort=reference" in next_link
    second = client.get(next_link).get_data(as_text=True)
    assert references(second) == [f"R{number:03d}" for number in range(25, 30)]


def test_sort_headers_reverse_the_order_and_keep_the_filters(client, auth, officer):
    make_request(db.session, reference="A", status=Status.SENT)
    make_request(db.session, reference="B", status=Status.SENT)
    auth.login("officer")
    html = unescape(client.get("/requests/?status=sent&sort=reference").get_data(as_text=True))
    assert references(html) == ["A", "B"]
    link = re.search(r'href="([^"]+)"[^>]*data-sort="reference"', html).group(1)
    assert "sort=-reference" in link and "status=sent" in link
    assert references(client.get(link).get_data(as_text=True)) == ["B", "A"]


@pytest.mark.parametrize(("query", "field_label"), [
    ("status=lost", "Статус"),
    ("direction=sideways", "Направление"),
    ("created_from=31.12.2026", "Создан с"),
    ("case=2099-NOPE", "Дело"),
    ("partner=nobody", "Партнёр"),
    ("sort=password_hash", "Сортировка"),
    ("page=-4", "Страница"),
    ("officer=99999999999999999999", "Сотрудник"),
    ("created_from=9999-12-31", "Создан с"),
    ("created_to=0001-01-01", "Создан по"),
    ("sent_from=0001-01-01", "Отправлен с"),
    ("sent_to=9999-12-31", "Отправлен по"),
    ("text=%1b", "Поиск"),
    ("text=fraud%01", "Поиск"),
    ("partner=meta%07", "Партнёр"),
    ("case=%1f2026", "Дело"),
    ("request_type=%7f", "Вид"),
])
def test_a_bad_filter_is_explained_not_a_server_error(client, auth, officer, query, field_label):
    make_request(db.session, reference="STILL-SHOWN")
    auth.login("officer")
    response = client.get(f"/requests/?{query}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-testid="filter-problems"' in html
    assert field_label in html.split('data-testid="filter-problems"')[1].split("</div>")[0]
    assert references(html) == ["STILL-SHOWN"]  # the bad filter is left out, the list still works


def test_a_page_past_the_end_offers_the_first_page(client, auth, officer):
    make_request(db.session, reference="ONLY")
    auth.login("officer")
    html = client.get("/requests/?page=9").get_data(as_text=True)
    assert references(html) == []
    assert "Вернуться на первую страницу" in html


def test_an_empty_list_says_so_and_offers_a_new_request(client, auth, officer):
    auth.login("officer")
    html = client.get("/requests/").get_data(as_text=True)
    assert 'data-testid="empty-state"' in html
    assert "Запросов пока нет." in html
    assert 'href="/requests/new"' in html
    html = client.get("/requests/?status=closed").get_data(as_text=True)
    assert "Нет запросов, подходящих под эти фильтры." in html


def test_restricted_requests_are_hidden_from_officers_not_assigned(client, auth, officer):
    other = make_user(db.session, "other")
    make_request(db.session, reference="RESTRICTED", restricted=True, officers=[other], title="Несовершеннолетняя")
    make_request(db.session, reference="PUBLIC", title="Несовершеннолетняя тоже")
    auth.login("officer")
    assert references(client.get("/requests/?text=несовершеннолетняя").get_data(as_text=True)) == ["PUBLIC"]
    auth.logout()
    auth.login("other")
    assert sorted(references(client.get("/requests/?text=несовершеннолетняя").get_data(as_text=True))) == [
        "PUBLIC", "RESTRICTED"]


def test_admins_read_the_list_but_are_not_offered_new_requests(client, auth):
    make_user(db.session, "admin", Role.ADMIN)
    make_request(db.session, reference="SEEN", restricted=True)
    auth.login("admin")
    html = client.get("/requests/").get_data(as_text=True)
    assert references(html) == ["SEEN"]
    assert 'href="/requests/new"' not in html


def test_the_case_filter_links_to_the_case(client, auth, officer):
    case = make_case(db.session, "2026-7777")
    make_request(db.session, reference="IN-CASE", case=case)
    make_request(db.session, reference="OUTSIDE")
    auth.login("officer")
    html = client.get(f"/requests/?case={case.number}").get_data(as_text=True)
    assert references(html) == ["IN-CASE"]
    assert f'href="/cases/{case.id}"' in html


def test_the_list_costs_the_same_number_of_queries_for_5_or_40_rows(client, auth, officer, count_queries):
    incoming = make_request_type(db.session, "mla_incoming", Direction.INCOMING)
    colleague = make_user(db.session, "colleague")
    case = make_case(db.session)

    def add(count: int) -> None:
        for number in range(count):
            partner = make_partner(db.session, f"p{number % 7}", PartnerKind.COUNTRY)
            make_request(db.session, Direction.INCOMING, partner=partner, request_type=incoming,
                         officers=[officer, colleague], case=case)

    auth.login("officer")
    add(5)
    with count_queries() as few:
        assert len(references(client.get("/requests/").get_data(as_text=True))) == 5
    add(35)
    with count_queries() as many:
        assert len(references(client.get("/requests/").get_data(as_text=True))) == 40
    assert many.count == few.count
    assert many.count <= 16  # the page, its filters' choices, the navigation's counters and the second-factor check
