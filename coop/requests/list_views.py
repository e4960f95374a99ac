"""The list of requests: filters, text search, sorting, pagination."""

from flask import render_template, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import or_, select

from coop.domain.reference_data import name_column
from coop.domain.request_search import (
    PAGE_SIZES,
    FilterProblem,
    find_page,
    next_deadlines,
    parse_filters,
    unknown_references,
)
from coop.domain.workflow import MAIN_PATH, SIDE_EXITS
from coop.extensions import db
from coop.i18n import local_zone
from coop.labels import PARTNER_KIND_LABELS
from coop.models import Case, CaseStatus, Direction, Partner, PartnerKind, RequestType, Role, Urgency, User, utcnow
from coop.requests import bp

FILTER_LABELS = {
    "direction": _l("Direction"),
    "partner_kind": _l("Partner kind"),
    "partner": _l("Partner"),
    "request_type": _l("Type"),
    "status": _l("Status"),
    "officer": _l("Officer"),
    "case": _l("Case"),
    "urgency": _l("Urgency"),
    "created_from": _l("Created from"),
    "created_to": _l("Created to"),
    "sent_from": _l("Sent from"),
    "sent_to": _l("Sent to"),
    "text": _l("Search"),
    "sort": _l("Sort order"),
    "page": _l("Page"),
    "per_page": _l("Rows per page"),
}
PROBLEM_MESSAGES = {
    "invalid_choice": _l("“%(value)s” is not one of the choices."),
    "invalid_number": _l("“%(value)s” is not a valid number."),
    "invalid_date": _l("“%(value)s” is not a valid date."),
    "reversed_range": _l("The end date is before the start date."),
    "unknown": _l("Nothing with the value “%(value)s” exists."),
    "too_long": _l("The search text is too long; only its beginning was used."),
    "invalid_characters": _l("“%(value)s” contains an invisible control character (shown as �) that cannot be "
                             "searched for. Type it again, or paste it as plain text."),
}
CASE_SUGGESTIONS = 40
STATUS_GROUP_LABELS = {"open": _l("Any open"), "finished": _l("Any finished")}


@bp.get("/")
def index():
    filters, problems = parse_filters(request.args)
    problems += unknown_references(db.session, filters)
    filters = filters.without(*(problem.field for problem in problems if problem.code != "too_long"))
    now = utcnow()
    page = find_page(db.session, current_user, filters, now, local_zone(), str(get_locale()))
    return render_template(
        "requests/list.html", page=page, filters=filters, now=now,
        deadlines=next_deadlines(db.session, [item.id for item in page.items]),
        problems={problem.field: _problem_message(problem) for problem in problems},
        choices=_filter_choices(filters), can_create=current_user.role in (Role.OFFICER, Role.HEAD),
        filter_labels=FILTER_LABELS, page_sizes=PAGE_SIZES, partner_kind_labels=PARTNER_KIND_LABELS,
    )


def _problem_message(problem: FilterProblem) -> str:
    return str(PROBLEM_MESSAGES[problem.code] % {"value": problem.value})


def _filter_choices(filters) -> dict:
    """The options of the filter bar's selects: partners, types, officers and cases, four small queries."""
    language = str(get_locale())
    partners = db.session.scalars(
        select(Partner).where(or_(Partner.active.is_(True), Partner.code == filters.partner))
        .order_by(Partner.kind.desc(), name_column(Partner, language))  # providers first: most requests go to them
    ).all()
    outgoing = MAIN_PATH[Direction.OUTGOING]
    incoming_only = [status for status in MAIN_PATH[Direction.INCOMING] if status not in outgoing]
    return {
        "providers": [partner for partner in partners if partner.kind == PartnerKind.PROVIDER],
        "countries": [partner for partner in partners if partner.kind == PartnerKind.COUNTRY],
        "types": db.session.scalars(
            select(RequestType).where(or_(RequestType.active.is_(True), RequestType.code == filters.request_type))
            .order_by(RequestType.direction.desc(), RequestType.sort_order, name_column(RequestType, language))
        ).all(),
        "officers": db.session.scalars(
            select(User).where(User.role.in_([Role.OFFICER, Role.HEAD]), User.active.is_(True))
            .order_by(User.full_name)
        ).all(),
        # A department has thousands of cases: the filter takes a number, suggesting the latest open ones.
        "cases": db.session.execute(
            select(Case.number, Case.title).where(Case.status == CaseStatus.OPEN)
            .order_by(Case.id.desc()).limit(CASE_SUGGESTIONS)
        ).all(),
        "outgoing_statuses": outgoing,
        "incoming_statuses": incoming_only,
        "side_exits": sorted(SIDE_EXITS),
        "status_groups": STATUS_GROUP_LABELS,
        "directions": list(Direction),
        "partner_kinds": list(PartnerKind),
        "urgencies": list(Urgency),
    }
