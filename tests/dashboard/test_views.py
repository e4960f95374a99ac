"""The dashboard's pages and downloads, through the web client."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook

from coop.extensions import db
from coop.models import Direction, PartnerKind, Role, Status, utcnow
from tests.factories import make_partner, make_request, make_request_type, make_user

S = Status


def download(client, url: str):
    # Read the streamed body while the request is still being served, as a real server does.
    return client.get(url, buffered=True)


@pytest.fixture
def department(app):
    session = db.session
    head = make_user(session, "head", Role.HEAD, full_name="Гульнара Ахметова")
    officer = make_user(session, "officer", Role.OFFICER, full_name="Айдар Сейтказиев")
    make_user(session, "admin", Role.ADMIN)
    meta = make_partner(session, "meta", PartnerKind.PROVIDER, name_ru="Мета", name_en="Meta")
    germany = make_partner(session, "DE", PartnerKind.COUNTRY, name_ru="Германия", name_en="Germany")
    recent = utcnow() - timedelta(days=20)
    for days in (2, 4, 9):
        make_request(session, Direction.OUTGOING, S.CLOSED, partner=meta, officers=[officer], sent_at=recent,
                     answered_at=recent + timedelta(days=days), title=f"Ответ за {days} дн.")
    make_request(session, Direction.OUTGOING, S.SENT, partner=meta, officers=[officer], sent_at=recent,
                 title="Ждём ответа Meta")
    make_request(session, Direction.OUTGOING, S.AWAITING_APPROVAL, partner=germany, officers=[officer],
                 title="На подпись начальнику")
    make_request(session, Direction.OUTGOING, S.SENT, partner=germany, restricted=True, sent_at=recent,
                 title="Секретный запрос")
    session.commit()
    return {"head": head, "officer": officer, "meta": meta, "germany": germany}


def test_the_dashboard_is_for_heads_and_admins(client, auth, department):
    auth.login("officer")
    assert client.get("/dashboard/").status_code == 403
    assert download(client, "/dashboard/export/trend.csv").status_code == 403
    auth.logout()
    auth.login("admin")
    assert client.get("/dashboard/").status_code == 200


def test_the_dashboard_shows_the_departments_figures(client, auth, department):
    auth.login("head")
    page = client.get("/dashboard/").get_data(as_text=True)

    assert 'data-testid="stat-open"><div class="stat-value">3<' in page
    assert 'data-testid="stat-approval"><div class="stat-value">1<' in page
    assert 'data-testid="stat-sent"><div class="stat-value">5<' in page
    assert 'data-testid="stat-answered"><div class="stat-value">3<' in page
    assert "На подпись начальнику" in page  # awaiting approval
    assert "Мета" in page and "Германия" in page  # open by partner, both kinds
    assert "<svg" in page and 'role="img"' in page


def test_filters_stay_in_the_url_and_narrow_the_figures(client, auth, department):
    auth.login("head")
    page = client.get("/dashboard/?partner_kind=country").get_data(as_text=True)

    assert 'data-testid="stat-open"><div class="stat-value">2<' in page
    assert 'data-testid="open-provider"' not in page
    assert "partner_kind=country" in page  # kept in the export links


def test_bad_filters_are_explained_and_the_page_still_works(client, auth, department):
    auth.login("head")
    response = client.get("/dashboard/?start=2026-13&officer=999999&end=abc")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Enter a month as YYYY-MM." in page or "ГГГГ-ММ" in page
    assert 'data-testid="stat-open"><div class="stat-value">3<' in page


def test_a_period_that_ends_before_it_starts_is_refused(client, auth, department):
    auth.login("head")
    page = client.get("/dashboard/?start=2026-05&end=2026-01").get_data(as_text=True)
    assert "field-invalid" in page


def test_every_list_page_is_reachable_and_the_page_number_is_kept(client, auth, department):
    auth.login("head")
    session = db.session
    for index in range(12):
        make_request(session, Direction.OUTGOING, S.AWAITING_APPROVAL, partner=department["meta"],
                     title=f"Подпись {index:02d}", updated_at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=index))
    session.commit()

    first = client.get("/dashboard/").get_data(as_text=True)
    second = client.get("/dashboard/?approval_page=2").get_data(as_text=True)

    assert "Подпись 00" in first and "Подпись 10" not in first
    assert "Подпись 10" in second and "Подпись 00" not in second
    assert "approval_page=2" in first


def test_the_dashboard_runs_the_same_number_of_queries_whatever_the_data(client, auth, department,
                                                                         count_queries):
    auth.login("head")
    client.get("/dashboard/")
    with count_queries() as few:
        client.get("/dashboard/")
    for index in range(20):
        partner = make_partner(db.session, f"p{index}", PartnerKind.COUNTRY if index % 2 else PartnerKind.PROVIDER)
        make_request(db.session, Direction.OUTGOING, S.AWAITING_APPROVAL, partner=partner,
                     officers=[department["officer"]])
    db.session.commit()
    with count_queries() as many:
        client.get("/dashboard/")
    assert many.count == few.count


def test_a_dashboard_table_downloads_as_csv_with_translated_headers(client, auth, department):
    auth.login("head")
    response = download(client, "/dashboard/export/open_by_partner.csv")

    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] == "Партнёр"
    by_partner = {row[1]: row for row in rows[1:]}
    assert by_partner["meta"][-2] == "1"
    assert by_partner["DE"][-2] == "2"


def test_a_dashboard_table_downloads_as_xlsx(client, auth, department):
    auth.login("head")
    response = download(client, "/dashboard/export/awaiting_approval.xlsx")

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Номер"
    assert [row[1] for row in rows[1:]] == ["На подпись начальнику"]


def test_dates_in_downloads_are_written_day_first(client, auth, department):
    auth.login("head")
    response = download(client, "/dashboard/export/trend.csv?start=2026-01&end=2026-03")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert [row[0] for row in rows[1:]] == ["01.2026", "02.2026", "03.2026"]


def test_an_unknown_table_or_format_is_not_found(client, auth, department):
    auth.login("head")
    assert download(client, "/dashboard/export/passwords.csv").status_code == 404
    assert download(client, "/dashboard/export/trend.pdf").status_code == 404
    assert download(client, "/dashboard/export/refusals.csv?partner=nobody").status_code == 404


def test_a_formula_in_a_title_is_defused_in_downloads(client, auth, department):
    make_request(db.session, Direction.OUTGOING, S.AWAITING_APPROVAL, partner=department["meta"],
                 title="=HYPERLINK(\"http://evil\")")
    db.session.commit()
    auth.login("head")
    text = download(client, "/dashboard/export/awaiting_approval.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in text


def test_the_request_list_downloads_with_its_filters_and_the_users_visibility(client, auth, department):
    auth.login("officer")
    response = download(client, "/dashboard/export/requests.csv?partner=DE")

    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    titles = [row[4] for row in rows[1:]]
    assert titles == ["На подпись начальнику"]  # the restricted request is not the officer's to see
    auth.logout()
    auth.login("head")
    rows = list(csv.reader(io.StringIO(download(client, "/dashboard/export/requests.csv?partner=DE")
                                       .get_data(as_text=True).lstrip("\ufeff"))))
    assert sorted(row[4] for row in rows[1:]) == ["На подпись начальнику", "Секретный запрос"]


def test_the_request_list_downloads_as_xlsx(client, auth, department):
    auth.login("head")
    response = download(client, "/dashboard/export/requests.xlsx?partner=meta&status=open&sort=partner")
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2
    assert rows[1][4] == "Ждём ответа Meta"


def test_the_partner_scorecard_shows_its_times_and_requests(client, auth, department):
    auth.login("head")
    page = client.get("/dashboard/partners/meta").get_data(as_text=True)

    assert "Мета" in page
    assert 'data-testid="partner-open"><div class="stat-value">1<' in page
    assert "4,0" in page  # the median of 2, 4 and 9 days, written the Russian way
    assert client.get("/dashboard/partners/nobody").status_code == 404


def test_the_monthly_report_prints_the_month(client, auth, department):
    auth.login("head")
    this_month = utcnow().strftime("%Y-%m")
    response = client.get(f"/dashboard/report?month={this_month}")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'data-testid="monthly-report"' in page
    assert client.get("/dashboard/report?month=garbage").status_code == 200


def test_the_menu_offers_the_dashboard_to_heads_only(client, auth, department):
    auth.login("head")
    assert 'href="/dashboard/"' in client.get("/dashboard/").get_data(as_text=True)
    auth.logout()
    auth.login("officer")
    assert 'href="/dashboard/"' not in client.get("/dashboard/").get_data(as_text=True)  # the 403 page's menu


def test_incoming_requests_count_as_received(client, auth, department):
    incoming = make_request_type(db.session, "mla_incoming", Direction.INCOMING)
    make_request(db.session, Direction.INCOMING, S.RECEIVED, partner=department["germany"], request_type=incoming,
                 received_at=utcnow() - timedelta(days=1))
    db.session.commit()
    auth.login("head")
    page = client.get("/dashboard/").get_data(as_text=True)
    assert 'data-testid="stat-received"><div class="stat-value">1<' in page


def test_cells_are_written_the_way_people_here_read_them():
    from zoneinfo import ZoneInfo

    from coop.exports import cell_text

    zone = ZoneInfo("Asia/Almaty")
    assert cell_text(datetime(2026, 3, 31, 20, 5, tzinfo=UTC), zone) == "01.04.2026 01:05"
    assert cell_text(datetime(2026, 3, 1, tzinfo=UTC).date(), zone) == "01.03.2026"
    assert cell_text(4.25, zone) == 4.2 or cell_text(4.25, zone) == 4.3
    assert cell_text(None, zone) == ""
    assert cell_text("-1+1", zone) == "'-1+1"
    assert cell_text(Status.SENT, zone) == "sent"
