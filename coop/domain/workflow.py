"""The status workflows of outgoing and incoming requests: which moves are allowed, and what they need.

Pure rules: no database, no clock. `coop.domain.requests.change_status` applies them to a request.
"""

from coop.models.partners import Direction
from coop.models.requests import Status
from coop.models.user import Role

S = Status

# Side exits open to any open step (each further limited below).
SIDE_EXITS = frozenset({S.POSTPONED, S.REFUSED, S.NO_DATA, S.EXPIRED, S.WITHDRAWN})
# Statuses after which nothing moves any more.
FINAL = frozenset({S.CLOSED, S.REFUSED, S.NO_DATA, S.EXPIRED, S.WITHDRAWN})
# A request in one of these has been answered by the partner or refused: it awaits nothing from them.
ANSWERED = frozenset({S.ANSWERED, S.EVIDENCE_REVIEWED, S.CLOSED, S.REFUSED, S.NO_DATA})

OUTGOING: dict[Status, frozenset[Status]] = {
    S.DRAFT: frozenset({S.LEGAL_CHECK, S.AWAITING_APPROVAL, S.WITHDRAWN}),
    S.LEGAL_CHECK: frozenset({S.DRAFT, S.AWAITING_APPROVAL, S.WITHDRAWN}),
    S.AWAITING_APPROVAL: frozenset({S.DRAFT, S.APPROVED, S.WITHDRAWN}),
    S.APPROVED: frozenset({S.TRANSLATION, S.SENT, S.WITHDRAWN}),
    S.TRANSLATION: frozenset({S.SENT, S.WITHDRAWN}),
    S.SENT: frozenset({S.FORWARDED, S.ACKNOWLEDGED, S.IN_EXECUTION, S.ADDITIONAL_INFO_REQUESTED,
                       S.PARTIALLY_ANSWERED, S.ANSWERED} | SIDE_EXITS),
    S.FORWARDED: frozenset({S.ACKNOWLEDGED, S.IN_EXECUTION, S.ADDITIONAL_INFO_REQUESTED, S.PARTIALLY_ANSWERED,
                            S.ANSWERED} | SIDE_EXITS),
    S.ACKNOWLEDGED: frozenset({S.IN_EXECUTION, S.ADDITIONAL_INFO_REQUESTED, S.PARTIALLY_ANSWERED, S.ANSWERED}
                              | SIDE_EXITS),
    S.IN_EXECUTION: frozenset({S.ADDITIONAL_INFO_REQUESTED, S.PARTIALLY_ANSWERED, S.ANSWERED} | SIDE_EXITS),
    S.ADDITIONAL_INFO_REQUESTED: frozenset({S.IN_EXECUTION} | SIDE_EXITS),
    S.PARTIALLY_ANSWERED: frozenset({S.IN_EXECUTION, S.ADDITIONAL_INFO_REQUESTED, S.ANSWERED} | SIDE_EXITS),
    S.POSTPONED: frozenset({S.IN_EXECUTION, S.REFUSED, S.NO_DATA, S.EXPIRED, S.WITHDRAWN}),
    S.ANSWERED: frozenset({S.EVIDENCE_REVIEWED, S.CLOSED}),
    S.EVIDENCE_REVIEWED: frozenset({S.CLOSED}),
}

INCOMING: dict[Status, frozenset[Status]] = {
    S.RECEIVED: frozenset({S.REGISTERED, S.WITHDRAWN}),
    S.REGISTERED: frozenset({S.ASSESSED, S.WITHDRAWN}),
    # Refusal and postponement need consultation with the requesting state first.
    S.ASSESSED: frozenset({S.CONSULTATION, S.IN_EXECUTION, S.WITHDRAWN}),
    S.CONSULTATION: frozenset({S.IN_EXECUTION, S.REFUSED, S.POSTPONED, S.WITHDRAWN}),
    S.IN_EXECUTION: frozenset({S.ANSWERED, S.CONSULTATION, S.WITHDRAWN}),
    S.POSTPONED: frozenset({S.IN_EXECUTION, S.CONSULTATION, S.REFUSED, S.WITHDRAWN}),
    S.ANSWERED: frozenset({S.CLOSED}),
}

