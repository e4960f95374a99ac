"""Case pages: the list with its counts, creating and editing with bad input and conflicts, and a case's page."""

import re
from datetime import date, timedelta

import pytest

from coop.extensions import db
from coop.models import Case, CaseStatus, Identifier, IdentifierKind, PartnerKind, Role, Status
from tests.factories import make_case, make_partner, make_request, make_user


@pytest.fixture
def officer(app):
    return make_user(db.session, "officer", full_name="Айдар Сейтказиев")


def case_form(**overrides) -> dict:
    form = {"number": "257500031000512", "title": "Фейковый магазин в Instagram",
            "offence": "ст. 190 ч. 4 УК РК — мошенничество", "summary": "Предоплата за несуществующие товары.",
            "responsible_officer_id": "", "opened_on": "2026-03-01", "status": "open"}
    form.update(overrides)
    return form


# --- the list ---------------------------------------------------------------------------------------------

def test_the_list_counts_open_and_all_requests_of_each_case(client, auth, officer):
    busy = make_case(db.session, "2026-0001", title="Колл-центр")
    make_case(db.session, "2026-0002")
    make_request(db.session, case=busy, status=Status.SENT)
    make_request(db.session, case=busy, status=Status.CLOSED)
    make_request(db.session, case=busy, status=Status.IN_EXECUTION)
    auth.login("officer")
    html = client.get("/cases/").get_data(as_text=True)
    row = html.split("2026-0001")[1].split("</tr>")[0]
    assert re.findall(r'<td class="num">(\d+)</td>', row) == ["2", "3"]
    quiet_row = html.split("2026-0002")[1].split("</tr>")[0]
    assert re.findall(r'<td class="num">(\d+)</td>', quiet_row) == ["0", "0"]


def test_the_list_does_not_count_requests_the_officer_cannot_see(client, auth, officer):
    case = make_case(db.session, "2026-0001")
    make_request(db.session, case=case, restricted=True)
    make_request(db.session, case=case)
    auth.login("officer")
    row = client.get("/cases/").get_data(as_text=True).split("2026-0001")[1].split("</tr>")[0]
    assert re.findall(r'<td class="num">(\d+)</td>', row) == ["1", "1"]


def test_the_list_is_searched_by_number_title_and_offence_and_filtered(client, auth, officer):
    make_case(db.session, "2026-0001", title="Колл-центр «Служба безопасности»", responsible_officer=officer)
    make_case(db.session, "2025-0002", title="Фишинг", offence="ст. 205 УК РК", status=CaseStatus.CLOSED)
    auth.login("officer")
    assert "2025-0002" not in client.get("/cases/?text=колл-центр").get_data(as_text=True)
    assert "2026-0001" not in client.get("/cases/?text=2025-00").get_data(as_text=True)
    assert "2025-0002" in client.get("/cases/?text=ст. 205").get_data(as_text=True)
    closed = client.get("/cases/?status=closed").get_data(as_text=True)
    assert "2025-0002" in closed and "2026-0001" not in closed
    mine = client.get(f"/cases/?officer={officer.id}").get_data(as_text=True)
    assert "2026-0001" in mine and "2025-0002" not in mine


