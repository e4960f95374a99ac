"""How fast a partner answers, computed from the timestamps of the requests sent to it (never typed in)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select
from sqlalchemy.orm import Session

from coop.models import CooperationRequest, Direction

SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class Spread:
    """The median and 90th percentile of a set of durations, in days; None when there are none."""

    count: int
    median_days: float | None
    p90_days: float | None


@dataclass(frozen=True)
class ResponseTimes:
    to_acknowledgement: Spread
    to_answer: Spread


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """The `fraction` quantile of non-empty `sorted_values`, interpolated linearly between neighbours."""
    position = (len(sorted_values) - 1) * fraction
    lower = int(position)
    upper = min(lower + 1, len(sorted_values) - 1)
    return sorted_values[lower] + (sorted_values[upper] - sorted_values[lower]) * (position - lower)


def spread(durations_days: Sequence[float]) -> Spread:
    """The median and 90th percentile of `durations_days`."""
    values = sorted(durations_days)
    if not values:
        return Spread(0, None, None)
    return Spread(len(values), percentile(values, 0.5), percentile(values, 0.9))


def _days_between(start: datetime, end: datetime | None) -> float | None:
    if end is None or end < start:  # not yet, or a timestamp entered wrongly: no evidence of speed
        return None
    return (end - start).total_seconds() / SECONDS_PER_DAY


def response_times(session: Session, requests: Select) -> ResponseTimes:
    """Days from sending to acknowledgement and to answer, over the outgoing, sent requests `requests` selects.

    `requests` is a SELECT of CooperationRequest (normally `visible_requests(user)` narrowed to one partner);
    only three columns of it are read.
    """
    rows = session.execute(
        requests.where(CooperationRequest.direction == Direction.OUTGOING, CooperationRequest.sent_at.is_not(None))
        .with_only_columns(CooperationRequest.sent_at, CooperationRequest.acknowledged_at,
                           CooperationRequest.answered_at)
    ).all()
    acknowledged = [days for sent, ack, _ in rows if (days := _days_between(sent, ack)) is not None]
    answered = [days for sent, _, answer in rows if (days := _days_between(sent, answer)) is not None]
    return ResponseTimes(to_acknowledgement=spread(acknowledged), to_answer=spread(answered))
