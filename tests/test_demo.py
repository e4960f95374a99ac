"""The demo department: big enough to be believable, every status of both flows, consistent, and repeatable."""

import random
import re
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from coop.demo import CASES, DEMO_PEOPLE, SEED, DemoPlanner, load_demo_data
from coop.domain.workflow import INCOMING, MILESTONES, OUTGOING
from coop.extensions import db
from coop.models import (
    Case,
    CooperationRequest,
    Direction,
    EventKind,
    Identifier,
    Partner,
    PartnerReference,
    RequestEvent,
    Status,
    User,
)

NOW = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)


def every_status(flow: dict) -> set[Status]:
    return set(flow) | {target for targets in flow.values() for target in targets}


def test_the_demo_department_is_complete_consistent_and_loaded_once(app):
    message = load_demo_data(db.session, now=NOW)
    session = db.session
    assert re.fullmatch(r"Demo data loaded: \d+ users, 40 cases, \d+ requests\.", message)

    assert session.scalar(select(func.count(User.id))) == len(DEMO_PEOPLE)
    assert session.scalar(select(func.count(Case.id))) == CASES
    requests = session.scalars(select(CooperationRequest)).all()
    assert 300 <= len(requests) <= 450

    by_direction = Counter((request.direction, request.status) for request in requests)
    for direction, flow in ((Direction.OUTGOING, OUTGOING), (Direction.INCOMING, INCOMING)):
        missing = {status for status in every_status(flow) if not by_direction[(direction, status)]}
        assert missing == set(), f"{direction.value} requests in no status {sorted(missing)}"

    partners_in_use = session.scalar(select(func.count(func.distinct(CooperationRequest.partner_id))))
    assert partners_in_use >= 24
    providers = set(session.scalars(select(Partner.code).join(CooperationRequest,
                                                              CooperationRequest.partner_id == Partner.id)))
    assert {"meta", "telegram", "google", "US", "TR", "AE", "RU", "KG", "UZ", "CN", "DE"} <= providers

    # Dated over the last 18 months, history in order, ending in the request's status.
    events = session.scalars(select(RequestEvent).order_by(RequestEvent.request_id, RequestEvent.at,
                                                           RequestEvent.id)).all()
    transitions: dict[int, list[RequestEvent]] = {}
    for event in events:
        assert NOW - timedelta(days=560) <= event.at <= NOW
        if event.kind == EventKind.TRANSITION:
            transitions.setdefault(event.request_id, []).append(event)
    for request in requests:
        assert NOW - timedelta(days=560) <= request.created_at <= NOW
        moves = transitions.get(request.id, [])
        if moves:
            assert moves[-1].to_status == request.status
            assert all(earlier.to_status == later.from_status for earlier, later in zip(moves, moves[1:]))
        milestone = MILESTONES.get(request.status)
        if milestone:
            assert getattr(request, milestone) is not None, (request.reference, milestone)
        if request.direction == Direction.OUTGOING and request.sent_at:
            assert any(move.to_status == Status.APPROVED and move.actor.username == "head" for move in moves)

    # What makes it believable: Russian titles, identifiers shared across requests, partner references,
    # follow-up chains from a preservation to a request for assistance, requests for most cases.
    assert sum(bool(re.search("[а-яА-Я]", request.title)) for request in requests) == len(requests)
    shared = session.execute(
        select(Identifier.normalized).group_by(Identifier.kind, Identifier.normalized)
        .having(func.count(func.distinct(Identifier.request_id)) > 1)).all()
    assert len(shared) >= 20
    assert session.scalar(select(func.count(PartnerReference.id))) >= 100
    followed = [request for request in requests if request.follows is not None]
    assert any(request.follows.request_type.is_preservation and request.request_type.code == "mla_outgoing"
               for request in followed)
    assert all(request.follows.created_at < request.created_at for request in followed)
    cases_with_requests = session.scalar(select(func.count(func.distinct(CooperationRequest.case_id))))
    assert cases_with_requests == CASES
    officer = session.scalar(select(User).where(User.username == "officer"))
    assert sum(officer in request.officers for request in requests) >= 60
    assert sum(request.restricted for request in requests) >= 2

    # Loaded once: a second load leaves the database as it is.
    assert load_demo_data(db.session, now=NOW) == "The database already has users: demo data not loaded."
    assert session.scalar(select(func.count(CooperationRequest.id))) == len(requests)

    # The same seed and day plan the same department.
    partners = {partner.code: partner for partner in session.scalars(select(Partner))}
    first = DemoPlanner(random.Random(SEED), NOW, partners).plan()[1]
    second = DemoPlanner(random.Random(SEED), NOW, partners).plan()[1]
    assert [(r.title, r.target, r.created_at) for r in first] == [(r.title, r.target, r.created_at) for r in second]
