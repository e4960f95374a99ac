"""The benchmark's data generator, on a small scale: its rows are ones coop reads like its own."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bench.generate import generate
from coop.domain import statistics
from coop.domain.workflow import FINAL
from coop.models import CooperationRequest, Direction, Status

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def test_the_generator_writes_a_department_coop_can_read(tmp_path):
    url = f"sqlite:///{tmp_path / 'bench.sqlite'}"

    counts = generate(url, requests=200, seed=7, now=NOW, years=3, officers=5, quiet=True)

    assert counts["cooperation_request"] == 200
    assert counts["request_event"] > 400  # the history of each request
    assert counts["reminder"] > 0  # the open clocks' reminders, for the sweep to find
    engine = sa.create_engine(url)
    with Session(engine) as session:
        requests = session.scalars(sa.select(CooperationRequest)).all()
        closed = sum(request.status in FINAL for request in requests)
        assert closed > 150  # most requests of a real department are closed
        assert {request.direction for request in requests} == {Direction.OUTGOING, Direction.INCOMING}
        assert all(request.created_at.tzinfo is not None and request.created_at <= NOW for request in requests)
        sent = [request for request in requests if request.sent_at]
        assert all(request.direction == Direction.OUTGOING for request in sent)
        assert all(request.answered_at is None or request.answered_at >= request.sent_at for request in sent)
        assert all(request.officers for request in requests)
        refused = [request for request in requests if request.status == Status.REFUSED]
        assert all(any(event.comment for event in request.events) for request in refused)

        start, end = NOW - timedelta(days=365), NOW
        figures = statistics.response_times_overall(session, statistics.StatisticsFilters(start=start, end=end))
        assert figures.answer.count > 0 and figures.answer.median > 0
        trend = statistics.monthly_trend(session, statistics.StatisticsFilters(start=start, end=end),
                                         ZoneInfo("Asia/Almaty"))
        assert sum(month.sent + month.received for month in trend) > 0

        # It writes the history coop would have written: the rows agree with it, none is without one.
        from coop.domain.audit import verify_chain
        from coop.domain.replay import check_state

        assert counts["audit_record"] >= 400 and verify_chain(session).intact
        state = check_state(session)
        assert state.agrees and state.unrecorded == {} and state.rows == counts["audit_record"]
    engine.dispose()
