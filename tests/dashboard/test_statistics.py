"""Every figure of the dashboard, checked against data built for the test (on SQLite and PostgreSQL)."""

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coop.domain import statistics
from coop.domain.statistics import StatisticsFilters
from coop.extensions import db
from coop.models import Direction, EventKind, PartnerKind, RequestEvent, Status
from tests.factories import make_partner, make_request, make_request_type, make_user

ZONE = ZoneInfo("Asia/Almaty")
NOW = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)
S = Status


def period(first: date, last: date) -> StatisticsFilters:
    start, end = statistics.period_of_local_days(first, last, ZONE)
    return StatisticsFilters(start=start, end=end)


YEAR = period(date(2025, 7, 1), date(2026, 6, 30))


def at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


@pytest.fixture
def partners(app):
    session = db.session
    return {
        "meta": make_partner(session, "meta", PartnerKind.PROVIDER, name_ru="Мета", name_en="Meta"),
        "telegram": make_partner(session, "telegram", PartnerKind.PROVIDER, name_ru="Телеграм", name_en="Telegram"),
        "DE": make_partner(session, "DE", PartnerKind.COUNTRY, name_ru="Германия", name_en="Germany"),
    }


def sent_request(partner, sent: str, acknowledged_after: float | None = None, answered_after: float | None = None,
                 status: Status = S.CLOSED, **fields):
    sent_at = at(sent)
    return make_request(
        db.session, Direction.OUTGOING, status, partner=partner, sent_at=sent_at,
        acknowledged_at=sent_at + timedelta(days=acknowledged_after) if acknowledged_after is not None else None,
        answered_at=sent_at + timedelta(days=answered_after) if answered_after is not None else None, **fields)


def test_open_requests_are_counted_by_status_in_workflow_order(partners):
    for status in (S.SENT, S.SENT, S.DRAFT, S.CLOSED, S.REFUSED, S.ANSWERED):
        make_request(db.session, Direction.OUTGOING, status, partner=partners["meta"])
    make_request(db.session, Direction.INCOMING, S.IN_EXECUTION, partner=partners["DE"],
                 request_type=make_request_type(db.session, "mla_incoming", Direction.INCOMING))

    assert statistics.open_by_status(db.session, YEAR) == [(S.DRAFT, 1), (S.SENT, 2), (S.IN_EXECUTION, 1),
                                                            (S.ANSWERED, 1)]


def test_open_requests_by_partner_split_into_stages_and_kinds(partners):
    incoming = make_request_type(db.session, "mla_incoming", Direction.INCOMING)
    for status in (S.DRAFT, S.AWAITING_APPROVAL, S.SENT, S.IN_EXECUTION, S.ADDITIONAL_INFO_REQUESTED, S.ANSWERED,
                   S.CLOSED):
        make_request(db.session, Direction.OUTGOING, status, partner=partners["meta"])
    make_request(db.session, Direction.OUTGOING, S.SENT, partner=partners["telegram"])
    make_request(db.session, Direction.INCOMING, S.IN_EXECUTION, partner=partners["DE"], request_type=incoming)
    make_request(db.session, Direction.INCOMING, S.POSTPONED, partner=partners["DE"], request_type=incoming)

    providers = statistics.open_by_partner(db.session, YEAR, PartnerKind.PROVIDER, NOW)
    assert [row.code for row in providers.items] == ["meta", "telegram"]
    meta = providers.items[0]
    assert meta.total == 6
    assert meta.stages == {"preparation": 2, "with_partner": 2, "paused": 1, "incoming": 0, "answered": 1}
    countries = statistics.open_by_partner(db.session, YEAR, PartnerKind.COUNTRY, NOW)
    assert [(row.code, row.total, row.stages["incoming"], row.stages["paused"]) for row in countries.items] == [
        ("DE", 2, 1, 1)]


def test_open_requests_by_partner_are_paged_most_open_first_then_by_code(app):
    for index, code in enumerate(["aa", "bb", "cc", "dd"]):
        partner = make_partner(db.session, code)
        for _ in range(1 + index % 2):
            make_request(db.session, Direction.OUTGOING, S.SENT, partner=partner)

    first = statistics.open_by_partner(db.session, YEAR, PartnerKind.PROVIDER, NOW, page=1, per_page=3)
    second = statistics.open_by_partner(db.session, YEAR, PartnerKind.PROVIDER, NOW, page=2, per_page=3)

    assert [row.code for row in first.items] == ["bb", "dd", "aa"]
    assert [row.code for row in second.items] == ["cc"]
    assert (first.total, first.pages, first.has_next, second.has_prev) == (4, 2, True, True)
    past_the_end = statistics.open_by_partner(db.session, YEAR, PartnerKind.PROVIDER, NOW, page=9, per_page=3)
    assert past_the_end.page == 2


