"""The list and its deadlines: the overdue filter, the next deadline shown and sorted by, overdue rows marked."""

import re
from datetime import UTC, datetime, timedelta
from itertools import count
from zoneinfo import ZoneInfo

import pytest

from coop.domain.request_search import next_deadlines, parse_filters, search_requests
from coop.extensions import db
from coop.models import ClockUnit, Deadline, DeadlineKind, DeadlineState, Role, Status
from tests.factories import make_request, make_user

NOW = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)
_sequence = count()


def add_deadline(request, due_at: datetime, state: DeadlineState = DeadlineState.OPEN,
                 kind: DeadlineKind = DeadlineKind.ANSWER_EXPECTED) -> Deadline:
    deadline = Deadline(request_id=request.id, kind=kind, sequence=next(_sequence), unit=ClockUnit.CALENDAR_DAYS,
                        due_at=due_at, state=state)
    db.session.add(deadline)
    db.session.flush()
    return deadline


def found(user, now=NOW, **args) -> list[str]:
    filters, problems = parse_filters({name: str(value) for name, value in args.items()})
    assert problems == []
    query = search_requests(user, filters, now, ZoneInfo("Asia/Almaty"))
    return [request.reference for request in db.session.scalars(query).unique()]


@pytest.fixture
def head(app):
    return make_user(db.session, "head", Role.HEAD)


def test_overdue_means_an_open_deadline_already_past(head):
    late = make_request(db.session, reference="LATE", status=Status.SENT)
    add_deadline(late, NOW - timedelta(days=2))
    add_deadline(late, NOW + timedelta(days=20), kind=DeadlineKind.STATUS_ENQUIRY)
    paused = make_request(db.session, reference="PAUSED", status=Status.ADDITIONAL_INFO_REQUESTED)
    add_deadline(paused, NOW - timedelta(days=5), DeadlineState.PAUSED)
    met = make_request(db.session, reference="MET", status=Status.ANSWERED)
    add_deadline(met, NOW - timedelta(days=9), DeadlineState.MET)
    future = make_request(db.session, reference="FUTURE", status=Status.SENT)
    add_deadline(future, NOW + timedelta(hours=1))
    make_request(db.session, reference="NONE")
    assert found(head, overdue=1) == ["LATE"]
    assert sorted(found(head)) == ["FUTURE", "LATE", "MET", "NONE", "PAUSED"]


def test_sorting_by_deadline_puts_the_earliest_open_one_first_and_none_last(head):
    first = make_request(db.session, reference="FIRST")
    add_deadline(first, NOW + timedelta(days=1))
    add_deadline(first, NOW + timedelta(days=90), kind=DeadlineKind.PRESERVATION_EXPIRY)
    second = make_request(db.session, reference="SECOND")
    add_deadline(second, NOW + timedelta(days=3))
    add_deadline(second, NOW - timedelta(days=30), DeadlineState.MET, kind=DeadlineKind.CONFIRMATION_EXPECTED)
    make_request(db.session, reference="WITHOUT")
    assert found(head, sort="deadline") == ["FIRST", "SECOND", "WITHOUT"]
    assert found(head, sort="-deadline") == ["SECOND", "FIRST", "WITHOUT"]


def test_next_deadlines_of_a_page_take_one_query(head, count_queries):
    requests = [make_request(db.session) for _ in range(5)]
    for number, request in enumerate(requests[:4]):
        add_deadline(request, NOW + timedelta(days=number + 1))
        add_deadline(request, NOW + timedelta(days=40), kind=DeadlineKind.STATUS_ENQUIRY)
    with count_queries() as counted:
        dues = next_deadlines(db.session, [request.id for request in requests])
    assert counted.count == 1
    assert dues == {request.id: NOW + timedelta(days=number + 1) for number, request in enumerate(requests[:4])}


def test_the_page_marks_overdue_rows_and_shows_the_next_deadline(client, auth, app):
    make_user(db.session, "officer")
    now = datetime.now(UTC)
    late = make_request(db.session, reference="LATE", status=Status.SENT)
    add_deadline(late, now - timedelta(days=3))
    calm = make_request(db.session, reference="CALM", status=Status.SENT)
    add_deadline(calm, now + timedelta(days=40))
    auth.login("officer")
    html = client.get("/requests/?sort=deadline").get_data(as_text=True)
    rows = dict(re.findall(r'<tr class="([^"]*)" data-reference="([A-Z]+)"', html)[i][::-1] for i in range(2))
    assert rows == {"LATE": "row-overdue", "CALM": ""}
    assert "due-overdue" in html.split('data-reference="LATE"')[1].split("</tr>")[0]
    overdue_only = client.get("/requests/?overdue=1").get_data(as_text=True)
    assert re.findall(r'data-reference="([A-Z]+)"', overdue_only) == ["LATE"]
