"""The workflow module, move by move: every allowed and every refused transition of both flows."""

from itertools import product

import pytest

from coop.domain.workflow import (
    FINAL,
    FLOWS,
    MAIN_PATH,
    REASON_REQUIRED,
    TransitionNotAllowed,
    check_transition,
    initial_status,
    is_sent,
    next_statuses,
)
from coop.models import Direction, Role, Status

S = Status
OUT, IN = Direction.OUTGOING, Direction.INCOMING

# The flows of DOMAIN.md, written out independently of the module so that a slip in either shows.
EXPECTED_OUTGOING = {
    (S.DRAFT, S.LEGAL_CHECK), (S.DRAFT, S.AWAITING_APPROVAL), (S.LEGAL_CHECK, S.DRAFT),
    (S.LEGAL_CHECK, S.AWAITING_APPROVAL), (S.AWAITING_APPROVAL, S.DRAFT), (S.AWAITING_APPROVAL, S.APPROVED),
    (S.APPROVED, S.TRANSLATION), (S.APPROVED, S.SENT), (S.TRANSLATION, S.SENT),
    (S.SENT, S.FORWARDED), (S.SENT, S.ACKNOWLEDGED), (S.SENT, S.IN_EXECUTION), (S.SENT, S.ADDITIONAL_INFO_REQUESTED),
    (S.SENT, S.PARTIALLY_ANSWERED), (S.SENT, S.ANSWERED),
    (S.FORWARDED, S.ACKNOWLEDGED), (S.FORWARDED, S.IN_EXECUTION), (S.FORWARDED, S.ADDITIONAL_INFO_REQUESTED),
    (S.FORWARDED, S.PARTIALLY_ANSWERED), (S.FORWARDED, S.ANSWERED),
    (S.ACKNOWLEDGED, S.IN_EXECUTION), (S.ACKNOWLEDGED, S.ADDITIONAL_INFO_REQUESTED),
    (S.ACKNOWLEDGED, S.PARTIALLY_ANSWERED), (S.ACKNOWLEDGED, S.ANSWERED),
    (S.IN_EXECUTION, S.ADDITIONAL_INFO_REQUESTED), (S.IN_EXECUTION, S.PARTIALLY_ANSWERED),
    (S.IN_EXECUTION, S.ANSWERED), (S.ADDITIONAL_INFO_REQUESTED, S.IN_EXECUTION),
    (S.PARTIALLY_ANSWERED, S.IN_EXECUTION), (S.PARTIALLY_ANSWERED, S.ADDITIONAL_INFO_REQUESTED),
    (S.PARTIALLY_ANSWERED, S.ANSWERED), (S.ANSWERED, S.EVIDENCE_REVIEWED), (S.ANSWERED, S.CLOSED),
    (S.EVIDENCE_REVIEWED, S.CLOSED),
    (S.POSTPONED, S.IN_EXECUTION), (S.POSTPONED, S.REFUSED), (S.POSTPONED, S.NO_DATA), (S.POSTPONED, S.EXPIRED),
    (S.POSTPONED, S.WITHDRAWN),
    # Before sending, only withdrawal leaves the flow.
    (S.DRAFT, S.WITHDRAWN), (S.LEGAL_CHECK, S.WITHDRAWN), (S.AWAITING_APPROVAL, S.WITHDRAWN),
    (S.APPROVED, S.WITHDRAWN), (S.TRANSLATION, S.WITHDRAWN),
} | {
    (step, side)
    for step in (S.SENT, S.FORWARDED, S.ACKNOWLEDGED, S.IN_EXECUTION, S.ADDITIONAL_INFO_REQUESTED,
                 S.PARTIALLY_ANSWERED)
    for side in (S.POSTPONED, S.REFUSED, S.NO_DATA, S.EXPIRED, S.WITHDRAWN)
}

EXPECTED_INCOMING = {
    (S.RECEIVED, S.REGISTERED), (S.REGISTERED, S.ASSESSED), (S.ASSESSED, S.CONSULTATION),
    (S.ASSESSED, S.IN_EXECUTION), (S.CONSULTATION, S.IN_EXECUTION), (S.CONSULTATION, S.REFUSED),
    (S.CONSULTATION, S.POSTPONED), (S.IN_EXECUTION, S.ANSWERED), (S.IN_EXECUTION, S.CONSULTATION),
    (S.POSTPONED, S.IN_EXECUTION), (S.POSTPONED, S.CONSULTATION), (S.POSTPONED, S.REFUSED),
    (S.ANSWERED, S.CLOSED),
} | {(step, S.WITHDRAWN) for step in (S.RECEIVED, S.REGISTERED, S.ASSESSED, S.CONSULTATION, S.IN_EXECUTION,
                                      S.POSTPONED)}

