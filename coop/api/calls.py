"""Reading an API call (its query arguments, its JSON body) and answering it in pages, with the same
access rule as the web pages."""

from flask import abort, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from coop.api import fields as api_fields
from coop.api.auth import caller
from coop.api.errors import ApiError, invalid
from coop.domain import audit
from coop.domain.access import visible_requests
from coop.extensions import db
from coop.models import CooperationRequest, Role

MAX_PAGE_SIZE = 100


def page_json(page, items: list) -> dict:
    """A page of a list, with links to its neighbours that keep the query's other arguments."""
    def link(number: int) -> str:
        return url_for(request.endpoint, **(request.view_args or {}), **(request.args.to_dict() | {"page": number}))

    return {
        "items": items, "page": page.page, "per_page": page.per_page, "total": page.total, "pages": page.pages,
        "next": link(page.next_num) if page.has_next else None,
        "prev": link(page.prev_num) if page.has_prev else None,
    }


def page_args(default_size: int) -> tuple[int, int]:
    """Page number and size from the query; a 400 naming the argument when one is not a number in range."""
    problems, values = {}, {}
    for name, default, maximum in (("page", 1, api_fields.MAX_ID), ("per_page", default_size, MAX_PAGE_SIZE)):
        raw = request.args.get(name, "")
        if raw == "":
            values[name] = default
        elif raw.isascii() and raw.isdigit() and 1 <= int(raw) <= maximum:
            values[name] = int(raw)
        else:
            problems[name] = [_("Must be a whole number from %(min)d to %(max)d.", min=1, max=maximum)]
    if problems:
        raise invalid(problems, _("Some query arguments are not valid."), status=400)
    return values["page"], values["per_page"]


def choice_argument(name: str, choices: type, problems: dict):
    """The query argument `name` as a member of the enum `choices`, None when absent; notes a bad value."""
    raw = request.args.get(name, "")
    if not raw:
        return None
    if raw not in {item.value for item in choices}:
        problems[name] = [_("Must be one of: %(choices)s.", choices=", ".join(item.value for item in choices))]
        return None
    return choices(raw)


def boolean_argument(name: str, problems: dict) -> bool | None:
    raw = request.args.get(name, "")
    if raw in ("true", "false"):
        return raw == "true"
    if raw:
        problems[name] = [_("Must be true or false.")]
    return None


def refuse_bad_arguments(problems: dict) -> None:
    if problems:
        raise invalid(problems, _("Some query arguments are not valid."), status=400)


def json_body() -> object:
    body = request.get_json(silent=True)
    if body is None:
        raise ApiError(400, "not_json", _("The body must be JSON, sent with Content-Type: application/json."))
    return body


def visible_request(request_id: int, *options) -> CooperationRequest:
    """The request if the caller may see it, else 404 (whether it exists is none of their business)."""
    found = db.session.scalar(visible_requests(caller()).where(CooperationRequest.id == request_id)
                              .options(*options))
    if found is None:
        abort(404)
    return found


def record_admin_reading(item: CooperationRequest, what: str) -> None:
    """As on the web pages: an administrator's look at a restricted request is kept in the audit trail."""
    if caller().role == Role.ADMIN and item.restricted:
        audit.record_reading(db.session, "cooperation_request", item.id, what)
        db.session.commit()


def visible_ids():
    """A subquery of the ids of the requests the caller may see."""
    return visible_requests(caller()).with_only_columns(CooperationRequest.id)


def requests_by_id(ids) -> dict[int, CooperationRequest]:
    """The requests with these ids, in one query."""
    wanted = set(ids)
    if not wanted:
        return {}
    return {item.id: item for item in db.session.scalars(select(CooperationRequest)
                                                         .where(CooperationRequest.id.in_(wanted)))}
