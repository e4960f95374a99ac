"""Reading the spreadsheets departments keep (CSV as Excel writes it, or XLSX) into headings and rows.

No Flask, no database: a file in, a Sheet out, or a SpreadsheetProblem naming why it cannot be read.
"""

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

MAX_COLUMNS = 100
# Where to look for the row of headings: registers often carry a title line or two above it.
HEADING_SEARCH_ROWS = 10
XLSX_MAGIC = b"PK\x03\x04"


class SpreadsheetProblem(Exception):
    """A file that cannot be read; `code`: unsupported_format, unreadable, empty, no_headings, too_many_rows."""

    def __init__(self, code: str, limit: int | None = None):
        super().__init__(code)
        self.code = code
        self.limit = limit


@dataclass
class Sheet:
    """The headings and the rows under them; `first_row_number` is the spreadsheet's number of rows[0]."""

    headings: list[str]
    rows: list[list[object]]
    first_row_number: int
    sheet_name: str | None = None

    def row_number(self, index: int) -> int:
        return self.first_row_number + index

    def samples(self, column: int, count: int = 3) -> list[str]:
        """The first few non-empty values of a column, as text, to help map it."""
        found = []
        for row in self.rows:
            value = cell_text(row[column] if column < len(row) else None)
            if value:
                found.append(value if len(value) <= 60 else value[:57] + "…")
                if len(found) == count:
                    break
        return found


def detect_format(filename: str, head: bytes) -> str | None:
    """"xlsx" or "csv" from the file's first bytes and name; None for anything else (xls, pdf, docx ...)."""
    lowered = filename.lower()
    if head.startswith(XLSX_MAGIC):
        return "xlsx" if lowered.endswith((".xlsx", ".xlsm")) else None
    if lowered.endswith((".csv", ".txt", ".tsv")):
        return "csv"  # whether it is really text shows when it is read
    return None


def cell_text(value) -> str:
    """A cell as text: numbers without a needless ".0", dates as written in Kazakhstan, spaces trimmed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y %H:%M") if (value.hour, value.minute) != (0, 0) \
            else value.strftime("%d.%m.%Y")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    return " ".join(str(value).split())


def read_spreadsheet(path: Path, file_format: str, max_rows: int | None = None) -> Sheet:
    """The sheet in the file at `path` (the first worksheet of a workbook); raises SpreadsheetProblem."""
    if file_format not in ("xlsx", "csv"):
        raise SpreadsheetProblem("unsupported_format")
    try:
        rows, sheet_name = _xlsx_rows(path) if file_format == "xlsx" else (_csv_rows(path), None)
        return _sheet(rows, max_rows, sheet_name)
    except (csv.Error, UnicodeDecodeError, zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise SpreadsheetProblem("unreadable") from error


def _sheet(rows: Iterator[list], max_rows: int | None, sheet_name: str | None) -> Sheet:
    top: list[list] = []
    for row in rows:
        top.append(row)
        if len(top) == HEADING_SEARCH_ROWS:
            break
    filled = [sum(1 for value in row if cell_text(value)) for row in top]
    if not any(filled):
        raise SpreadsheetProblem("empty")
    # The headings: the first row that fills at least half as many cells as the fullest row near the top.
    widest = max(filled)
    heading_index = next(index for index, count in enumerate(filled) if count >= max(2, (widest + 1) // 2)) \
        if widest >= 2 else None
    if heading_index is None:
        raise SpreadsheetProblem("no_headings")
    headings = [cell_text(value) for value in top[heading_index][:MAX_COLUMNS]]
    while headings and not headings[-1]:
        headings.pop()
    width = len(headings)
    body = []
    for row in [*top[heading_index + 1:], *rows]:
        cells = list(row[:width]) + [None] * (width - len(row))
        if not any(cell_text(value) for value in cells):
            continue  # blank lines between blocks of a register
        body.append(cells)
        if max_rows is not None and len(body) > max_rows:
            raise SpreadsheetProblem("too_many_rows", max_rows)
    if not body:
        raise SpreadsheetProblem("empty")
    return Sheet(headings, body, heading_index + 2, sheet_name)


def _xlsx_rows(path: Path) -> tuple[Iterator[list], str]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except TypeError as error:  # a zip that is not a workbook
        raise SpreadsheetProblem("unreadable") from error
    worksheet = workbook.worksheets[0]

    def rows() -> Iterator[list]:
        try:
            for row in worksheet.iter_rows(values_only=True, max_col=MAX_COLUMNS):
                yield list(row)
        finally:
            workbook.close()

    return rows(), worksheet.title


def _decode(raw: bytes) -> str:
    """Text of a CSV file: UTF-8 (with or without BOM), UTF-16 as Excel's "Unicode text", or Windows-1251."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1251")  # Russian Excel's default for "CSV (comma delimited)"


def _csv_rows(path: Path) -> Iterator[list]:
    text = _decode(path.read_bytes())
    if "\x00" in text:
        raise SpreadsheetProblem("unreadable")
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=";,\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        first_line = sample.splitlines()[0] if sample else ""
        delimiter = max(";,\t", key=first_line.count)
    return (list(row) for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
