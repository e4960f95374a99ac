"""A realistic register: several hundred rows with Russian headings and a few broken rows, imported as a
department would, then imported again.

It runs on SQLite only, to keep the suite fast: the code paths are the ones test_import_rules runs on both
databases with short registers.
"""

from collections import Counter
from datetime import UTC, date, datetime

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from coop.domain.import_matching import guess_mapping, load_lookups
from coop.domain.importing import prepare_rows, rehearse
from coop.domain.reference_data import seed_reference_data
from coop.domain.spreadsheets import Sheet
from coop.extensions import db
from coop.imports.processing import import_rows
from coop.models import CooperationRequest, RequestEvent, Role, Status
from tests.factories import make_user
from tests.imports.registers import BROKEN, HEADINGS, register_rows

NOW = datetime(2026, 1, 20, 9, 0, tzinfo=UTC)
TODAY = date(2026, 1, 20)


@pytest.fixture
def database_url(tmp_path):
    return f"sqlite:///{tmp_path / 'coop.sqlite'}"


@pytest.fixture
def officer(app):
    with force_locale("ru"):
        seed_reference_data(db.session)
        user = make_user(db.session, "officer", Role.OFFICER, full_name="Айдар Сейтказиев")
        db.session.flush()
        yield user


def _problems(row) -> set[tuple[str, str]]:
    return {(problem.field, problem.code) for problem in row.problems}


def test_a_realistic_register_of_hundreds_of_rows_imports_all_but_its_broken_rows_and_only_once(officer):
    rows = register_rows()
    mapping = guess_mapping(HEADINGS)
    sheet = Sheet(HEADINGS, rows, 3)

    prepared = prepare_rows(db.session, sheet, mapping, load_lookups(db.session), TODAY)
    rehearse(db.session, officer, prepared, "журнал.xlsx", NOW)

    states = Counter(row.state for row in prepared)
    assert states == {"ready": len(rows) - len(BROKEN), "problems": len(BROKEN)}
    broken = {row.number - 2: _problems(row) for row in prepared if row.state == "problems"}
    assert broken == {17: {("partner", "unknown")}, 58: {("sent_on", "bad_date")}, 103: {("title", "missing")},
                      177: {("partner", "unknown")}, 240: {("sent_on", "bad_date")}, 301: {("status", "unknown")}}

    outcome = import_rows(db.session, officer, prepared, "журнал.xlsx", NOW, NOW.tzinfo)
    assert len(outcome.imported) == len(rows) - len(BROKEN) and len(outcome.problems) == len(BROKEN)

    again = prepare_rows(db.session, sheet, mapping, load_lookups(db.session), TODAY)
    assert Counter(row.state for row in again) == {"imported": len(rows) - len(BROKEN), "problems": len(BROKEN)}
    answered = db.session.scalar(select(func.count()).select_from(CooperationRequest)
                                 .where(CooperationRequest.status == Status.ANSWERED))
    assert answered > 0
    assert db.session.scalar(select(func.count()).select_from(RequestEvent).where(RequestEvent.via == "import")) > 0