@pytest.mark.parametrize("query", ["status=lost", "officer=bob", "officer=²", "officer=99999999999"])
def test_a_bad_case_filter_is_explained(client, auth, officer, query):
    make_case(db.session, "2026-0001")
    auth.login("officer")
    response = client.get(f"/cases/?{query}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "фильтр не применён" in html
    assert "2026-0001" in html


def test_an_empty_list_says_so(client, auth, officer):
    auth.login("officer")
    assert "Дел пока нет." in client.get("/cases/").get_data(as_text=True)


# --- creating ---------------------------------------------------------------------------------------------

def test_an_officer_creates_a_case(client, auth, officer):
    auth.login("officer")
    form = client.get("/cases/new").get_data(as_text=True)
    assert re.search(rf'<option selected value="{officer.id}">|<option value="{officer.id}" selected', form)
    response = client.post("/cases/new", data=case_form(responsible_officer_id=str(officer.id)))
    stored = db.session.scalar(db.select(Case))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/cases/{stored.id}")
    assert (stored.number, stored.responsible_officer_id, stored.opened_on) == (
        "257500031000512", officer.id, date(2026, 3, 1))
    assert "Дело 257500031000512 создано." in client.get(f"/cases/{stored.id}").get_data(as_text=True)


@pytest.mark.parametrize(("overrides", "message"), [
    ({"number": ""}, "Обязательное поле."),
    ({"title": "  "}, "Обязательное поле."),
    ({"number": "x" * 65}, "64"),
    ({"opened_on": "01.03.2026"}, "Неверное значение даты"),
    ({"opened_on": (date.today() + timedelta(days=3)).isoformat()}, "Дело не может быть открыто в будущем."),
    ({"responsible_officer_id": "999"}, "Неверный вариант."),
    ({"status": "lost"}, "Неверный вариант."),
])
def test_bad_input_is_refused_field_by_field_and_kept(client, auth, officer, overrides, message):
    auth.login("officer")
    response = client.post("/cases/new", data=case_form(**overrides))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html
    assert 'class="error"' in html
    assert "Фейковый магазин в Instagram" in html or overrides.get("title")
    assert db.session.scalar(db.select(Case)) is None


@pytest.mark.parametrize("number", ["257500031000512", " 257500031000512 ", "257500031000512".upper()])
def test_a_case_number_is_unique(client, auth, officer, number):
    make_case(db.session, "257500031000512")
    auth.login("officer")
    response = client.post("/cases/new", data=case_form(number=number))
    assert response.status_code == 400
    assert "Дело с таким номером уже существует." in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Case.id))) == 1


def test_admins_do_not_create_or_edit_cases(client, auth):
    make_user(db.session, "admin", Role.ADMIN)
    case = make_case(db.session)
    auth.login("admin")
    assert client.get("/cases/new").status_code == 403
    assert client.post("/cases/new", data=case_form()).status_code == 403
    assert client.post(f"/cases/{case.id}/edit", data=case_form(version="1")).status_code == 403
    assert client.get(f"/cases/{case.id}").status_code == 200


# --- editing ----------------------------------------------------------------------------------------------

def test_an_officer_edits_a_case_and_its_version_moves_on(client, auth, officer):
    case = make_case(db.session, "2026-0001", title="Старое название")
    auth.login("officer")
    form = client.get(f"/cases/{case.id}/edit").get_data(as_text=True)
    assert 'name="version" type="hidden" value="1"' in form
    response = client.post(f"/cases/{case.id}/edit", data=case_form(number="2026-0001", title="Новое название",
                                                                      status="closed", version="1"))
    assert response.status_code == 302
    db.session.expire_all()
    stored = db.session.get(Case, case.id)
    assert (stored.title, stored.status, stored.version) == ("Новое название", CaseStatus.CLOSED, 2)


def test_a_stale_edit_shows_the_stored_version_and_keeps_the_users_input(client, auth, officer):
    case = make_case(db.session, "2026-0001", title="Исходное")
    case.version = 2
    case.title = "Сохранено коллегой"
    auth.login("officer")
    response = client.post(f"/cases/{case.id}/edit", data=case_form(number="2026-0001", title="Моя правка",
                                                                      version="1"))
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Пока вы редактировали дело, его сохранил другой пользователь." in html
    assert "Сохранено коллегой" in html.split('data-testid="stored-version"')[1]
    assert 'value="Моя правка"' in html
    assert 'name="version" type="hidden" value="2"' in html
    db.session.expire_all()
    assert db.session.get(Case, case.id).title == "Сохранено коллегой"
    # Saving again, having seen the other version, goes through.
    again = client.post(f"/cases/{case.id}/edit", data=case_form(number="2026-0001", title="Моя правка",
                                                                   version="2"))
    assert again.status_code == 302
    db.session.expire_all()
    assert (db.session.get(Case, case.id).title, db.session.get(Case, case.id).version) == ("Моя правка", 3)


