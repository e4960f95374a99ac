"""What the import pages and the `coop import` command share: where files wait, how rows are read and
written, and how their problems read in the user's language."""

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coop.domain import import_matching, importing
from coop.domain.importing import PreparedRow, RowProblem
from coop.domain.requests import RequestProblem
from coop.domain.spreadsheets import Sheet, SpreadsheetProblem, detect_format
from coop.labels import STATUS_LABELS
from coop.models import ImportBatch, ImportState, RequestType, User

CHUNK = 64 * 1024
# Files waiting for their preview longer than this are deleted (with their batch marked cancelled).
ABANDONED_AFTER = timedelta(hours=24)
COMMIT_EVERY = 50

FIELD_LABELS = {
    "external_number": _l("Number in the register"),
    "direction": _l("Direction"),
    "partner": _l("Partner (country or provider)"),
    "request_type": _l("Type of request"),
    "title": _l("Title"),
    "status": _l("Status"),
    "sent_on": _l("Date sent"),
    "received_on": _l("Date received"),
    "answered_on": _l("Date of the answer"),
    "legal_basis": _l("Legal basis"),
    "case_number": _l("Criminal case"),
    "partner_reference": _l("Partner's reference"),
    "urgency": _l("Urgency"),
    "officer": _l("Officer"),
    "requested_by": _l("Requested deadline"),
    "offence": _l("Offence and penalty"),
    "facts": _l("Summary of the facts"),
    "assistance_sought": _l("Assistance sought"),
    "notes": _l("Notes"),
}
PROBLEM_MESSAGES = {
    "missing": _l("%(field)s: missing."),
    "unknown": _l("%(field)s: “%(value)s” is not known to coop."),
    "ambiguous": _l("%(field)s: “%(value)s” fits more than one; write the code instead."),
    "bad_date": _l("%(field)s: “%(value)s” is not a date (write it as 05.03.2025)."),
    "date_in_future": _l("%(field)s: %(value)s is in the future."),
    "date_too_old": _l("%(field)s: %(value)s is too far in the past."),
    "too_long": _l("%(field)s: longer than %(value)s characters."),
    "direction_mismatch": _l("%(field)s: “%(value)s” does not fit the type of request."),
    "status_not_in_direction": _l("%(field)s: “%(value)s” is not a status of a request in this direction."),
    "answered_without_answer": _l("%(field)s: an answer date is given, but the status says no answer came."),
    "answered_before_sent": _l("%(field)s: the answer came before the request was sent or received."),
}
# Refusals of the request rules, by their code (coop.domain.requests).
RULE_MESSAGES = {
    "type_partner_mismatch": _l("This type of request does not fit this kind of partner (a country or a "
                                "provider)."),
    "type_direction_mismatch": _l("This type of request does not go in this direction."),
    "emergency_justification_required": _l("An emergency request must say why; add the justification in coop "
                                           "after the import, or import it as urgent."),
    "title_required": _l("Enter a title."),
    "taken_meanwhile": _l("Another import has just created this request."),
    "not_allowed": _l("You cannot create requests."),
}
SPREADSHEET_PROBLEMS = {
    "unsupported_format": _l("Upload the register as an Excel workbook (.xlsx) or a CSV file. An old .xls "
                             "workbook must first be saved as .xlsx."),
    "unreadable": _l("The file cannot be read as a spreadsheet. Is it damaged, or protected by a password?"),
    "empty": _l("The file has no rows."),
    "no_headings": _l("No row of column headings was found at the top of the first sheet."),
    "too_many_rows": _l("The file has more than %(limit)s rows: import it with the command “coop import "
                        "requests”, which has no limit."),
    "too_large": _l("The file is larger than %(limit)s MB."),
}


def problem_message(problem: RowProblem) -> str:
    """A row's problem as the user reads it."""
    label = str(FIELD_LABELS.get(problem.field, problem.field))
    if problem.code == "rule":
        from coop.requests.views import REQUEST_PROBLEMS

        message = RULE_MESSAGES.get(problem.value) or REQUEST_PROBLEMS.get(problem.value) or problem.value
        return f"{label}: {message}" if problem.field else str(message)
    return str(PROBLEM_MESSAGES[problem.code] % {"field": label, "value": problem.value})


def spreadsheet_problem_message(problem: SpreadsheetProblem) -> str:
    return str(SPREADSHEET_PROBLEMS[problem.code]) % {"limit": problem.limit}


def status_labels() -> list[tuple[str, str]]:
    """Every status's name in every language coop speaks, for recognising statuses written in a register."""
    labels = []
    for language in current_app.config["COOP_LANGUAGES"]:
        with force_locale(language):
            labels += [(str(label), status) for status, label in STATUS_LABELS.items()]
    return labels


# --- files waiting for their import ------------------------------------------------------------------------

def import_folder() -> Path:
    """Where uploaded spreadsheets wait: beside the attachments, not among them (backups skip them)."""
    configured = current_app.config.get("COOP_IMPORT_FOLDER")
    return Path(configured) if configured else Path(current_app.config["COOP_UPLOAD_FOLDER"]).with_name("imports")


def max_upload_bytes() -> int:
    return int(current_app.config.get("COOP_IMPORT_MAX_MB", 10)) * 1024 * 1024


def max_web_rows() -> int:
    return int(current_app.config.get("COOP_IMPORT_MAX_ROWS", 5000))


@dataclass
class Upload:
    path: Path
    sha256: str
    size: int
    file_format: str


