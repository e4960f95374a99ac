"""The API's routes for requests: list, read, create, edit, move along the workflow, and their history.

Every route applies the web pages' rules: the same visibility (`visible_requests`), the same edit right
(`can_edit`), the same domain functions, the same list filters (`coop.domain.request_search`).
"""

from datetime import date

from flask import jsonify, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from coop.api import bp, openapi
from coop.api import fields as api_fields
from coop.api.auth import caller, via_detail
from coop.api.calls import (
    MAX_PAGE_SIZE,
    json_body,
    page_args,
    page_json,
    record_admin_reading,
    refuse_bad_arguments,
    visible_request,
)
from coop.api.errors import ApiError, invalid
from coop.api.representations import event_json, request_json, request_summary_json
from coop.domain import requests as domain
from coop.domain.access import can_edit, visible_requests
from coop.domain.request_search import (
    MAX_TEXT_LENGTH,
    CursorInvalid,
    FilterProblem,
    ListCursor,
    cursor_after,
    find_keyset_page,
    find_page,
    next_deadlines,
    parse_filters,
    unknown_references,
)
from coop.domain.requests import EditConflict, RequestProblem
from coop.domain.workflow import TransitionNotAllowed
from coop.extensions import db
from coop.i18n import local_zone
from coop.labels import status_label
from coop.models import (
    Case,
    CooperationRequest,
    Direction,
    LegalBasis,
    Partner,
    RequestEvent,
    RequestType,
    Role,
    Status,
    Urgency,
    User,
    utcnow,
)
from coop.requests.list_views import PROBLEM_MESSAGES as FILTER_PROBLEM_MESSAGES
from coop.requests.views import REQUEST_PROBLEMS, TRANSITION_REFUSALS

# Field names of the domain (and of its refusals) as the API names them.
API_FIELD_NAMES = {"request_type_id": "request_type", "partner_id": "partner", "legal_basis_id": "legal_basis",
                   "case_id": "case_number", "follows_id": "follows", "officer_ids": "officers"}
FULL_REQUEST = (
    joinedload(CooperationRequest.partner), joinedload(CooperationRequest.request_type),
    joinedload(CooperationRequest.legal_basis), joinedload(CooperationRequest.case),
    joinedload(CooperationRequest.follows), selectinload(CooperationRequest.officers),
    selectinload(CooperationRequest.identifiers), selectinload(CooperationRequest.partner_references),
)



def _mark_as_api(events: list[RequestEvent]) -> None:
    """Record in the history that these changes came through the API (and with which token)."""
    for event in events:
        event.via = "api"
        event.via_detail = via_detail()


def _full_request_json(request_id: int) -> dict:
    item = visible_request(request_id, *FULL_REQUEST)
    deadline = next_deadlines(db.session, [item.id]).get(item.id)
    return request_json(item, caller(), can_edit(caller(), item), deadline)


def _problem_response(problem: RequestProblem) -> ApiError:
    if problem.code == "not_allowed":
        return ApiError(403, "not_allowed", str(REQUEST_PROBLEMS["not_allowed"]))
    message = str(REQUEST_PROBLEMS.get(problem.code, problem.code))
    return invalid({API_FIELD_NAMES.get(problem.field, problem.field or ""): [message]})


# --- requests ----------------------------------------------------------------------------------------------