def test_headline_counts_work_now_and_what_moved_in_the_period(partners):
    incoming = make_request_type(db.session, "mla_incoming", Direction.INCOMING)
    sent_request(partners["meta"], "2025-07-01", answered_after=3)  # sent on the first day: counted
    sent_request(partners["meta"], "2025-06-30", answered_after=5)  # sent before, answered inside
    sent_request(partners["meta"], "2026-06-01", status=S.SENT)
    sent_request(partners["DE"], "2026-01-10", answered_after=30, status=S.REFUSED)
    make_request(db.session, Direction.OUTGOING, S.AWAITING_APPROVAL, partner=partners["meta"])
    make_request(db.session, Direction.INCOMING, S.RECEIVED, partner=partners["DE"], request_type=incoming,
                 received_at=at("2026-03-03"))
    make_request(db.session, Direction.INCOMING, S.CLOSED, partner=partners["DE"], request_type=incoming,
                 received_at=at("2024-03-03"))

    figures = statistics.headline(db.session, YEAR, NOW)

    assert figures.open == 3  # the SENT, the AWAITING_APPROVAL and the RECEIVED one
    assert figures.awaiting_approval == 1
    assert figures.sent == 3
    assert figures.received == 1
    assert figures.answered == 2
    assert figures.refused == 1


def test_the_period_is_made_of_local_days(partners):
    # 30.06.2025 20:00 UTC is already 01.07.2025 in Almaty (UTC+5): inside a period starting on 1 July.
    make_request(db.session, Direction.OUTGOING, S.SENT, partner=partners["meta"],
                 sent_at=datetime(2025, 6, 30, 20, 0, tzinfo=UTC))
    make_request(db.session, Direction.OUTGOING, S.SENT, partner=partners["meta"],
                 sent_at=datetime(2025, 6, 30, 18, 59, tzinfo=UTC))

    assert statistics.headline(db.session, YEAR, NOW).sent == 1


def test_monthly_trend_counts_sent_and_received_per_local_month(partners):
    incoming = make_request_type(db.session, "mla_incoming", Direction.INCOMING)
    sent_request(partners["meta"], "2026-04-02")
    sent_request(partners["meta"], "2026-04-29")
    # 31.03 at 20:00 UTC is 1 April in Almaty.
    make_request(db.session, Direction.OUTGOING, S.SENT, partner=partners["meta"],
                 sent_at=datetime(2026, 3, 31, 20, 0, tzinfo=UTC))
    make_request(db.session, Direction.INCOMING, S.RECEIVED, partner=partners["DE"], request_type=incoming,
                 received_at=at("2026-05-20"))

    trend = statistics.monthly_trend(db.session, period(date(2026, 3, 1), date(2026, 5, 31)), ZONE)

    assert [(row.month, row.sent, row.received) for row in trend] == [
        (date(2026, 3, 1), 0, 0), (date(2026, 4, 1), 3, 0), (date(2026, 5, 1), 0, 1)]


