"""`coop import requests FILE`: the same import from the command line, for large registers."""

import json

import pytest
from sqlalchemy import func, select

from coop.extensions import db
from coop.models import CooperationRequest, ImportBatch, RequestEvent, Role
from tests.factories import make_user
from tests.imports.registers import register_csv, register_xlsx, seed_register_partners

ROWS = [[1, "25-3-1/1001", "05.03.2025", "США", "mla_outgoing", "Данные по делу 1", "", "", "Направлен", "", "", ""],
        [2, "25-3-1/1002", "06.03.2025", "Meta", "direct_disclosure", "Данные по делу 2", "", "", "", "", "", ""],
        [3, "25-3-1/1003", "07.03.2025", "Нарния", "mla_outgoing", "Данные по делу 3", "", "", "", "", "", ""]]


@pytest.fixture
def register(app, tmp_path):
    seed_register_partners(db.session)
    make_user(db.session, "officer", Role.OFFICER)
    make_user(db.session, "admin", Role.ADMIN)
    db.session.commit()
    path = tmp_path / "журнал.xlsx"
    path.write_bytes(register_xlsx(ROWS))
    return path


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(CooperationRequest))


def test_a_dry_run_reports_every_problem_and_writes_nothing(runner, register):
    result = runner.invoke(args=["import", "requests", str(register), "--as", "officer", "--dry-run",
                                 "--language", "en"])

    assert result.exit_code == 1, result.output
    assert "Исх. № -> external_number" in result.output
    assert "row 5: Partner (country or provider): “Нарния” is not known to coop." in result.output
    assert "Dry run, nothing written. Ready: 2" in result.output
    assert _count() == 0 and db.session.scalar(select(ImportBatch)) is None


def test_an_import_shows_its_progress_writes_the_ready_rows_and_a_second_run_writes_none(runner, register):
    first = runner.invoke(args=["import", "requests", str(register), "--as", "officer"])
    second = runner.invoke(args=["import", "requests", str(register), "--as", "officer"])

    assert "Importing" in first.output and "Imported: 2;" in first.output
    assert "Imported: 0; already in coop: 2;" in second.output
    assert _count() == 2
    assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 2
    via = set(db.session.scalars(select(RequestEvent.via_detail)))
    assert "журнал.xlsx #3 (25-3-1/1001)" in via


def test_the_guessed_mapping_can_be_corrected_by_option_or_by_file(runner, register, tmp_path):
    corrections = tmp_path / "mapping.json"
    corrections.write_text(json.dumps({"Примечание": None, "Исх. №": "partner_reference"}), encoding="utf-8")

    result = runner.invoke(args=["import", "requests", str(register), "--as", "officer", "--mapping",
                                 str(corrections), "--map", "Краткое содержание=title", "--dry-run"])

    assert "Исх. № -> partner_reference" in result.output and "Примечание -> -" in result.output


@pytest.mark.parametrize(("options", "message"), [
    (["--as", "nobody"], "no active user"),
    (["--as", "admin"], "administrator"),
    (["--as", "officer", "--map", "Колонка=title"], "no column headed"),
    (["--as", "officer", "--map", "Статус=colour"], "unknown field"),
    (["--as", "officer", "--map", "Краткое содержание="], "no column for: title"),
])
def test_a_wrong_option_stops_the_command_with_a_clear_message(runner, register, options, message):
    result = runner.invoke(args=["import", "requests", str(register), *options])

    assert result.exit_code != 0 and message in result.output
    assert _count() == 0


def test_a_csv_register_is_imported_from_the_command_line(runner, register, tmp_path):
    path = tmp_path / "журнал.csv"
    path.write_bytes(register_csv(ROWS))

    result = runner.invoke(args=["import", "requests", str(path), "--as", "officer"])

    assert "Imported: 2;" in result.output and _count() == 2


def test_a_file_that_is_no_register_is_refused(runner, register, tmp_path):
    path = tmp_path / "журнал.pdf"
    path.write_bytes(b"%PDF-1.7")

    result = runner.invoke(args=["import", "requests", str(path), "--as", "officer", "--language", "en"])

    assert result.exit_code != 0 and ".xlsx" in result.output