@bp.get("/requests")
@openapi.operation("requests")
def requests_list():
    problems = _strict_filter_problems(request.args)
    refuse_bad_arguments({problem.field: [_filter_problem_message(problem)] for problem in problems})
    filters, problems = parse_filters(request.args)
    problems += unknown_references(db.session, filters)
    refuse_bad_arguments({problem.field: [_filter_problem_message(problem)] for problem in problems})
    cursor = _cursor_argument(filters)
    now, zone, language = utcnow(), local_zone(), str(get_locale())
    if cursor is not None:
        items, following = find_keyset_page(db.session, caller(), filters, now, zone, language, after=cursor)
        body = {"items": items, "page": None, "per_page": filters.per_page, "total": None, "pages": None,
                "next": None, "prev": None}
    else:
        # By page number, as the web list reads it (its deferred join: no deep OFFSET over whole rows).
        page = find_page(db.session, caller(), filters, now, zone, language)
        following = (cursor_after(db.session, caller(), filters, now, zone, language, page.items[-1].id)
                     if page.has_next and page.items else None)
        body = page_json(page, page.items)
        body["next"] = None
    deadlines = next_deadlines(db.session, [item.id for item in body["items"]])
    body["items"] = [request_summary_json(item, deadlines.get(item.id)) for item in body["items"]]
    body["next_cursor"] = following.encode() if following else None
    if following:
        arguments = {name: value for name, value in request.args.items() if name != "page"}
        body["next"] = url_for("api.requests_list", **(arguments | {"cursor": body["next_cursor"]}))
    return jsonify(body)


def _cursor_argument(filters) -> ListCursor | None:
    """The `cursor` argument, read; a 400 naming it when it cannot be used."""
    raw = request.args.get("cursor")
    if raw is None:
        return None
    if "page" in request.args:
        refuse_bad_arguments({"cursor": [_("Give either a cursor or a page number, not both.")]})
    try:
        cursor = ListCursor.decode(raw)
    except CursorInvalid:
        refuse_bad_arguments({"cursor": [_("This cursor cannot be read: start again from the first page.")]})
    if cursor.sort != filters.sort:
        refuse_bad_arguments({"cursor": [_("This cursor belongs to another sort order: keep “sort” as it was, or "
                                           "start again from the first page.")]})
    return cursor


@bp.post("/requests")
@openapi.operation("create_request")
def create_request():
    # Who may create comes first: an administrator is refused whatever the body says (as on the web page).
    if caller().role not in (Role.OFFICER, Role.HEAD):
        raise ApiError(403, "not_allowed", str(REQUEST_PROBLEMS["not_allowed"]))
    values, problems = api_fields.parse_body(json_body(), openapi.CREATE_FIELDS)
    direction = Direction(values["direction"]) if "direction" in values else None
    fields, reference_problems = _resolve(values, direction, editing=None)
    problems |= reference_problems
    if direction == Direction.OUTGOING and values.get("received_on"):
        problems["received_on"] = [_("Only an incoming request has a date of receipt.")]
    if values.get("received_on") and values["received_on"] > utcnow().astimezone(local_zone()).date():
        problems["received_on"] = [_("This date is in the future.")]
    if problems:
        raise invalid(problems)
    now = utcnow()
    fields |= {"direction": direction, "partner_reference": values.get("partner_reference")}
    if values.get("received_on"):
        fields["received_at"] = domain.moment_of(values["received_on"], now, local_zone())
    try:
        created = domain.create_request(db.session, caller(), fields, now, local_zone())
    except RequestProblem as problem:
        db.session.rollback()
        raise _problem_response(problem) from None
    _mark_as_api(created.events)
    db.session.commit()
    response = jsonify(_full_request_json(created.id))
    response.status_code = 201
    response.headers["Location"] = url_for("api.request_detail", request_id=created.id)
    return response


@bp.get("/requests/<int:request_id>")
@openapi.operation("request_detail")
def request_detail(request_id: int):
    item = visible_request(request_id)
    record_admin_reading(item, "api")
    return jsonify(_full_request_json(request_id))


@bp.patch("/requests/<int:request_id>")
@openapi.operation("update_request")
def update_request(request_id: int):
    item = _editable(request_id)
    values, problems = api_fields.parse_body(json_body(), openapi.UPDATE_FIELDS)
    changes, reference_problems = _resolve(values, item.direction, editing=item)
    problems |= reference_problems
    if problems:
        raise invalid(problems)
    try:
        events = domain.update_request(db.session, item, caller(), changes, values["version"], utcnow())
    except EditConflict as clash:
        db.session.rollback()
        raise ApiError(409, "edit_conflict", _(
            "Someone saved this request after version %(submitted)d was read; it is now at version %(current)d. "
            "Read it again and reapply your changes.", submitted=values["version"], current=clash.current_version),
            {"version": [_("The current version is %(current)d.", current=clash.current_version)]}) from None
    except RequestProblem as problem:
        db.session.rollback()
        raise _problem_response(problem) from None
    _mark_as_api(events)
    db.session.commit()
    return jsonify(_full_request_json(request_id))