EXPECTED = {OUT: EXPECTED_OUTGOING, IN: EXPECTED_INCOMING}
ALL_PAIRS = [(direction, current, target) for direction in (OUT, IN) for current, target in product(Status, Status)]


def role_and_reason_for(target: Status) -> tuple[Role, str | None]:
    role = Role.HEAD if target == S.APPROVED else Role.OFFICER
    return role, ("The partner was told by letter" if target in REASON_REQUIRED else None)


@pytest.mark.parametrize("direction, current, target", [p for p in ALL_PAIRS if (p[1], p[2]) in EXPECTED[p[0]]])
def test_allowed_transition(direction, current, target):
    role, reason = role_and_reason_for(target)
    check_transition(direction, current, target, role, reason)
    assert target in next_statuses(direction, current)


@pytest.mark.parametrize("direction, current, target",
                         [p for p in ALL_PAIRS if (p[1], p[2]) not in EXPECTED[p[0]]])
def test_refused_transition(direction, current, target):
    role, reason = role_and_reason_for(target)
    with pytest.raises(TransitionNotAllowed) as refusal:
        check_transition(direction, current, target, role, reason)
    expected_code = "same_status" if current == target else "final" if current in FINAL else "not_in_workflow"
    assert refusal.value.code == expected_code
    assert target not in next_statuses(direction, current)


@pytest.mark.parametrize("role", [Role.OFFICER, Role.ADMIN])
def test_only_a_head_approves(role):
    with pytest.raises(TransitionNotAllowed) as refusal:
        check_transition(OUT, S.AWAITING_APPROVAL, S.APPROVED, role, None)
    assert refusal.value.code == "head_only"


def test_an_outgoing_request_cannot_be_sent_before_approval():
    for before in (S.DRAFT, S.LEGAL_CHECK, S.AWAITING_APPROVAL):
        with pytest.raises(TransitionNotAllowed):
            check_transition(OUT, before, S.SENT, Role.HEAD, None)


@pytest.mark.parametrize("direction, current, target", [
    (OUT, S.SENT, S.REFUSED), (OUT, S.ACKNOWLEDGED, S.POSTPONED), (OUT, S.DRAFT, S.WITHDRAWN),
    (OUT, S.SENT, S.NO_DATA), (OUT, S.IN_EXECUTION, S.EXPIRED), (IN, S.CONSULTATION, S.REFUSED),
    (IN, S.CONSULTATION, S.POSTPONED),
])
@pytest.mark.parametrize("reason", [None, "", "   "])
def test_refusal_postponement_and_withdrawal_need_a_reason(direction, current, target, reason):
    with pytest.raises(TransitionNotAllowed) as refusal:
        check_transition(direction, current, target, Role.OFFICER, reason)
    assert refusal.value.code == "reason_required"


def test_an_incoming_request_is_refused_only_after_consultation():
    for before in (S.RECEIVED, S.REGISTERED, S.ASSESSED, S.IN_EXECUTION):
        with pytest.raises(TransitionNotAllowed):
            check_transition(IN, before, S.REFUSED, Role.HEAD, "no dual criminality")


def test_flows_start_where_domain_says_and_main_path_is_walkable():
    assert initial_status(OUT) == S.DRAFT and initial_status(IN) == S.RECEIVED
    for direction in (OUT, IN):
        path = [s for s in MAIN_PATH[direction] if s not in (S.FORWARDED, S.PARTIALLY_ANSWERED, S.LEGAL_CHECK,
                                                               S.TRANSLATION, S.EVIDENCE_REVIEWED, S.CONSULTATION)]
        for current, target in zip(path, path[1:], strict=False):
            role, reason = role_and_reason_for(target)
            check_transition(direction, current, target, role, reason)


def test_every_open_status_of_a_flow_has_a_way_out():
    for direction, flow in FLOWS.items():
        for status in flow:
            assert status not in FINAL and flow[status]


def test_the_partners_clock_runs_only_once_a_request_is_sent():
    assert not is_sent(S.APPROVED, OUT)
    assert is_sent(S.SENT, OUT) and is_sent(S.ANSWERED, OUT) and is_sent(S.RECEIVED, IN)