FLOWS = {Direction.OUTGOING: OUTGOING, Direction.INCOMING: INCOMING}

# The main path of each flow, in order, for showing progress.
MAIN_PATH = {
    Direction.OUTGOING: (S.DRAFT, S.LEGAL_CHECK, S.AWAITING_APPROVAL, S.APPROVED, S.TRANSLATION, S.SENT,
                         S.FORWARDED, S.ACKNOWLEDGED, S.IN_EXECUTION, S.PARTIALLY_ANSWERED, S.ANSWERED,
                         S.EVIDENCE_REVIEWED, S.CLOSED),
    Direction.INCOMING: (S.RECEIVED, S.REGISTERED, S.ASSESSED, S.CONSULTATION, S.IN_EXECUTION, S.ANSWERED,
                         S.CLOSED),
}

# Moves that must say why.
REASON_REQUIRED = frozenset({S.REFUSED, S.POSTPONED, S.WITHDRAWN, S.NO_DATA, S.EXPIRED})
# Only a department head approves an outgoing request (and so lets it be sent).
HEAD_ONLY = frozenset({S.APPROVED})
# While in this status we owe the partner information and the partner's clock is paused.
PAUSING = frozenset({S.ADDITIONAL_INFO_REQUESTED})

# The request's timestamp each status sets when entered.
MILESTONES = {
    S.SENT: "sent_at",
    S.RECEIVED: "received_at",
    S.ACKNOWLEDGED: "acknowledged_at",
    S.ANSWERED: "answered_at",
    S.PARTIALLY_ANSWERED: "answered_at",
    S.NO_DATA: "answered_at",
    S.REFUSED: "answered_at",
} | {status: "closed_at" for status in FINAL}


class TransitionNotAllowed(Exception):
    """A move the workflow refuses; `code` names the rule, for a message in the user's language."""

    def __init__(self, code: str, current: Status, target: Status):
        super().__init__(f"{code}: {current.value} -> {target.value}")
        self.code = code
        self.current = current
        self.target = target


def initial_status(direction: Direction) -> Status:
    return S.DRAFT if direction == Direction.OUTGOING else S.RECEIVED


def is_open(status: Status) -> bool:
    return status not in FINAL


def is_sent(status: Status, direction: Direction) -> bool:
    """Has an outgoing request left the department (so the partner's clock runs)?"""
    if direction == Direction.INCOMING:
        return True
    return status not in {S.DRAFT, S.LEGAL_CHECK, S.AWAITING_APPROVAL, S.APPROVED, S.TRANSLATION, S.WITHDRAWN}


def next_statuses(direction: Direction, current: Status) -> list[Status]:
    """The statuses a request may move to from `current`, main path first."""
    allowed = FLOWS[direction].get(current, frozenset())
    order = {status: index for index, status in enumerate(MAIN_PATH[direction])}
    return sorted(allowed, key=lambda status: (status in SIDE_EXITS, order.get(status, 99), status.value))


def check_transition(direction: Direction, current: Status, target: Status, role: Role, reason: str | None) -> None:
    """Raise TransitionNotAllowed unless `role` may move a request from `current` to `target` with `reason`."""
    if target == current:
        raise TransitionNotAllowed("same_status", current, target)
    if current in FINAL:
        raise TransitionNotAllowed("final", current, target)
    if target not in FLOWS[direction].get(current, frozenset()):
        raise TransitionNotAllowed("not_in_workflow", current, target)
    if target in HEAD_ONLY and role != Role.HEAD:
        raise TransitionNotAllowed("head_only", current, target)
    if target in REASON_REQUIRED and not (reason and reason.strip()):
        raise TransitionNotAllowed("reason_required", current, target)