@bp.post("/requests/<int:request_id>/status")
@openapi.operation("change_status")
def change_status(request_id: int):
    item = _editable(request_id, selectinload(CooperationRequest.partner_references))
    values, problems = api_fields.parse_body(json_body(), openapi.STATUS_FIELDS)
    if problems:
        raise invalid(problems)
    target = Status(values["status"])
    if values.get("expected_status") and values["expected_status"] != item.status.value:
        raise ApiError(409, "status_changed", str(TRANSITION_REFUSALS["status_changed"]),
                       {"expected_status": [_("The request is now “%(status)s”.", status=status_label(item.status))]})
    try:
        event = domain.change_status(
            db.session, item, caller(), target, utcnow(), reason=values.get("reason"),
            channel=values.get("channel"), partner_reference=values.get("partner_reference"),
            occurred_on=values.get("occurred_on"), zone=local_zone())
    except TransitionNotAllowed as refusal:
        db.session.rollback()
        raise _refusal_response(refusal) from None
    except RequestProblem as problem:
        db.session.rollback()
        raise _problem_response(problem) from None
    _mark_as_api([event])
    db.session.commit()
    return jsonify(_full_request_json(request_id))


@bp.get("/requests/<int:request_id>/history")
@openapi.operation("request_history")
def request_history(request_id: int):
    item = visible_request(request_id)
    record_admin_reading(item, "api history")
    page_number, per_page = page_args(MAX_PAGE_SIZE)
    query = (select(RequestEvent).where(RequestEvent.request_id == item.id).order_by(RequestEvent.id)
             .options(joinedload(RequestEvent.actor), joinedload(RequestEvent.document)))
    page = db.paginate(query, page=page_number, per_page=per_page, error_out=False)
    return jsonify(page_json(page, [event_json(event) for event in page.items]))


def _strict_filter_problems(args) -> list[FilterProblem]:
    """What the API refuses in the list's filters besides what the web list refuses: numbers not written in
    ASCII digits, an officer id too long to be one, a boolean that is neither true nor false, and dates too far
    in the past or future to be meant (or to be moved into Almaty's time zone)."""
    problems = []
    for name in ("page", "per_page"):
        raw = args.get(name, "").strip()
        if raw and not (raw.isascii() and raw.isdigit()):
            problems.append(FilterProblem(name, "invalid_number", raw))
    officer = args.get("officer", "").strip()
    if officer and officer != "me" and not (officer.isascii() and officer.isdigit() and len(officer) <= 9):
        problems.append(FilterProblem("officer", "invalid_choice", officer))
    if args.get("overdue", "") not in ("", "true", "false", "1", "0"):
        problems.append(FilterProblem("overdue", "invalid_choice", args["overdue"]))
    for name in ("created_from", "created_to", "sent_from", "sent_to"):
        raw = args.get(name, "").strip()
        try:
            year = date.fromisoformat(raw).year if raw else None
        except ValueError:
            continue  # parse_filters reports it
        if year is not None and not api_fields.FIRST_YEAR <= year <= api_fields.LAST_YEAR:
            problems.append(FilterProblem(name, "out_of_range", raw))
    return problems


def _filter_problem_message(problem: FilterProblem) -> str:
    """The web list's message for a filter it cannot use; the API refuses the call instead of dropping it."""
    if problem.code == "out_of_range":
        return _("Must be a date between the years %(first)d and %(last)d.", first=api_fields.FIRST_YEAR,
                 last=api_fields.LAST_YEAR)
    if problem.code == "too_long":
        return _("At most %(max)d characters.", max=MAX_TEXT_LENGTH)
    return str(FILTER_PROBLEM_MESSAGES[problem.code] % {"value": problem.value})