def test_an_edit_cannot_take_another_cases_number(client, auth, officer):
    make_case(db.session, "2026-0001")
    case = make_case(db.session, "2026-0002")
    auth.login("officer")
    response = client.post(f"/cases/{case.id}/edit", data=case_form(number="2026-0001", version="1"))
    assert response.status_code == 400
    assert "Дело с таким номером уже существует." in response.get_data(as_text=True)


@pytest.mark.parametrize("version", ["", "abc", "²"])
def test_an_edit_without_a_version_is_refused(client, auth, officer, version):
    case = make_case(db.session, "2026-0001")
    auth.login("officer")
    assert client.post(f"/cases/{case.id}/edit", data=case_form(number="2026-0001", version=version)).status_code \
        == 400


def test_an_unknown_case_is_not_found(client, auth, officer):
    auth.login("officer")
    assert client.get("/cases/999").status_code == 404
    assert client.get("/cases/999/edit").status_code == 404


# --- a case's page ----------------------------------------------------------------------------------------

def test_a_case_page_shows_all_its_requests_grouped_by_partner_with_their_links(client, auth, officer):
    case = make_case(db.session, "2026-0001", title="Фейковый магазин", responsible_officer=officer)
    meta = make_partner(db.session, "meta", name_ru="Meta")
    usa = make_partner(db.session, "US", PartnerKind.COUNTRY, name_ru="США")
    preservation = make_request(db.session, reference="OUT-1", partner=meta, case=case, status=Status.ACKNOWLEDGED)
    make_request(db.session, reference="OUT-2", partner=usa, case=case, follows=preservation, status=Status.SENT)
    make_request(db.session, reference="OUT-3", partner=meta, case=case, status=Status.DRAFT)
    make_request(db.session, reference="ELSEWHERE", partner=meta)
    auth.login("officer")
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    groups = html.split('data-testid="partner-group"')[1:]
    assert [re.findall(r">(OUT-\d)</a>\s*</td>", group) for group in groups] == [["OUT-1", "OUT-3"], ["OUT-2"]]
    assert "ELSEWHERE" not in html
    assert "продолжает" in groups[1] and "OUT-1" in groups[1]
    assert "продолжен запросом" in groups[0]
    assert f"/requests/new?direction=outgoing&amp;case_id={case.id}" in html
    assert f"/requests/new?direction=incoming&amp;case_id={case.id}" in html
    stats = html.split('data-testid="case-stats"')[1]
    assert re.findall(r'stat-value">(\d+)<', stats) == ["3", "3", "2"]


def test_a_case_page_hides_requests_the_officer_cannot_see(client, auth, officer):
    case = make_case(db.session)
    make_request(db.session, reference="SECRET", case=case, restricted=True)
    make_request(db.session, reference="OPEN", case=case)
    auth.login("officer")
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "OPEN" in html and "SECRET" not in html


def test_a_case_page_shows_identifiers_named_in_several_requests_and_in_other_cases(client, auth, officer):
    case, other_case = make_case(db.session, "2026-0001"), make_case(db.session, "2026-0099")
    first = make_request(db.session, reference="FIRST", case=case)
    second = make_request(db.session, reference="SECOND", case=case)
    third = make_request(db.session, reference="THIRD", case=other_case)
    for request in (first, second, third):
        request.identifiers.append(Identifier(kind=IdentifierKind.PHONE, value="+7 701 123 45 67",
                                              normalized="+77011234567"))
    first.identifiers.append(Identifier(kind=IdentifierKind.EMAIL, value="only@once.kz", normalized="only@once.kz"))
    auth.login("officer")
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    shared = html.split('data-testid="shared-identifiers"')[1].split("</table>")[0]
    assert "+7 701 123 45 67" in shared and "FIRST" in shared and "SECOND" in shared
    assert "only@once.kz" not in shared
    elsewhere = html.split('data-testid="identifiers-elsewhere"')[1].split("</table>")[0]
    assert "THIRD" in elsewhere and "2026-0099" in elsewhere


def test_an_empty_case_offers_the_first_request(client, auth, officer):
    case = make_case(db.session)
    auth.login("officer")
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "По этому делу запросов пока нет." in html