def store_upload(stream: BinaryIO, filename: str) -> Upload:
    """Copy an upload into the import folder under a random name; raises SpreadsheetProblem."""
    folder = import_folder()
    folder.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    head = stream.read(CHUNK)
    file_format = detect_format(filename, head)
    if file_format is None:
        raise SpreadsheetProblem("unsupported_format")
    path = folder / f"{secrets.token_hex(16)}.{file_format}"
    limit = max_upload_bytes()
    with path.open("wb") as target:
        chunk = head
        while chunk:
            size += len(chunk)
            if size > limit:
                target.close()
                path.unlink(missing_ok=True)
                raise SpreadsheetProblem("too_large", limit // 1024 // 1024)
            digest.update(chunk)
            target.write(chunk)
            chunk = stream.read(CHUNK)
    if size == 0:
        path.unlink(missing_ok=True)
        raise SpreadsheetProblem("empty")
    return Upload(path, digest.hexdigest(), size, file_format)


def batch_path(batch: ImportBatch) -> Path | None:
    return import_folder() / batch.stored_name if batch.stored_name else None


def discard_file(batch: ImportBatch) -> None:
    """Delete the batch's file: once imported or given up, a copy of the register has no business here."""
    path = batch_path(batch)
    if path is not None:
        path.unlink(missing_ok=True)
    batch.stored_name = None


def clean_abandoned(session: Session, now: datetime) -> int:
    """Delete the files of uploads left waiting too long; returns how many."""
    abandoned = list(session.scalars(select(ImportBatch).where(ImportBatch.state == ImportState.UPLOADED,
                                                               ImportBatch.created_at < now - ABANDONED_AFTER)))
    for batch in abandoned:
        discard_file(batch)
        batch.state = ImportState.CANCELLED
        batch.finished_at = now
    return len(abandoned)


# --- reading and writing rows ------------------------------------------------------------------------------

def prepare(session: Session, sheet: Sheet, mapping: dict[int, str], default_type_code: str | None, now: datetime,
            zone: ZoneInfo) -> list[PreparedRow]:
    """The sheet's rows read through `mapping`, with their problems (the request rules are rehearsed apart)."""
    default_type = session.scalar(select(RequestType).where(RequestType.code == default_type_code)) \
        if default_type_code else None
    lookups = import_matching.load_lookups(session, status_labels())
    return importing.prepare_rows(session, sheet, mapping, lookups, now.astimezone(zone).date(), default_type)


REHEARSAL_TURN = 25


def rehearse_in_turns(session: Session, actor: User, rows: list[PreparedRow], source: str, now: datetime,
                      zone: ZoneInfo, progress: Callable[[int], None] | None = None) -> None:
    """Rehearse the rows a few at a time, each turn rolled back: SQLite's write lock is never held for long,
    so the people saving requests meanwhile do not wait for a whole register."""
    for start in range(0, len(rows), REHEARSAL_TURN):
        importing.rehearse(session, actor, rows[start:start + REHEARSAL_TURN], source, now, zone, progress)
        session.rollback()


def remember_rehearsal(session: Session, actor: User, batch: ImportBatch, rows: list[PreparedRow], now: datetime,
                       zone: ZoneInfo) -> None:
    """Add to `rows` what the request rules refuse: rehearsed once per mapping, then remembered on the batch.

    A rehearsal of a few hundred rows takes seconds; the preview is opened again and again (its tabs, a
    reload), while only a new mapping changes what it finds. The import checks every row again anyway.
    """
    remembered = batch.report or {}
    if remembered.get("for_mapping") != batch.mapping:
        mapping, name = batch.mapping, batch.original_name
        rehearse_in_turns(session, actor, rows, name, now, zone)
        refused = {str(row.number): [[problem.field, problem.code, problem.value] for problem in row.problems
                                     if problem.code == "rule"] for row in rows}
        batch.report = {"for_mapping": mapping,
                        "rule_problems": {number: found for number, found in refused.items() if found}}
        session.commit()
        return
    for row in rows:
        if row.state == "ready":
            row.problems += [RowProblem(*problem) for problem in remembered["rule_problems"].get(str(row.number), [])]


@dataclass
class Outcome:
    """What an import did, row by row."""

    imported: list[tuple[int, int, str]] = field(default_factory=list)  # (row, request id, reference)
    already: list[tuple[int, str]] = field(default_factory=list)  # (row, reference of the existing request)
    duplicates: list[tuple[int, int]] = field(default_factory=list)  # (row, the earlier row it repeats)
    problems: list[tuple[int, list[str]]] = field(default_factory=list)  # (row, messages)

    def report(self) -> dict:
        return {"imported": self.imported, "already": self.already, "duplicates": self.duplicates,
                "problems": self.problems}


def import_rows(session: Session, actor: User, rows: list[PreparedRow], source: str, now: datetime,
                zone: ZoneInfo, progress: Callable[[int], None] | None = None) -> Outcome:
    """Import the ready rows, committing every few dozen (a second run skips what the first one wrote)."""
    outcome = Outcome()
    for count, row in enumerate(rows, start=1):
        if row.state == "ready":
            savepoint = session.begin_nested()
            try:
                created = importing.import_row(session, actor, row, source, now, zone)
            except RequestProblem as problem:
                savepoint.rollback()
                row.problems.append(RowProblem(importing.row_field(problem.field), "rule", problem.code))
            except IntegrityError:
                savepoint.rollback()
                row.problems.append(RowProblem("external_number", "rule", "taken_meanwhile"))
            else:
                savepoint.commit()
                outcome.imported.append((row.number, created.id, created.reference))
        if row.state == "imported":
            outcome.already.append((row.number, row.existing[1]))
        elif row.state == "duplicate":
            outcome.duplicates.append((row.number, row.duplicate_of))
        elif row.state == "problems":
            outcome.problems.append((row.number, [problem_message(problem) for problem in row.problems]))
        if count % COMMIT_EVERY == 0:
            session.commit()
        if progress is not None:
            progress(1)
    session.commit()
    return outcome
