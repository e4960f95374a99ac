"""Reading registers as departments save them: Excel workbooks, and CSV in the encodings Excel writes."""

import io
from datetime import datetime

import pytest
from openpyxl import Workbook

from coop.domain.spreadsheets import SpreadsheetProblem, cell_text, detect_format, read_spreadsheet
from tests.imports.registers import HEADINGS, register_csv, register_rows, register_xlsx


def _write(tmp_path, name: str, content: bytes):
    path = tmp_path / name
    path.write_bytes(content)
    return path


def test_a_workbook_is_read_below_its_title_line_with_date_cells_kept(tmp_path):
    rows = register_rows(count=12)
    path = _write(tmp_path, "журнал.xlsx", register_xlsx(rows))

    sheet = read_spreadsheet(path, "xlsx")

    assert sheet.headings == HEADINGS
    assert sheet.first_row_number == 3 and sheet.sheet_name == "Журнал 2025"
    assert len(sheet.rows) == 12
    assert isinstance(sheet.rows[2][2], datetime)  # every third date is a real date cell
    assert sheet.samples(3) == [rows[0][3], rows[1][3], rows[2][3]]


@pytest.mark.parametrize(("encoding", "delimiter"), [("cp1251", ";"), ("utf-8-sig", ";"), ("utf-8", ","),
                                                     ("utf-16", "\t")])
def test_csv_is_read_in_the_encodings_and_separators_excel_uses(tmp_path, encoding, delimiter):
    rows = register_rows(count=5)
    path = _write(tmp_path, "журнал.csv", register_csv(rows, encoding, delimiter))

    sheet = read_spreadsheet(path, "csv")

    assert sheet.headings == HEADINGS
    assert [row[3] for row in sheet.rows] == [row[3] for row in rows]
    assert sheet.first_row_number == 2


def test_blank_lines_between_blocks_are_skipped(tmp_path):
    content = "Страна;Тип запроса;Краткое содержание\nСША;mla_outgoing;Первый\n;;\n\nГермания;mla_outgoing;Второй\n"
    sheet = read_spreadsheet(_write(tmp_path, "r.csv", content.encode("utf-8")), "csv")

    assert [row[2] for row in sheet.rows] == ["Первый", "Второй"]


@pytest.mark.parametrize(("name", "content", "code"), [
    ("empty.csv", b"", "empty"),
    ("headings-only.csv", "Страна;Тип\n".encode(), "empty"),
    ("one-column.csv", "Страна\nСША\n".encode(), "no_headings"),
    ("binary.csv", b"\x00\x01\x02\x03" * 100, "unreadable"),
    ("broken.xlsx", b"PK\x03\x04this is not a workbook", "unreadable"),
])
def test_a_file_that_is_no_register_is_refused_with_the_reason(tmp_path, name, content, code):
    path = _write(tmp_path, name, content)

    with pytest.raises(SpreadsheetProblem) as refused:
        read_spreadsheet(path, detect_format(name, content[:8]) or "csv")
    assert refused.value.code == code


def test_more_rows_than_allowed_are_refused_with_the_limit(tmp_path):
    path = _write(tmp_path, "big.xlsx", register_xlsx(register_rows(count=30)))

    with pytest.raises(SpreadsheetProblem) as refused:
        read_spreadsheet(path, "xlsx", max_rows=20)
    assert (refused.value.code, refused.value.limit) == ("too_many_rows", 20)


@pytest.mark.parametrize(("name", "head", "expected"), [
    ("журнал.xlsx", b"PK\x03\x04", "xlsx"), ("журнал.CSV", b"a;b", "csv"), ("журнал.txt", b"a\tb", "csv"),
    ("журнал.xls", b"\xd0\xcf\x11\xe0", None), ("журнал.pdf", b"%PDF-", None), ("renamed.xlsx", b"%PDF", None),
    ("journal.docx", b"PK\x03\x04", None),
])
def test_only_workbooks_and_text_files_are_taken(name, head, expected):
    assert detect_format(name, head) == expected


def test_cells_read_as_people_wrote_them():
    assert cell_text(1024.0) == "1024"
    assert cell_text(datetime(2025, 3, 5)) == "05.03.2025"
    assert cell_text("  США \n") == "США"
    assert cell_text(None) == ""


def test_a_workbook_without_a_title_line_starts_at_its_first_row(tmp_path):
    workbook = Workbook()
    workbook.active.append(["Country", "Type", "Title"])
    workbook.active.append(["US", "mla_outgoing", "Subscriber data"])
    buffer = io.BytesIO()
    workbook.save(buffer)

    sheet = read_spreadsheet(_write(tmp_path, "r.xlsx", buffer.getvalue()), "xlsx")

    assert sheet.headings == ["Country", "Type", "Title"] and sheet.first_row_number == 2
