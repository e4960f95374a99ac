"""Observed response times: computed from the requests' own dates, median and 90th percentile in days."""

from datetime import UTC, datetime, timedelta

import pytest

from coop.domain.access import visible_requests
from coop.domain.response_times import response_times
from coop.extensions import db
from coop.models import CooperationRequest, Direction, Role, Status
from tests.factories import make_partner, make_request, make_user

SENT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _sent_request(partner, acknowledged_after=None, answered_after=None, **fields):
    return make_request(
        db.session, partner=partner, status=Status.ANSWERED if answered_after else Status.SENT, sent_at=SENT,
        acknowledged_at=SENT + acknowledged_after if acknowledged_after is not None else None,
        answered_at=SENT + answered_after if answered_after is not None else None, **fields,
    )


def test_response_times_from_known_requests(app):
    meta = make_partner(db.session, "meta")
    other = make_partner(db.session, "google")
    for days in (2, 4, 6, 8, 10):
        _sent_request(meta, acknowledged_after=timedelta(days=1), answered_after=timedelta(days=days))
    _sent_request(meta, acknowledged_after=timedelta(hours=12))  # acknowledged, not yet answered
    _sent_request(meta)  # neither
    make_request(db.session, partner=meta, status=Status.DRAFT)  # not sent: no evidence of speed
    make_request(db.session, partner=meta, direction=Direction.INCOMING, received_at=SENT,
                 answered_at=SENT + timedelta(days=90))  # our speed, not theirs
    _sent_request(other, answered_after=timedelta(days=300))
    head = make_user(db.session, role=Role.HEAD)

    times = response_times(db.session, visible_requests(head).where(CooperationRequest.partner_id == meta.id))

    assert times.to_answer.count == 5
    assert times.to_answer.median_days == 6
    assert times.to_answer.p90_days == pytest.approx(9.2)
    assert times.to_acknowledgement.count == 6
    assert times.to_acknowledgement.median_days == 1
    assert times.to_acknowledgement.p90_days == 1


def test_a_date_before_sending_is_ignored(app):
    meta = make_partner(db.session, "meta")
    _sent_request(meta, answered_after=timedelta(days=-3))
    head = make_user(db.session, role=Role.HEAD)

    times = response_times(db.session, visible_requests(head))

    assert times.to_answer.count == 0


def test_an_officer_sees_figures_only_from_requests_they_may_see(app):
    meta = make_partner(db.session, "meta")
    officer = make_user(db.session)
    _sent_request(meta, answered_after=timedelta(days=2))
    _sent_request(meta, answered_after=timedelta(days=40), restricted=True)

    times = response_times(db.session, visible_requests(officer).where(CooperationRequest.partner_id == meta.id))

    assert (times.to_answer.count, times.to_answer.median_days) == (1, 2)


def test_percentile_interpolates_between_neighbours(app):
    head = make_user(db.session, role=Role.HEAD)
    meta = make_partner(db.session, "meta")
    for days in (1.0, 2.0, 3.0, 4.0, 10.0):
        _sent_request(meta, answered_after=timedelta(days=days))
    times = response_times(db.session, visible_requests(head).where(CooperationRequest.partner_id == meta.id))
    assert times.to_answer.median_days == 3.0
    assert times.to_answer.p90_days == pytest.approx(7.6)

    alone = make_partner(db.session, "telegram")
    _sent_request(alone, answered_after=timedelta(days=5))
    times = response_times(db.session, visible_requests(head).where(CooperationRequest.partner_id == alone.id))
    assert times.to_answer.p90_days == 5.0


def test_spread_of_nothing_is_empty(app):
    head = make_user(db.session, role=Role.HEAD)
    times = response_times(db.session, visible_requests(head))
    assert times.to_answer.count == 0
    assert times.to_answer.median_days is None
