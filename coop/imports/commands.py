"""`coop import requests FILE`: the import of the web pages, for registers too large for an upload."""

import hashlib
import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale
from sqlalchemy import func, select

from coop.domain import audit
from coop.domain.import_matching import guess_mapping, mapping_problems
from coop.domain.importing import FIELDS_BY_NAME, new_case_numbers
from coop.domain.spreadsheets import SpreadsheetProblem, detect_format, read_spreadsheet
from coop.extensions import db
from coop.i18n import local_zone
from coop.imports.processing import (
    FIELD_LABELS,
    import_rows,
    prepare,
    problem_message,
    rehearse_in_turns,
    spreadsheet_problem_message,
)
from coop.models import ImportBatch, ImportState, Role, User, utcnow


@click.group("import")
def import_group():
    """Import existing requests from spreadsheets."""


@import_group.command("requests")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "username", required=True, help="The officer or head the requests are created by.")
@click.option("--mapping", "mapping_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help='A JSON file {"column heading": "field" or null} correcting the guessed mapping.')
@click.option("--map", "overrides", multiple=True, metavar="HEADING=FIELD",
              help="Correct the guessed mapping of one column (FIELD empty: ignore the column). Repeatable.")
@click.option("--type", "default_type", default=None, help="Code of the request type for rows that name none.")
@click.option("--dry-run", is_flag=True, help="Check every row against the rules and report; write nothing.")
@click.option("--language", type=click.Choice(["kk", "ru", "en"]), default=None,
              help="Language of the report (default: coop's default language).")
@with_appcontext
def import_requests(path: Path, username: str, mapping_file: Path | None, overrides: tuple[str, ...],
                    default_type: str | None, dry_run: bool, language: str | None):
    """Import the requests listed in the spreadsheet PATH (.xlsx or .csv), with a progress bar.

    Rows already imported (by this command or the web pages) are recognised and skipped, so the same file
    can be imported again after its faulty rows are corrected. The exit status is 1 when rows had problems.
    """
    with force_locale(language or current_app.config["BABEL_DEFAULT_LOCALE"]):
        actor = _actor(username)
        file_format = detect_format(path.name, path.read_bytes()[:8])
        try:
            if file_format is None:
                raise SpreadsheetProblem("unsupported_format")
            sheet = read_spreadsheet(path, file_format)
        except SpreadsheetProblem as problem:
            raise click.ClickException(spreadsheet_problem_message(problem)) from None
        mapping = _mapping(sheet.headings, mapping_file, overrides)
        _show_mapping(sheet.headings, mapping)
        if missing := mapping_problems(mapping, bool(default_type)):
            raise click.ClickException("no column for: " + ", ".join(missing) + " (use --map or --mapping)")
        now = utcnow()
        audit.set_actor(audit.Actor(actor.id, actor.username, "cli"))
        rows = prepare(db.session, sheet, mapping, default_type, now, local_zone())
        if dry_run:
            with click.progressbar(length=len(rows), label="Checking", show_pos=True) as bar:
                rehearse_in_turns(db.session, actor, rows, path.name, now, local_zone(), progress=bar.update)
            _report_dry_run(rows)
        else:
            with click.progressbar(length=len(rows), label="Importing", show_pos=True) as bar:
                outcome = import_rows(db.session, actor, rows, path.name, now, local_zone(), progress=bar.update)
            _record_batch(path, file_format, actor, len(rows), outcome)
            _report(outcome)
        if any(row.state == "problems" for row in rows):
            click.get_current_context().exit(1)


def _actor(username: str) -> User:
    actor = db.session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
    if actor is None or not actor.active:
        raise click.ClickException(f"no active user {username!r}")
    if actor.role not in (Role.OFFICER, Role.HEAD):
        raise click.ClickException(f"{actor.username} is an administrator: only officers and heads create requests")
    return actor


def _mapping(headings: list[str], mapping_file: Path | None, overrides: tuple[str, ...]) -> dict[int, str]:
    """The guessed mapping, corrected by the --mapping file and the --map options (by heading)."""
    mapping = guess_mapping(headings)
    corrections: dict[str, str | None] = {}
    if mapping_file is not None:
        try:
            loaded = json.loads(mapping_file.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as error:
            raise click.ClickException(f"{mapping_file}: not a JSON object ({error})") from None
        if not isinstance(loaded, dict):
            raise click.ClickException(f"{mapping_file}: not a JSON object")
        corrections |= loaded
    for override in overrides:
        heading, separator, name = override.partition("=")
        if not separator:
            raise click.ClickException(f"--map {override!r}: write HEADING=FIELD")
        corrections[heading.strip()] = name.strip() or None
    wanted = {" ".join(heading.split()).casefold(): index for index, heading in enumerate(headings)}
    for heading, name in corrections.items():
        index = wanted.get(" ".join(str(heading).split()).casefold())
        if index is None:
            raise click.ClickException(f"no column headed {heading!r}; the headings are: {', '.join(headings)}")
        if name is None:
            mapping.pop(index, None)
        elif name in FIELDS_BY_NAME:
            mapping[index] = name
        else:
            raise click.ClickException(f"unknown field {name!r}; the fields are: {', '.join(FIELDS_BY_NAME)}")
    return mapping


def _show_mapping(headings: list[str], mapping: dict[int, str]) -> None:
    click.echo("Columns:")
    for index, heading in enumerate(headings):
        field = mapping.get(index)
        target = f"{field} ({FIELD_LABELS[field]})" if field else "-"
        click.echo(f"  {heading or f'#{index + 1}'} -> {target}")


def _record_batch(path: Path, file_format: str, actor: User, row_count: int, outcome) -> None:
    """Keep a record of the import beside those made on the web pages (the file itself stays where it is)."""
    content = path.read_bytes()
    db.session.add(ImportBatch(
        user_id=actor.id, original_name=path.name[:255], sha256=hashlib.sha256(content).hexdigest(),
        size=len(content), file_format=file_format, stored_name=None, row_count=row_count,
        state=ImportState.IMPORTED, finished_at=utcnow(), imported_count=len(outcome.imported),
        duplicate_count=len(outcome.already) + len(outcome.duplicates), problem_count=len(outcome.problems),
        report=outcome.report()))
    db.session.commit()


def _report(outcome) -> None:
    for number, messages in outcome.problems:
        click.echo(f"row {number}: " + "; ".join(messages))
    click.echo(f"Imported: {len(outcome.imported)}; already in coop: {len(outcome.already)}; "
               f"repeated rows: {len(outcome.duplicates)}; rows with problems: {len(outcome.problems)}.")


def _report_dry_run(rows) -> None:
    counts = {state: sum(1 for row in rows if row.state == state)
              for state in ("ready", "imported", "duplicate", "problems")}
    for row in rows:
        if row.state == "problems":
            click.echo(f"row {row.number}: " + "; ".join(problem_message(problem) for problem in row.problems))
    if cases := new_case_numbers(rows):
        click.echo("New cases to open: " + ", ".join(cases))
    click.echo(f"Dry run, nothing written. Ready: {counts['ready']}; already in coop: {counts['imported']}; "
               f"repeated rows: {counts['duplicate']}; rows with problems: {counts['problems']}.")
