"""The API's routes for identifiers across requests and the networks of cases they connect, with the same
need-to-know as the web pages (coop.domain.networks)."""

from types import SimpleNamespace

from flask import abort, jsonify, request, url_for
from flask_babel import gettext as _

from coop.api import bp, openapi
from coop.api.auth import caller
from coop.api.calls import page_args, page_json, refuse_bad_arguments
from coop.domain import networks
from coop.domain.identifiers import IdentifierError
from coop.extensions import db
from coop.models import Case, IdentifierKind, Role
from coop.requests.forms import IDENTIFIER_ERRORS


def _iso(value):
    return value.isoformat() if value is not None else None


def _key_json(key: networks.Key) -> dict:
    found = {"kind": key[0].value, "normalized": key[1]}
    if isinstance(key, networks.IpSession):  # one address's session: the times it connects within
        found["session"] = {"first_seen": _iso(key.start), "last_seen": _iso(key.end)}
    return found


def identifier_json(page: networks.IdentifierPage) -> dict:
    return {
        **_key_json(page.key),
        "first_seen": _iso(page.first_seen), "last_seen": _iso(page.last_seen),
        "hidden_requests": page.hidden, "truncated": page.truncated,
        "appearances": [{
            "request_id": item.request_id, "reference": item.reference, "direction": item.direction.value,
            "status": item.status.value, "partner": item.partner_code, "case_id": item.case_id,
            "case_number": item.case_number, "value": item.value, "observed_at": _iso(item.observed_at),
            "sent_or_received_at": _iso(item.sent_or_received_at), "answered_at": _iso(item.answered_at),
            "no_data": item.no_data,
            "answer_documents": [{"id": document_id, "name": name} for document_id, name in item.answer_documents],
        } for item in page.appearances],
        "companions": [{"kind": item.kind.value, "normalized": item.normalized, "requests": item.requests}
                       for item in page.companions],
        "same_person": [{**_key_json(link.other), "reason": link.reason, "created_at": _iso(link.created_at)}
                        for link in page.links],
    }


def network_json(view: networks.CaseNetworkView) -> dict:
    return {
        "case_id": view.case_id, "truncated": view.truncated,
        "cases": [{"id": node.id, "number": node.number, "title": node.title, "requests": node.requests,
                   "open_requests": node.open_requests}
                  for node in sorted(view.cases.values(), key=lambda node: node.number)],
        "identifiers": [{**_key_json(key), "case_ids": sorted(cases)}
                        for key, cases in sorted(view.shared_keys.items(), key=lambda item: (item[0][0].value,
                                                                                              item[0][1]))],
        "same_person": [{"first": _key_json(first), "second": _key_json(second)}
                        for first, second in sorted(view.links, key=repr)],
    }


@bp.get("/identifiers")
@openapi.operation("identifier")
def identifier():
    problems = {}
    try:
        kind = IdentifierKind(request.args.get("kind", ""))
    except ValueError:
        problems["kind"] = [_("Not a kind of identifier coop knows.")]
    value = request.args.get("value", "")
    if not value.strip():
        problems["value"] = [IDENTIFIER_ERRORS["required"]]
    refuse_bad_arguments(problems)
    try:
        key = networks.normalize_key(kind, value, request.args.get("platform") or None)
    except IdentifierError as error:
        refuse_bad_arguments({"platform" if error.field == "platform" else "value": [
            IDENTIFIER_ERRORS.get(error.code, IDENTIFIER_ERRORS["required"])]})
    page = networks.identifier_page(db.session, caller(), key)
    if page is None:
        abort(404)
    return jsonify(identifier_json(page))


@bp.get("/cases/<int:case_id>/network")
@openapi.operation("case_network")
def case_network(case_id: int):
    db.get_or_404(Case, case_id)
    return jsonify(network_json(networks.case_network(db.session, caller(), case_id)))


@bp.get("/networks")
@openapi.operation("networks")
def networks_list():
    if caller().role not in (Role.HEAD, Role.ADMIN):
        abort(403)
    page_number, per_page = page_args(25)
    summaries, total = networks.largest_networks(db.session, per_page, (page_number - 1) * per_page)
    pages = max(1, -(-total // per_page))
    page = SimpleNamespace(page=page_number, per_page=per_page, total=total, pages=pages,
                           has_next=page_number < pages, has_prev=page_number > 1,
                           next_num=page_number + 1, prev_num=page_number - 1)
    return jsonify(page_json(page, [{
        "id": item.id, "first_case_number": item.first_case_number, "cases": item.case_count,
        "requests": item.request_count, "shared_identifiers": item.identifier_count,
        "partners": item.partner_count, "open_deadlines": item.open_deadlines,
        "oldest_unanswered": None if item.oldest_unanswered_id is None else {
            "request_id": item.oldest_unanswered_id, "reference": item.oldest_unanswered_reference,
            "sent_at": _iso(item.oldest_unanswered_sent_at)},
        "network": url_for("api.case_network", case_id=item.id),
    } for item in summaries]))
