"""Reading a register's rows, finding what is wrong with each, and importing them through the request rules:
in the status the register gives, marked as imported, and never twice."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from coop.domain.import_matching import guess_mapping, load_lookups
from coop.domain.importing import import_row, new_case_numbers, prepare_rows, rehearse
from coop.domain.spreadsheets import Sheet
from coop.extensions import db
from coop.imports.processing import import_rows
from coop.models import Case, CooperationRequest, EventKind, Role, Status
from tests.factories import make_case, make_user
from tests.imports.registers import seed_register_partners

NOW = datetime(2026, 1, 20, 9, 0, tzinfo=UTC)
TODAY = date(2026, 1, 20)
SHORT = ["Исх. №", "Дата направления", "Страна", "Тип запроса", "Краткое содержание", "Статус", "Дата ответа"]


@pytest.fixture
def officer(app):
    # Messages of rows not imported are written in the importer's language: Russian here.
    with force_locale("ru"):
        yield _officer()


def _officer():
    seed_register_partners(db.session)
    user = make_user(db.session, "officer", Role.OFFICER, full_name="Айдар Сейтказиев")
    db.session.flush()
    return user


def _rows(rows: list[list], headings=SHORT):
    sheet = Sheet(headings, rows, 2)
    return prepare_rows(db.session, sheet, guess_mapping(headings), load_lookups(db.session), TODAY)


def _problems(row) -> set[tuple[str, str]]:
    return {(problem.field, problem.code) for problem in row.problems}


def test_a_good_row_is_ready_with_what_coop_will_store(officer):
    [row] = _rows([["25-3-1/1001", "05.03.2025", "США", "mla_outgoing", "Данные владельца аккаунта", "Направлен", ""]])

    assert row.state == "ready" and row.problems == []
    assert row.status == Status.SENT and row.sent_on == date(2025, 3, 5)
    assert row.fields["title"] == "Данные владельца аккаунта"
    assert row.key is not None


@pytest.mark.parametrize(("cells", "expected"), [
    (["1", "05.03.2025", "Атлантида", "mla_outgoing", "Т", "", ""], {("partner", "unknown")}),
    (["1", "31.02.2025", "США", "mla_outgoing", "Т", "", ""], {("sent_on", "bad_date")}),
    (["1", "05.03.2025", "США", "mla_outgoing", "", "", ""], {("title", "missing")}),
    (["1", "05.03.2025", "", "mla_outgoing", "Т", "", ""], {("partner", "missing")}),
    (["1", "05.03.2030", "США", "mla_outgoing", "Т", "", ""], {("sent_on", "date_in_future")}),
    (["1", "05.03.1985", "США", "mla_outgoing", "Т", "", ""], {("sent_on", "date_too_old")}),
    (["1", "", "США", "mla_outgoing", "Т", "Направлен", ""], {("sent_on", "missing")}),
    (["1", "05.03.2025", "США", "mla_outgoing", "Т", "Потерян", ""], {("status", "unknown")}),
    (["1", "05.03.2025", "США", "mla_outgoing", "Т", "Зарегистрирован", ""], {("status", "status_not_in_direction")}),
    (["1", "05.03.2025", "США", "mla_outgoing", "Т", "Направлен", "10.03.2025"],
     {("answered_on", "answered_without_answer")}),
    (["1", "05.03.2025", "США", "mla_outgoing", "Т", "Исполнен", "01.03.2025"],
     {("answered_on", "answered_before_sent")}),
    (["1", "05.03.2025", "США", "Неизвестный вид", "Т", "", ""], {("request_type", "unknown")}),
    (["1", "05.03.2025", "США", "mla_outgoing", "x" * 301, "", ""], {("title", "too_long")}),
])
def test_each_problem_of_a_row_is_named_with_its_field(officer, cells, expected):
    [row] = _rows([cells])

    assert row.state == "problems" and _problems(row) == expected


def test_a_row_may_have_several_problems_at_once(officer):
    [row] = _rows([["1", "вчера", "Нарния", "mla_outgoing", "", "", ""]])

    assert _problems(row) == {("sent_on", "bad_date"), ("partner", "unknown"), ("title", "missing")}


def test_the_status_follows_from_the_dates_when_the_register_has_none(officer):
    rows = _rows([["1", "", "США", "mla_outgoing", "Черновик", "", ""],
                  ["2", "05.03.2025", "США", "mla_outgoing", "Отправлен", "", ""],
                  ["3", "05.03.2025", "США", "mla_outgoing", "Исполнен", "", "20.03.2025"]],
                 headings=["Исх. №", "Дата направления", "Страна", "Тип запроса", "Краткое содержание", "Колонка",
                           "Дата ответа"])

    assert [row.status for row in rows] == [Status.DRAFT, Status.SENT, Status.ANSWERED]


def test_the_rules_of_requests_are_rehearsed_without_writing_anything(officer):
    # A provider's type of request sent to a country: only the request rules know it does not fit.
    rows = _rows([["1", "05.03.2025", "США", "preservation_provider", "Сохранение", "Направлен", ""],
                  ["2", "05.03.2025", "Meta", "preservation_provider", "Сохранение", "Направлен", ""]])

    rehearse(db.session, officer, rows, "журнал.xlsx", NOW)

    assert [row.state for row in rows] == ["problems", "ready"]
    assert _problems(rows[0]) == {("partner", "rule")} and rows[0].problems[0].value == "type_partner_mismatch"
    assert db.session.scalar(select(func.count()).select_from(CooperationRequest)) == 0


def test_an_imported_row_is_in_the_registers_status_with_its_dates_and_marked_as_imported(officer):
    case = make_case(db.session, "2025-0042")
    [row] = _rows([["25-3-1/1001", "05.03.2025", "Meta", "direct_disclosure", "Данные владельца", "Исполнен",
                    "20.03.2025", "2025-0042", "Айдар Сейтказиев", "Ответ по почте"]],
                  headings=[*SHORT, "№ УД", "Исполнитель", "Примечание"])

    request = import_row(db.session, officer, row, "журнал.xlsx", NOW)

    assert request.status == Status.ANSWERED and request.case_id == case.id
    assert request.sent_at.astimezone(ZoneInfo("Asia/Almaty")).date() == date(2025, 3, 5)
    assert request.answered_at is not None and request.import_key == row.key
    events = {event.kind: event for event in request.events}
    assert set(events) == {EventKind.CREATED, EventKind.TRANSITION, EventKind.NOTE}
    assert events[EventKind.TRANSITION].to_status == Status.ANSWERED
    assert events[EventKind.NOTE].comment == "Ответ по почте"
    assert all(event.via == "import" and event.via_detail == "журнал.xlsx #2 (25-3-1/1001)"
               for event in request.events)


def test_a_case_the_register_names_that_coop_does_not_know_is_opened_once(officer):
    headings = [*SHORT, "№ УД"]
    rows = _rows([["1", "05.03.2025", "Meta", "direct_disclosure", "Первый", "", "", "2025-0777"],
                  ["2", "06.03.2025", "Meta", "direct_disclosure", "Второй", "", "", "2025-0777"]], headings)

    assert new_case_numbers(rows) == ["2025-0777"]
    created = [import_row(db.session, officer, row, "журнал.xlsx", NOW) for row in rows]

    assert created[0].case_id == created[1].case_id
    assert db.session.scalar(select(Case.number).where(Case.id == created[0].case_id)) == "2025-0777"


def test_importing_the_same_rows_again_creates_no_duplicates(officer):
    cells = [["1", "05.03.2025", "Meta", "direct_disclosure", "Первый", "", ""],
             ["2", "06.03.2025", "США", "mla_outgoing", "Второй", "", ""]]
    import_rows(db.session, officer, _rows(cells), "журнал.xlsx", NOW, NOW.tzinfo)

    again = _rows(cells)

    assert [row.state for row in again] == ["imported", "imported"]
    assert import_rows(db.session, officer, again, "журнал.xlsx", NOW, NOW.tzinfo).imported == []
    assert db.session.scalar(select(func.count()).select_from(CooperationRequest)) == 2


def test_without_a_number_a_row_is_known_again_by_its_partner_type_date_and_title(officer):
    headings = SHORT[1:]
    cells = [["05.03.2025", "Meta", "direct_disclosure", "Первый", "", ""]]
    import_rows(db.session, officer, _rows(cells, headings), "a.csv", NOW, NOW.tzinfo)

    assert [row.state for row in _rows(cells, headings)] == ["imported"]
    assert [row.state for row in _rows([["05.03.2025", "Meta", "direct_disclosure", "Другой", "", ""]],
                                       headings)] == ["ready"]


def test_a_row_repeated_in_the_file_is_imported_once(officer):
    rows = _rows([["25-1", "05.03.2025", "Meta", "direct_disclosure", "Первый", "", ""],
                  ["25-1", "05.03.2025", "Meta", "direct_disclosure", "Первый (копия)", "", ""]])

    assert [row.state for row in rows] == ["ready", "duplicate"] and rows[1].duplicate_of == 2
