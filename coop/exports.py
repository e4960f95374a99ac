"""Tables as CSV or XLSX downloads, streamed: a million rows neither time out nor fill the memory.

CSV goes out row by row as the database hands rows over. XLSX is a zip that cannot be sent before it is
finished, so openpyxl's write-only workbook writes it into a temporary file (memory stays flat), which is then
sent in chunks and deleted. Dates are written as people in Kazakhstan write them (dd.mm.yyyy).
"""

import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Response, stream_with_context
from openpyxl import Workbook

FORMATS = ("csv", "xlsx")
CHUNK = 64 * 1024
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def cell_text(value, zone: ZoneInfo) -> str | int | float:
    """A value as a cell shows it: local dd.mm.yyyy dates, numbers kept as numbers, the rest as text."""
    # Called for every cell of a million-row export: the common cases come first, dates are formatted by hand.
    if value is None:
        return ""
    if type(value) is str:
        return _defuse_formula(value)
    if isinstance(value, datetime):
        local = value.astimezone(zone)
        return f"{local.day:02d}.{local.month:02d}.{local.year:04d} {local.hour:02d}:{local.minute:02d}"
    if isinstance(value, date):
        return f"{value.day:02d}.{value.month:02d}.{value.year:04d}"
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float):
        return round(value, 1)
    if isinstance(value, int):
        return value
    return _defuse_formula(str(value))


def _defuse_formula(text: str) -> str:
    # A cell starting with = + - @ would run as a formula in a spreadsheet (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence], zone: ZoneInfo) -> Iterator[bytes]:
    """The CSV file in pieces of about 64 KiB: a BOM (so that Excel reads UTF-8), the header, the rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(header)
    for row in rows:
        writer.writerow([cell_text(value, zone) for value in row])
        if buffer.tell() >= CHUNK:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def xlsx_chunks(title: str, header: Sequence[str], rows: Iterable[Sequence], zone: ZoneInfo) -> Iterator[bytes]:
    """The XLSX file, built by a write-only workbook in a temporary file, then read out in pieces."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(title))
    sheet.append(list(header))
    for row in rows:
        sheet.append([cell_text(value, zone) for value in row])
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        workbook.save(path)
        with open(path, "rb") as stored:
            while chunk := stored.read(CHUNK):
                yield chunk
    finally:
        os.unlink(path)


def _sheet_title(title: str) -> str:
    cleaned = "".join(" " if char in "[]:*?/\\" else char for char in title).strip()
    return (cleaned or "Sheet")[:31]


def download(filename: str, fmt: str, title: str, header: Sequence[str], rows: Callable[[], Iterable[Sequence]],
             zone: ZoneInfo) -> Response:
    """A streamed attachment of `rows()` (called once the response starts, inside the request's context)."""
    if fmt == "csv":
        body, mimetype = csv_chunks(header, rows(), zone), "text/csv; charset=utf-8"
    else:
        body, mimetype = xlsx_chunks(title, header, rows(), zone), XLSX_MIMETYPE
    response = Response(stream_with_context(body), mimetype=mimetype)
    response.headers.set("Content-Disposition", "attachment", filename=f"{filename}.{fmt}")
    response.headers["Cache-Control"] = "no-store"
    return response
