"""What a person has to do: their open requests, what is due soon or overdue, what waits for the head.

Plain queries with no Flask; the home page shows them. Counting is done in SQL, lists are limited.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session, joinedload

from coop.domain.access import visible_requests
from coop.domain.request_search import next_deadline_column
from coop.domain.workflow import FINAL
from coop.models import (
    CooperationRequest,
    Deadline,
    DeadlineState,
    Direction,
    Partner,
    RequestType,
    Role,
    Status,
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
    return (_scope(user, mine_only=True)
            .where(_open())
            .options(joinedload(CooperationRequest.partner), joinedload(CooperationRequest.request_type))
            .order_by(_URGENCY_RANK, next_deadline_column().asc().nulls_last(), CooperationRequest.id))


def awaiting_approval(user: User) -> Select:
    """Outgoing requests waiting for a head's approval, the oldest first."""
    return (visible_requests(user)
            .where(CooperationRequest.status == Status.AWAITING_APPROVAL)
            .options(joinedload(CooperationRequest.partner), joinedload(CooperationRequest.request_type),
                     joinedload(CooperationRequest.created_by))
            .order_by(_URGENCY_RANK, CooperationRequest.updated_at, CooperationRequest.id))


@dataclass(frozen=True)
class QueueCounts:
    """How many open requests there are, how many are overdue, due before the horizon, with the partner."""

    open: int = 0
    overdue: int = 0
    due_soon: int = 0
    awaiting_partner: int = 0
    awaiting_approval: int = 0


def queue_counts(session: Session, user: User, now: datetime, horizon: datetime, mine_only: bool) -> QueueCounts:
    """The home page's figures: `user`'s own requests, or all they can see.

    Three aggregates the indexes answer (status and direction; deadline state and date), rather than one
    pass over every request: the home page stays fast however many requests the department has.
    """
    scope = _scope(user, mine_only)
    by_status = session.execute(
        scope.with_only_columns(CooperationRequest.status, CooperationRequest.direction,
                                func.count(CooperationRequest.id))
        .group_by(CooperationRequest.status, CooperationRequest.direction)
    ).all()

    def deadlines_between(start: datetime | None, end: datetime) -> int:
        conditions = [Deadline.state == DeadlineState.OPEN, Deadline.due_at < end, _open()]
        if start is not None:
            conditions.append(Deadline.due_at >= start)
        return session.scalar(
            scope.with_only_columns(func.count(func.distinct(Deadline.request_id)))
            .select_from(CooperationRequest).join(Deadline, Deadline.request_id == CooperationRequest.id)
            .where(*conditions)) or 0

    return QueueCounts(
        open=sum(count for status, _direction, count in by_status if status not in FINAL),
        overdue=deadlines_between(None, now),
        due_soon=deadlines_between(now, horizon),
        awaiting_partner=sum(count for status, direction, count in by_status
                             if direction == Direction.OUTGOING and status in AWAITING_PARTNER),
        awaiting_approval=sum(count for status, _direction, count in by_status if status == Status.AWAITING_APPROVAL),
    )


def _scope(user: User, mine_only: bool) -> Select:
    """The requests counted: those assigned to `user` (they always see them), or all they may see."""
    if mine_only:
        return select(CooperationRequest).where(CooperationRequest.id.in_(
            select(request_officer.c.request_id).where(request_officer.c.user_id == user.id)))
    return visible_requests(user)


@dataclass(frozen=True)
class DueItem:
    """One open deadline of a request, for the "what is due" lists."""

    deadline: Deadline
    request: CooperationRequest

    def overdue(self, now: datetime) -> bool:
        return self.deadline.due_at < now


def deadlines_due(session: Session, user: User, horizon: datetime, mine_only: bool, limit: int = 50) -> list[DueItem]:
    """Open deadlines falling before `horizon` (the overdue ones included), the earliest first."""
    visible = _scope(user, mine_only).with_only_columns(CooperationRequest.id)
    query = (select(Deadline, CooperationRequest)
             .join(CooperationRequest, CooperationRequest.id == Deadline.request_id)
             .where(Deadline.state == DeadlineState.OPEN, Deadline.due_at < horizon,
                    CooperationRequest.id.in_(visible), _open())
             .options(joinedload(CooperationRequest.partner))
             .order_by(Deadline.due_at, Deadline.id)
             .limit(limit))
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
