"""The import pages: upload, map the columns, check the preview, import; the file waits out of reach and goes."""

import io
import re

import pytest
from sqlalchemy import func, select

from coop.extensions import db
from coop.imports.processing import import_folder
from coop.models import CooperationRequest, ImportBatch, ImportState, Role
from tests.factories import make_user
from tests.imports.registers import register_csv, register_rows, register_xlsx, seed_register_partners

SMALL = [[1, "25-3-1/1001", "05.03.2025", "США", "mla_outgoing", "Данные по делу 1", "budapest", "", "Направлен", "",
          "", ""],
         [2, "25-3-1/1002", "06.03.2025", "Meta", "direct_disclosure", "Данные по делу 2", "", "", "Исполнен",
          "20.03.2025", "officer", "Ответ получен по почте"],
         [3, "25-3-1/1003", "31.02.2025", "Атлантида", "mla_outgoing", "Данные по делу 3", "", "", "", "", "", ""]]


@pytest.fixture
def officer(app):
    seed_register_partners(db.session)
    user = make_user(db.session, "officer", Role.OFFICER, full_name="Айдар Сейтказиев", locale="ru")
    db.session.commit()
    return user


def _upload(client, content: bytes, name: str = "журнал.xlsx"):
    return client.post("/imports/", data={"file": (io.BytesIO(content), name)}, content_type="multipart/form-data")


def _mapping_form(page: str) -> dict[str, str]:
    """The mapping form as the page proposes it (the selected option of each select)."""
    form = {}
    for name, options in re.findall(r'<select[^>]*name="([a-z_0-9]+)"[^>]*>(.*?)</select>', page, re.S):
        selected = re.search(r'<option selected value="([^"]*)"', options)
        form[name] = selected.group(1) if selected else ""
    return form


def _through_mapping(client, content: bytes, name: str = "журнал.xlsx") -> int:
    location = _upload(client, content, name).headers["Location"]
    batch_id = int(location.split("/")[2])
    client.post(location, data=_mapping_form(client.get(location).get_data(as_text=True)))
    return batch_id


def _request_count() -> int:
    return db.session.scalar(select(func.count()).select_from(CooperationRequest))


def test_an_upload_leads_to_the_mapping_with_the_columns_recognised(client, auth, officer):
    auth.login("officer")

    response = _upload(client, register_xlsx(SMALL))
    page = client.get(response.headers["Location"]).get_data(as_text=True)

    assert response.status_code == 302 and response.headers["Location"].endswith("/mapping")
    form = _mapping_form(page)
    assert (form["column_2"], form["column_3"], form["column_8"]) == ("sent_on", "partner", "status")
    assert form["column_0"] == ""  # "№ п/п" counts rows, it is no number of a request
    batch = db.session.scalar(select(ImportBatch))
    assert batch.row_count == 3 and batch.state == ImportState.UPLOADED
    assert (import_folder() / batch.stored_name).exists()


def test_the_preview_shows_every_row_and_its_problems_and_writes_nothing(client, auth, officer):
    auth.login("officer")
    batch_id = _through_mapping(client, register_xlsx(SMALL))

    page = client.get(f"/imports/{batch_id}/preview").get_data(as_text=True)

    assert re.search(r'data-testid="count-ready">2<', page) and re.search(r'data-testid="count-problems">1<', page)
    row = re.search(r'<tr class="preview-problems" data-row="5".*?</tr>', page, re.S).group(0)
    assert "Партнёр (страна или провайдер): «Атлантида» в coop не найден." in row
    assert "Дата направления: «31.02.2025» не является датой" in row
    assert _request_count() == 0


def test_importing_creates_the_ready_rows_and_a_second_import_of_the_file_creates_none(client, auth, officer):
    auth.login("officer")
    batch_id = _through_mapping(client, register_xlsx(SMALL))

    response = client.post(f"/imports/{batch_id}/import")
    result = client.get(response.headers["Location"]).get_data(as_text=True)

    assert _request_count() == 2
    batch = db.session.get(ImportBatch, batch_id)
    assert (batch.state, batch.imported_count, batch.problem_count) == (ImportState.IMPORTED, 2, 1)
    assert batch.stored_name is None and not list(import_folder().iterdir())
    assert "OUT-" in result and 'data-testid="result-problems-table"' in result

    second = _through_mapping(client, register_xlsx(SMALL), "журнал (копия).xlsx")
    preview = client.get(f"/imports/{second}/preview").get_data(as_text=True)
    assert re.search(r'data-testid="count-imported">2<', preview)
    client.post(f"/imports/{second}/import")
    assert _request_count() == 2


def test_a_csv_register_from_russian_excel_imports_too(client, auth, officer):
    auth.login("officer")
    batch_id = _through_mapping(client, register_csv(SMALL), "журнал.csv")

    client.post(f"/imports/{batch_id}/import")

    assert _request_count() == 2