def _editable(request_id: int, *options) -> CooperationRequest:
    item = visible_request(request_id, *options)
    if not can_edit(caller(), item):
        raise ApiError(403, "not_allowed", str(REQUEST_PROBLEMS["not_allowed"]))
    return item


def _refusal_response(refusal: TransitionNotAllowed) -> ApiError:
    message = str(TRANSITION_REFUSALS[refusal.code]) % {"current": status_label(refusal.current),
                                                         "target": status_label(refusal.target)}
    if refusal.code == "head_only":
        return ApiError(403, "head_only", message)
    if refusal.code == "status_changed":
        return ApiError(409, "status_changed", message)
    return invalid({"reason" if refusal.code == "reason_required" else "status": [message]})


# --- from the codes a client sends to the rows coop stores ------------------------------------------------

def _resolve(values: dict, direction: Direction | None, editing: CooperationRequest | None) -> tuple[dict, dict]:
    """The domain's fields for `values` (codes, numbers and user names looked up), and the problems found."""
    fields, problems = {}, {}
    plain = {name: values[name] for name in domain.REQUEST_FIELDS if name in values}
    fields |= plain
    if "urgency" in values:
        fields["urgency"] = Urgency(values["urgency"]) if values["urgency"] else Urgency.NORMAL
    for name, model, current_id in (
        ("partner", Partner, editing.partner_id if editing else None),
        ("request_type", RequestType, editing.request_type_id if editing else None),
        ("legal_basis", LegalBasis, editing.legal_basis_id if editing else None),
    ):
        if name not in values:
            continue
        if values[name] is None:
            fields[f"{name}_id"] = None
            continue
        found = db.session.scalar(select(model).where(model.code == values[name]))
        if found is None:
            problems[name] = [_("Nothing with the code “%(code)s” exists.", code=values[name])]
        elif not found.active and found.id != current_id:
            problems[name] = [_("“%(code)s” is no longer in use.", code=values[name])]
        elif name == "request_type" and direction is not None and found.direction != direction:
            problems[name] = [str(REQUEST_PROBLEMS["type_direction_mismatch"])]
        else:
            fields[f"{name}_id"] = found.id
    if "case_number" in values:
        fields["case_id"] = None
        if values["case_number"]:
            wanted = " ".join(values["case_number"].split()).lower()
            case = db.session.scalar(select(Case).where(func.lower(Case.number) == wanted))
            if case is None:
                problems["case_number"] = [_("No case has this number. Create the case first, or leave the "
                                             "field empty.")]
            else:
                fields["case_id"] = case.id
    if "follows" in values:
        fields["follows_id"] = None
        if values["follows"]:
            follows = db.session.scalar(visible_requests(caller()).where(
                func.upper(CooperationRequest.reference) == values["follows"].upper()))
            if follows is None:
                problems["follows"] = [str(REQUEST_PROBLEMS["unknown_request"])]
            else:
                fields["follows_id"] = follows.id
    if "officers" in values:
        people, unknown = _officers(values["officers"], editing)
        if unknown:
            problems["officers"] = [_("No active officer or head has the user name “%(username)s”.",
                                      username=username) for username in unknown]
        elif editing is None:
            fields["officers"] = people
        else:
            fields["officer_ids"] = [person.id for person in people]
    return fields, problems


def _officers(usernames: list[str], editing: CooperationRequest | None) -> tuple[list[User], list[str]]:
    """The users named (officers and heads, active or already assigned), and the names that match none."""
    wanted = {name.lower() for name in usernames}
    assigned = {officer.id for officer in editing.officers} if editing else set()
    people = [person for person in db.session.scalars(select(User).where(func.lower(User.username).in_(wanted)))
              if person.role in (Role.OFFICER, Role.HEAD) and (person.active or person.id in assigned)]
    found = {person.username.lower() for person in people}
    return people, sorted(wanted - found)
