"""What a person has to do: their open requests, what is due soon or overdue, what waits for the head.

Plain queries with no Flask; the home page shows them. Counting is done in SQL, lists are limited. Counts by
status come from the tallies and deadlines from the open-deadline projection (coop.domain.figures), so that
an officer with a hundred thousand requests behind them gets their home page as fast as a newcomer.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, case, exists, func, select, true
from sqlalchemy.orm import Session, joinedload

from coop.domain.access import visible_requests
from coop.domain.workflow import FINAL
from coop.models import (
    ALL_OFFICERS,
    CooperationRequest,
    Deadline,
    Direction,
    OfficerQueue,
    OpenDeadline,
    Partner,
    RequestType,
    Role,
    Status,
    StatusTally,
    Urgency,
    User,
    request_officer,
)

# Outgoing requests the partner owes us an answer to.
AWAITING_PARTNER = frozenset({Status.SENT, Status.FORWARDED, Status.ACKNOWLEDGED, Status.IN_EXECUTION,
                              Status.PARTIALLY_ANSWERED})
_URGENCY_RANK = case((CooperationRequest.urgency == Urgency.EMERGENCY, 0),
                     (CooperationRequest.urgency == Urgency.URGENT, 1), else_=2)


def _open():
    return CooperationRequest.status.not_in(sorted(FINAL))


def my_open_requests(user: User) -> Select:
    """`user`'s open requests, the most urgent first, then by their next deadline (none last)."""
    queue = OfficerQueue
    return (select(CooperationRequest)
            .join(queue, and_(queue.request_id == CooperationRequest.id, queue.officer_id == user.id))
            .options(joinedload(CooperationRequest.partner), joinedload(CooperationRequest.request_type))
            .order_by(queue.urgency_rank, queue.without_deadline, queue.next_due_at, queue.request_id))


def awaiting_approval(user: User) -> Select:
    """Outgoing requests waiting for a head's approval, the oldest first."""
    return (visible_requests(user)
            .where(CooperationRequest.status == Status.AWAITING_APPROVAL)
            .options(joinedload(CooperationRequest.partner), joinedload(CooperationRequest.request_type),
                     joinedload(CooperationRequest.created_by))
            .order_by(_URGENCY_RANK, CooperationRequest.updated_at, CooperationRequest.id))


@dataclass(frozen=True)
class QueueCounts:
    """How many open requests there are; how many have their next deadline past, or before the horizon; how many
    wait for the partner, for approval."""

    open: int = 0
    overdue: int = 0
    due_soon: int = 0
    awaiting_partner: int = 0
    awaiting_approval: int = 0


def queue_counts(session: Session, user: User, now: datetime, horizon: datetime, mine_only: bool) -> QueueCounts:
    """The home page's figures: `user`'s own requests, or the whole department's (a head's view)."""
    tally = StatusTally
    by_status = session.execute(
        select(tally.status, tally.direction, func.sum(tally.count))
        .where(tally.officer_id == (user.id if mine_only else ALL_OFFICERS))
        .group_by(tally.status, tally.direction)
    ).all()

    def deadlines_between(start: datetime | None, end: datetime) -> int:
        """Open requests whose next deadline falls in [start, end): an officer's from their queue, a head's from
        every open deadline."""
        if mine_only:
            queue = OfficerQueue
            conditions = [queue.officer_id == user.id, queue.next_due_at < end]
            if start is not None:
                conditions.append(queue.next_due_at >= start)
            return session.scalar(select(func.count()).select_from(queue).where(*conditions)) or 0
        deadline = OpenDeadline
        first_due = (select(deadline.request_id, func.min(deadline.due_at).label("due_at"))
                     .where(*_due_conditions(user, end, mine_only)).group_by(deadline.request_id).subquery())
        return session.scalar(select(func.count()).select_from(first_due)
                              .where(first_due.c.due_at >= start if start is not None else true())) or 0

    return QueueCounts(
        open=sum(count for status, _direction, count in by_status if status not in FINAL),
        overdue=deadlines_between(None, now),
        due_soon=deadlines_between(now, horizon),
        awaiting_partner=sum(count for status, direction, count in by_status
                             if direction == Direction.OUTGOING and status in AWAITING_PARTNER),
        awaiting_approval=sum(count for status, _direction, count in by_status if status == Status.AWAITING_APPROVAL),
    )


def _scope(user: User, mine_only: bool) -> Select:
    """The requests listed: those assigned to `user` (they always see them), or all they may see."""
    if mine_only:
        return select(CooperationRequest).where(CooperationRequest.id.in_(
            select(request_officer.c.request_id).where(request_officer.c.user_id == user.id)))
    return visible_requests(user)


def _due_conditions(user: User, horizon: datetime, mine_only: bool) -> list:
    """Open deadlines of open requests falling before `horizon`: of `user`'s requests, or of all (a head's)."""
    deadline = OpenDeadline
    conditions = [deadline.due_at < horizon, deadline.request_status.not_in(sorted(FINAL))]
    if mine_only:
        conditions.append(exists().where(request_officer.c.request_id == deadline.request_id,
                                         request_officer.c.user_id == user.id))
    return conditions


@dataclass(frozen=True)
class DueItem:
    """One open deadline of a request, for the "what is due" lists."""

    deadline: Deadline
    request: CooperationRequest

    def overdue(self, now: datetime) -> bool:
        return self.deadline.due_at < now


def deadlines_due(session: Session, user: User, horizon: datetime, mine_only: bool, limit: int = 50) -> list[DueItem]:
    """Open deadlines falling before `horizon` (the overdue ones included), the earliest first.

    The deadlines are chosen in the narrow open_deadline rows, then only those are loaded with their requests.
    """
    shown = (select(OpenDeadline.deadline_id).where(*_due_conditions(user, horizon, mine_only))
             .order_by(OpenDeadline.due_at, OpenDeadline.deadline_id).limit(limit))
    query = (select(Deadline, CooperationRequest)
             .join(CooperationRequest, CooperationRequest.id == Deadline.request_id)
             .where(Deadline.id.in_(shown))
             .options(joinedload(CooperationRequest.partner))
             .order_by(Deadline.due_at, Deadline.id))
    return [DueItem(deadline, request) for deadline, request in session.execute(query)]


@dataclass(frozen=True)
class AdminOverview:
    """What an administrator looks after: people and reference data."""

    users_by_role: dict[Role, int]
    inactive_users: int
    partners_by_kind: dict[str, int]
    request_types: int
    requests: int


def admin_overview(session: Session) -> AdminOverview:
    """The administrator's figures, in four small aggregate queries."""
    by_role = {role: count for role, count in session.execute(
        select(User.role, func.count(User.id)).where(User.active.is_(True)).group_by(User.role))}
    inactive = session.scalar(select(func.count(User.id)).where(User.active.is_(False)))
    partners = {kind.value: count for kind, count in session.execute(
        select(Partner.kind, func.count(Partner.id)).where(Partner.active.is_(True)).group_by(Partner.kind))}
    request_types = session.scalar(select(func.count(RequestType.id)).where(RequestType.active.is_(True)))
    requests = session.scalar(select(func.count(CooperationRequest.id)))
    return AdminOverview(by_role, inactive or 0, partners, request_types or 0, requests or 0)