def test_median_and_90th_percentile_interpolate_like_percentile_cont(partners):
    for days in (1, 2, 3, 4, 10):
        sent_request(partners["meta"], "2026-01-05", acknowledged_after=days // 2, answered_after=days)

    times = statistics.response_times_overall(db.session, YEAR)

    assert times.answer.count == 5
    assert times.answer.median == pytest.approx(3)
    assert times.answer.p90 == pytest.approx(7.6)  # 4 + 0.6 x (10 - 4)
    assert times.acknowledge.median == pytest.approx(1)  # 0, 1, 1, 2, 5
    assert times.acknowledge.p90 == pytest.approx(3.8)  # 2 + 0.6 x (5 - 2)


def test_a_single_reply_is_its_own_median_and_percentile(partners):
    sent_request(partners["meta"], "2026-01-05", answered_after=6)

    times = statistics.response_times_overall(db.session, YEAR)

    assert (times.answer.count, times.answer.median, times.answer.p90) == (1, pytest.approx(6), pytest.approx(6))
    assert times.acknowledge.count == 0 and times.acknowledge.median is None


def test_response_times_count_calendar_days_of_the_local_dates(partners):
    # Sent at 23:30 in Almaty, answered 2 hours later (past midnight): one calendar day. Sent at 00:30, answered
    # at 23:00 the same local day: none.
    late = datetime(2026, 1, 5, 18, 30, tzinfo=UTC)
    make_request(db.session, Direction.OUTGOING, S.CLOSED, partner=partners["meta"], sent_at=late,
                 answered_at=late + timedelta(hours=2))
    early = datetime(2026, 1, 6, 19, 30, tzinfo=UTC)
    make_request(db.session, Direction.OUTGOING, S.CLOSED, partner=partners["meta"], sent_at=early,
                 answered_at=early + timedelta(hours=22, minutes=30))

    times = statistics.response_times_overall(db.session, YEAR)

    assert times.answer.count == 2
    assert times.answer.median == pytest.approx(0.5)  # 0 and 1


def test_response_times_count_replies_received_in_the_period(partners):
    sent_request(partners["meta"], "2025-05-01", answered_after=90)  # answered 30.07.2025: inside
    sent_request(partners["meta"], "2026-06-20", answered_after=20)  # answered in July 2026: outside
    sent_request(partners["meta"], "2026-01-01", status=S.SENT)  # no reply yet: no evidence

    times = statistics.response_times_overall(db.session, YEAR)

    assert times.answer.count == 1
    assert times.answer.median == pytest.approx(90)


def test_response_times_by_kind_and_by_partner(partners):
    for days in (2, 4):
        sent_request(partners["meta"], "2026-02-01", answered_after=days)
    sent_request(partners["telegram"], "2026-02-01", answered_after=8)
    for days in (30, 60, 90):
        sent_request(partners["DE"], "2026-01-01", acknowledged_after=5, answered_after=days)

    by_kind = {row.kind: row for row in statistics.response_times_by_kind(db.session, YEAR)}
    assert by_kind[PartnerKind.COUNTRY].answer.median == pytest.approx(60)
    assert by_kind[PartnerKind.COUNTRY].acknowledge.median == pytest.approx(5)
    assert by_kind[PartnerKind.PROVIDER].answer.median == pytest.approx(4)
    assert by_kind[PartnerKind.PROVIDER].acknowledge.count == 0
    # Everyone's figures come from the kinds' histograms together: 2, 4, 8, 30, 60, 90 days.
    assert (by_kind[None].answer.count, by_kind[None].answer.median, by_kind[None].answer.p90) == (
        6, pytest.approx(19), pytest.approx(75))

    page = statistics.response_times_by_partner(db.session, YEAR)
    assert [(row.code, row.answer.count, row.answer.median) for row in page.items] == [
        ("DE", 3, pytest.approx(60)), ("meta", 2, pytest.approx(3)), ("telegram", 1, pytest.approx(8))]
    assert page.items[0].answer.p90 == pytest.approx(84)


def test_response_times_month_by_month_for_one_partner(partners):
    sent_request(partners["meta"], "2026-03-01", answered_after=4)
    sent_request(partners["meta"], "2026-03-02", answered_after=6)
    sent_request(partners["meta"], "2026-05-02", answered_after=10)
    sent_request(partners["telegram"], "2026-03-01", answered_after=50)
    filters = StatisticsFilters(**{**period(date(2026, 3, 1), date(2026, 5, 31)).__dict__,
                                   "partner_id": partners["meta"].id})

    months = statistics.response_times_by_month(db.session, filters, ZONE)

    assert [(row.key, row.answer.count, row.answer.median) for row in months] == [
        (date(2026, 3, 1), 2, pytest.approx(5)), (date(2026, 4, 1), 0, None), (date(2026, 5, 1), 1,
                                                                             pytest.approx(10))]


def test_filters_narrow_every_figure(partners):
    officer = make_user(db.session, "a.karimova")
    other_type = make_request_type(db.session, "mla_outgoing", Direction.OUTGOING)
    sent_request(partners["meta"], "2026-02-01", answered_after=2, officers=[officer])
    sent_request(partners["meta"], "2026-02-01", answered_after=20, request_type=other_type, status=S.SENT)
    sent_request(partners["DE"], "2026-02-01", answered_after=40, status=S.SENT)

    mine = StatisticsFilters(start=YEAR.start, end=YEAR.end, officer_id=officer.id)
    assert statistics.headline(db.session, mine, NOW).sent == 1
    assert statistics.response_times_overall(db.session, mine).answer.median == pytest.approx(2)

    of_type = StatisticsFilters(start=YEAR.start, end=YEAR.end, request_type_id=other_type.id)
    assert statistics.open_by_status(db.session, of_type) == [(S.SENT, 1)]

    countries = StatisticsFilters(start=YEAR.start, end=YEAR.end, partner_kind=PartnerKind.COUNTRY)
    assert statistics.headline(db.session, countries, NOW).open == 1
    everyone_first = [None, PartnerKind.COUNTRY]
    assert [row.kind for row in statistics.response_times_by_kind(db.session, countries)] == everyone_first

    incoming_only = StatisticsFilters(start=YEAR.start, end=YEAR.end, direction=Direction.INCOMING)
    assert statistics.headline(db.session, incoming_only, NOW).sent == 0
    assert statistics.monthly_trend(db.session, incoming_only, ZONE)[7].sent == 0


def test_requests_awaiting_approval_list_the_longest_waiting_first_with_officers(partners):
    first_officer = make_user(db.session, "d.nurlanov", full_name="Данияр Нурланов")
    second_officer = make_user(db.session, "m.ivanov", full_name="Максим Иванов")
    older = make_request(db.session, Direction.OUTGOING, S.AWAITING_APPROVAL, partner=partners["meta"],
                         officers=[first_officer, second_officer], updated_at=at("2026-06-01"))
    newer = make_request(db.session, Direction.OUTGOING, S.AWAITING_APPROVAL, partner=partners["DE"],
                         updated_at=at("2026-06-10"))
    db.session.add(RequestEvent(request=older, kind=EventKind.TRANSITION, at=at("2026-05-31"),
                                from_status=S.DRAFT, to_status=S.AWAITING_APPROVAL))
    make_request(db.session, Direction.OUTGOING, S.DRAFT, partner=partners["meta"])
    db.session.flush()

    page = statistics.awaiting_approval(db.session, YEAR)

    assert [row.id for row in page.items] == [older.id, newer.id]
    assert sorted(page.items[0].officers.split(", ")) == ["Данияр Нурланов", "Максим Иванов"]
    assert page.items[0].at == at("2026-05-31")
    assert page.items[1].at == at("2026-06-10")  # no event recorded: the last change stands in


def test_partner_summary_refusals_and_their_reasons(partners):
    meta = partners["meta"]
    refused = []
    for reason in ("Нет двойной криминальности", "Нет двойной криминальности", "Данные не хранятся"):
        request = sent_request(meta, "2026-02-01", answered_after=10, status=S.REFUSED)
        db.session.add(RequestEvent(request=request, kind=EventKind.TRANSITION, at=request.answered_at,
                                    from_status=S.SENT, to_status=S.REFUSED, comment=reason))
        refused.append(request)
    sent_request(meta, "2026-02-01", answered_after=3, status=S.CLOSED)
    sent_request(meta, "2026-02-01", answered_after=3, status=S.NO_DATA)
    sent_request(meta, "2026-02-01", status=S.SENT)
    sent_request(partners["DE"], "2026-02-01", answered_after=10, status=S.REFUSED)
    db.session.flush()
    filters = StatisticsFilters(start=YEAR.start, end=YEAR.end, partner_id=meta.id)

    summary = statistics.partner_summary(db.session, filters)
    assert (summary.total, summary.outgoing, summary.open, summary.refused, summary.no_data, summary.answered) == (
        6, 6, 1, 3, 1, 1)
    assert summary.stages["with_partner"] == 1
    assert statistics.refusal_reasons(db.session, filters) == [("Нет двойной криминальности", 2),
                                                               ("Данные не хранятся", 1)]
    page = statistics.refusals(db.session, filters)
    assert page.total == 3
    assert {item.reason for item in page.items} == {"Нет двойной криминальности", "Данные не хранятся"}


def test_months_between_clips_to_the_period():
    start = datetime(2026, 1, 15, tzinfo=ZONE)
    end = datetime(2026, 3, 10, tzinfo=ZONE)

    months = statistics.months_between(start, end, ZONE)

    assert [month for month, _, _ in months] == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    assert months[0][1] == start and months[-1][2] == end


@given(st.lists(st.integers(min_value=0, max_value=400), min_size=1, max_size=60))
def test_percentiles_of_a_histogram_are_those_of_its_values(values):
    """percentile_cont over the values themselves: the value at rank f x (n - 1), interpolated."""
    ordered = sorted(values)

    def percentile(fraction: float) -> float:
        position = fraction * (len(ordered) - 1)
        low = int(position)
        high = min(low + 1, len(ordered) - 1)
        return ordered[low] + (position - low) * (ordered[high] - ordered[low])

    count, median, p90 = statistics.histogram_percentiles(Counter(values))
    assert (count, median, p90) == (len(values), pytest.approx(percentile(0.5)), pytest.approx(percentile(0.9)))
