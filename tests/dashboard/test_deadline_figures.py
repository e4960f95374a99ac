"""The dashboard's deadline figures: overdue, due within a week, open deadlines of a partner."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from coop.domain import statistics
from coop.domain.statistics import StatisticsFilters
from coop.extensions import db
from coop.models import Direction, PartnerKind, Status
from coop.models.deadlines import ClockUnit, Deadline, DeadlineKind, DeadlineState
from tests.factories import make_partner, make_request, make_user

NOW = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)
S = Status


def year() -> StatisticsFilters:
    start, end = statistics.period_of_local_days(date(2025, 7, 1), date(2026, 6, 30), ZoneInfo("Asia/Almaty"))
    return StatisticsFilters(start=start, end=end)


def add_deadline(request, due_at: datetime, state=DeadlineState.OPEN, kind=DeadlineKind.ANSWER_EXPECTED):
    sequence = sum(1 for item in db.session.new if isinstance(item, Deadline))
    deadline = Deadline(request_id=request.id, kind=kind, sequence=sequence, due_at=due_at, state=state,
                        unit=ClockUnit.CALENDAR_DAYS)
    db.session.add(deadline)
    db.session.flush()
    return deadline


@pytest.fixture
def requests(app):
    officer = make_user(db.session, "a.karimova", full_name="Асель Каримова")
    meta = make_partner(db.session, "meta", PartnerKind.PROVIDER)
    germany = make_partner(db.session, "DE", PartnerKind.COUNTRY)
    return {
        "late": make_request(db.session, Direction.OUTGOING, S.SENT, partner=meta, officers=[officer]),
        "later": make_request(db.session, Direction.OUTGOING, S.SENT, partner=meta),
        "soon": make_request(db.session, Direction.OUTGOING, S.SENT, partner=germany, officers=[officer]),
        "far": make_request(db.session, Direction.OUTGOING, S.SENT, partner=germany),
        "met": make_request(db.session, Direction.OUTGOING, S.CLOSED, partner=germany),
    }


def test_overdue_lists_open_deadlines_past_now_oldest_first_with_officers(requests):
    add_deadline(requests["later"], NOW - timedelta(days=1))
    add_deadline(requests["late"], NOW - timedelta(days=9))
    add_deadline(requests["soon"], NOW + timedelta(days=2))
    add_deadline(requests["met"], NOW - timedelta(days=40), DeadlineState.MET)

    page = statistics.overdue(db.session, year(), NOW)

    assert [row.id for row in page.items] == [requests["late"].id, requests["later"].id]
    assert page.items[0].officers == "Асель Каримова"
    assert page.items[0].at == NOW - timedelta(days=9)


def test_due_soon_lists_the_next_seven_days_nearest_first(requests):
    add_deadline(requests["far"], NOW + timedelta(days=8))
    add_deadline(requests["soon"], NOW + timedelta(days=2))
    add_deadline(requests["later"], NOW + timedelta(hours=3))
    add_deadline(requests["late"], NOW - timedelta(hours=1))

    page = statistics.due_soon(db.session, year(), NOW)

    assert [row.id for row in page.items] == [requests["later"].id, requests["soon"].id]


def test_headline_and_partner_rows_count_overdue_and_due_soon(requests):
    add_deadline(requests["late"], NOW - timedelta(days=9))
    add_deadline(requests["late"], NOW - timedelta(days=2), kind=DeadlineKind.STATUS_ENQUIRY)  # twice late
    add_deadline(requests["soon"], NOW + timedelta(days=2))
    add_deadline(requests["far"], NOW + timedelta(days=30))

    figures = statistics.headline(db.session, year(), NOW)
    assert (figures.overdue, figures.due_soon) == (2, 1)
    providers = statistics.open_by_partner(db.session, year(), PartnerKind.PROVIDER, NOW)
    assert [(row.code, row.overdue) for row in providers.items] == [("meta", 1)]


def test_a_partner_scorecard_lists_its_open_deadlines(requests):
    add_deadline(requests["far"], NOW + timedelta(days=30))
    add_deadline(requests["soon"], NOW + timedelta(days=2))
    add_deadline(requests["late"], NOW - timedelta(days=9))
    germany = requests["far"].partner
    filters = StatisticsFilters(start=year().start, end=year().end, partner_id=germany.id)

    page = statistics.open_deadlines(db.session, filters)

    assert [row.id for row in page.items] == [requests["soon"].id, requests["far"].id]
