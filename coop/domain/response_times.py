"""How fast a partner answers, computed from the timestamps of the requests sent to it (never typed in)."""

from dataclasses import dataclass

from sqlalchemy import Select
from sqlalchemy.orm import Session

from coop.domain.statistics import percentiles_by_group
from coop.models import CooperationRequest, Direction


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


def _spread(session: Session, requests: Select, end_column) -> Spread:
    sent = CooperationRequest.sent_at
    # A date entered before the sending is a typing error, no evidence of speed.
    conditions = [CooperationRequest.direction == Direction.OUTGOING, sent.is_not(None), end_column.is_not(None),
                  end_column >= sent]
    if requests.whereclause is not None:
        conditions.append(requests.whereclause)
    found = percentiles_by_group(session, None, sent, end_column, conditions).get(0)
    if not found or not found[0]:
        return Spread(0, None, None)
    count, median, p90 = found
    return Spread(count, median, p90)


def response_times(session: Session, requests: Select) -> ResponseTimes:
    """Days from sending to acknowledgement and to answer, over the outgoing, sent requests `requests` selects.

    `requests` is a SELECT of CooperationRequest (normally `visible_requests(user)` narrowed to one partner); its
    conditions are reused and the percentiles computed in SQL by coop.domain.statistics, the dashboard's own
    function, so a busy partner's page reads a few rows instead of all its requests.
    """
    return ResponseTimes(to_acknowledgement=_spread(session, requests, CooperationRequest.acknowledged_at),
                         to_answer=_spread(session, requests, CooperationRequest.answered_at))
