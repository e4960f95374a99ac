"""Schemathesis, driven by the OpenAPI document, against the whole API: no server error, no answer that
contradicts the document, and input the document calls invalid refused.

Valid input is steered half of the time towards things that exist (a visible request, a coherent direction,
type and partner, the request's current version), so that creating, editing and moving requests succeed
too, not only their refusals. Deterministic (derandomized) and small, so that it fits the suite's time.
"""

import contextvars

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from coop.api.openapi import api_routes, document
from coop.domain.workflow import HEAD_ONLY, next_statuses
from coop.extensions import db
from coop.models import CooperationRequest, Deadline
from tests.api.helpers import bearer, seed_api_world

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
EXAMPLES = {GenerationMode.POSITIVE: 30, GenerationMode.NEGATIVE: 15}
# Direction, type and partner that go together in the test department.
COHERENT = [("outgoing", "direct_disclosure", "meta"), ("outgoing", "mla_outgoing", "US"),
            ("incoming", "mla_incoming", "DE")]


@pytest.fixture
def world(app):
    world = seed_api_world(db.session)
    db.session.commit()
    return world


def _steered(case, known: dict, choice: dict) -> object:
    """`case` with some of its values replaced by ones that exist, as `choice` says."""
    if not choice["steer"]:
        return case
    if "request_id" in (case.path_parameters or {}):
        case.path_parameters["request_id"] = choice["request_id"]
    if "deadline_id" in (case.path_parameters or {}) and known["deadline_ids"]:
        case.path_parameters["deadline_id"] = known["deadline_ids"][0]
    body = case.body if isinstance(case.body, dict) else None
    if body is not None:
        direction, request_type, partner = choice["coherent"]
        if "direction" in body:
            body["direction"] = direction
            body.pop("received_on", None)
        for name, value in (("request_type", request_type), ("partner", partner)):
            if name in body:
                body[name] = value
        for name, value in (("case_number", known["case_number"]), ("follows", known["reference"]),
                            ("legal_basis", "budapest"), ("officers", ["a.karimova"])):
            if name in body:
                body[name] = value if choice["optional"] else None if name != "officers" else []
        if "status" in body and known["next"].get(choice["request_id"]):  # a move the workflow allows
            body["status"] = known["next"][choice["request_id"]][0]
            body["reason"] = body.get("reason") or "Не требуется"
            for name in ("expected_status", "occurred_on"):
                body.pop(name, None)
        if set(body) >= {"kind", "value"}:  # an identifier: one that reads as one (new, or a duplicate refused)
            body.update(kind="email", value=f"seller{choice['request_id']}@example.kz")
            for name in ("platform", "observed_at", "zone"):
                body.pop(name, None)
        if "file" in body:  # an upload: a small PDF (the first is attached, the same one again refused)
            body["file"] = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
        if "version" in body:  # an edit: of the current version, keeping what ties the request together
            body["version"] = known["versions"].get(choice["request_id"], 1)
            for name in ("request_type", "partner", "follows", "urgency"):
                body.pop(name, None)
    return case


def _fuzz(app, world, mode: GenerationMode, checks: list, statuses: dict | None = None) -> list[str]:
    """Run every operation with generated input; returns the failures, one text each.

    `statuses`, when given, collects the set of statuses each operation answered with.
    """
    schema = schemathesis.openapi.from_dict(document())
    headers = bearer(world.write_token)
    requests = list(db.session.execute(db.select(CooperationRequest.id, CooperationRequest.reference)))
    known = {"case_number": world.case_number, "reference": requests[0].reference,
             "deadline_ids": list(db.session.scalars(db.select(Deadline.id))), "versions": {}, "next": {}}
    choices = st.fixed_dictionaries({
        "steer": st.booleans() if mode == GenerationMode.POSITIVE else st.just(False),
        "request_id": st.sampled_from([row.id for row in requests]),
        "coherent": st.sampled_from(COHERENT),
        "optional": st.booleans(),
    })
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=EXAMPLES[mode], derandomize=True, deadline=None, database=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode), choice=choices)
        def run(case, choice):
            stored = db.session.scalars(db.select(CooperationRequest)).all()
            known["versions"] = {item.id: item.version for item in stored}
            known["next"] = {item.id: [status.value for status in next_statuses(item.direction, item.status)
                                       if status not in HEAD_ONLY] for item in stored}
            db.session.rollback()
            case = _steered(case, known, choice)
            # A case that leaves out headers on purpose (the token among them) is sent without the token.
            sent = {} if case.meta is not None and case.meta.is_negative_at(ParameterLocation.HEADER) else headers
            # In a context of its own, as a real server would serve it (see tests.conftest.IsolatedClient).
            # Buffered, as a server reads a streamed body (a downloaded file) to its end and closes it.
            response = contextvars.Context().run(case.call, app=app, headers=sent, buffered=True)
            if statuses is not None:
                statuses.setdefault(operation.label, set()).add(response.status_code)
            case.validate_response(response, checks=checks, headers=sent)

        try:
            run()
        except Exception as error:  # collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {error}")
    return failures


def test_the_document_describes_every_route_of_the_api(app):
    described = {(path, method) for path, methods in document()["paths"].items() for method in methods}
    served = {(path, method) for path, method, _endpoint in api_routes()}
    assert served == described
    assert len(served) >= 18


def test_generated_valid_input_meets_no_server_error_and_no_answer_outside_the_document(app, world):
    statuses = {}
    assert _fuzz(app, world, GenerationMode.POSITIVE, CHECKS, statuses) == []
    # The fuzzer did reach the writes, not only their refusals.
    assert 201 in statuses["POST /requests"]
    assert 200 in statuses["PATCH /requests/{request_id}"]
    assert 200 in statuses["POST /requests/{request_id}/status"]
    for part in ("notes", "identifiers", "documents"):
        assert 201 in statuses[f"POST /requests/{{request_id}}/{part}"], part


def test_generated_invalid_input_is_refused_as_the_document_says(app, world):
    assert _fuzz(app, world, GenerationMode.NEGATIVE, [*CHECKS, negative_data_rejection]) == []