def test_a_mapping_without_a_required_field_is_refused_with_its_name(client, auth, officer):
    auth.login("officer")
    location = _upload(client, register_xlsx(SMALL)).headers["Location"]
    form = _mapping_form(client.get(location).get_data(as_text=True)) | {"column_5": ""}  # no title

    response = client.post(location, data=form)

    assert response.status_code == 400
    assert db.session.scalar(select(ImportBatch)).mapping["columns"].get("5") == "title"  # unchanged


@pytest.mark.parametrize(("content", "name"), [
    (b"%PDF-1.7 ...", "журнал.pdf"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1old workbook", "журнал.xls"),
    (b"", "журнал.csv"),
    (b"PK\x03\x04 not really a workbook", "журнал.xlsx"),
])
def test_a_file_that_cannot_be_read_is_refused_on_the_upload_page_and_not_kept(client, auth, officer, content, name):
    auth.login("officer")

    response = _upload(client, content, name)

    assert response.status_code == 400 and 'class="error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(ImportBatch)) is None
    assert not import_folder().exists() or not list(import_folder().iterdir())


def test_an_upload_without_a_file_is_refused(client, auth, officer):
    auth.login("officer")

    assert client.post("/imports/", data={}, content_type="multipart/form-data").status_code == 400


def test_a_file_over_the_size_limit_is_refused(app, client, auth, officer):
    app.config["COOP_IMPORT_MAX_MB"] = 0  # any content is too large
    auth.login("officer")

    response = _upload(client, register_xlsx(SMALL))

    assert response.status_code == 400 and db.session.scalar(select(ImportBatch)) is None


def test_cancelling_deletes_the_file(client, auth, officer):
    auth.login("officer")
    batch_id = _through_mapping(client, register_xlsx(SMALL))

    client.post(f"/imports/{batch_id}/cancel")

    batch = db.session.get(ImportBatch, batch_id)
    assert batch.state == ImportState.CANCELLED and batch.stored_name is None
    assert not list(import_folder().iterdir())
    assert client.get(f"/imports/{batch_id}/preview").status_code == 302


def test_nobody_else_sees_or_imports_someone_elses_upload(client, auth, officer):
    make_user(db.session, "a.karimova", Role.OFFICER)
    db.session.commit()
    auth.login("officer")
    batch_id = _through_mapping(client, register_xlsx(SMALL))
    auth.logout()
    auth.login("a.karimova")

    assert client.get(f"/imports/{batch_id}/preview").status_code == 404
    assert client.post(f"/imports/{batch_id}/import").status_code == 404
    assert client.get(f"/imports/{batch_id}").status_code == 404
    assert _request_count() == 0


def test_administrators_do_not_import_requests(client, auth, officer):
    make_user(db.session, "admin", Role.ADMIN)
    db.session.commit()
    auth.login("admin")

    assert client.get("/imports/").status_code == 403
    assert 'href="/imports/"' not in client.get("/").get_data(as_text=True)


def test_an_imported_request_says_in_its_history_where_it_came_from(client, auth, officer):
    auth.login("officer")
    client.post(f"/imports/{_through_mapping(client, register_xlsx(SMALL))}/import")
    request_id = db.session.scalar(select(CooperationRequest.id).where(CooperationRequest.title == "Данные по делу 2"))

    page = client.get(f"/requests/{request_id}").get_data(as_text=True)

    assert 'data-via="import"' in page and "журнал.xlsx #4 (25-3-1/1002)" in page
    assert "Ответ получен по почте" in page


def test_the_preview_of_a_register_of_hundreds_of_rows_filters_its_rows_by_state(client, auth, officer):
    auth.login("officer")
    batch_id = _through_mapping(client, register_xlsx(register_rows(count=120)))

    problems = client.get(f"/imports/{batch_id}/preview?show=problems").get_data(as_text=True)

    assert len(re.findall(r'<tr class="preview-problems"', problems)) == 3  # rows 17, 58 and 103 of the register
    assert '<tr class="preview-ready"' not in problems


def test_what_the_request_rules_refuse_is_rehearsed_once_per_mapping_and_shown_each_time(client, auth, officer):
    mismatch = [1, "25-3-1/1009", "05.03.2025", "США", "preservation_provider", "Сохранение", "", "", "", "", "", ""]
    auth.login("officer")
    batch_id = _through_mapping(client, register_xlsx([mismatch]))

    first = client.get(f"/imports/{batch_id}/preview").get_data(as_text=True)
    remembered = db.session.get(ImportBatch, batch_id).report
    second = client.get(f"/imports/{batch_id}/preview?show=problems").get_data(as_text=True)

    assert remembered["rule_problems"] == {"3": [["partner", "rule", "type_partner_mismatch"]]}
    for page in (first, second):
        assert re.search(r'data-testid="count-problems">1<', page)
        assert "Этот вид запроса не подходит для такого партнёра" in page
    assert _request_count() == 0
