"""Criminal cases: the list, creating and editing one, and its page with all its requests."""

from collections import defaultdict

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from coop.addresses import page_argument
from coop.cases import bp
from coop.cases.forms import CASE_STATUS_LABELS, CaseForm, officer_choices
from coop.domain import networks
from coop.domain.access import visible_requests
from coop.domain.cases import (
    CaseFilters,
    CaseProblem,
    create_case,
    identifiers_elsewhere,
    request_counts,
    search_cases,
    shared_identifiers,
    update_case,
)
from coop.domain.workflow import is_open
from coop.extensions import db
from coop.forms import page_status
from coop.i18n import local_zone
from coop.labels import PARTNER_KIND_LABELS
from coop.models import Case, CaseStatus, CooperationRequest, Direction, Role, utcnow
from coop.security import role_required

CASE_PROBLEMS = {
    "duplicate_number": _l("A case with this number already exists."),
    "conflict": _l("Someone else saved this case while you were editing it. Their version is shown above and "
                   "your changes are kept in the form: check them and save again."),
}
EDITORS = (Role.OFFICER, Role.HEAD)
# The case page shows the nearest connected cases; the network's own page shows all of them.
CONNECTED_SHOWN = 12


@bp.context_processor
def case_labels():
    return {"status_labels": CASE_STATUS_LABELS, "partner_kind_labels": PARTNER_KIND_LABELS}


@bp.get("/")
def index():
    filters, problem = _case_filters(request.args)
    page = db.paginate(search_cases(filters).options(joinedload(Case.responsible_officer)),
                       page=page_argument(), per_page=50, error_out=False)
    counts = request_counts(db.session, current_user, [item.id for item in page.items])
    return render_template("cases/list.html", page=page, counts=counts, filters=filters, problem=problem,
                           officers=officer_choices(),
                           filter_args=_filter_args(filters))


def _case_filters(args) -> tuple[CaseFilters, str | None]:
    status, problem = None, None
    if raw_status := args.get("status", "").strip():
        try:
            status = CaseStatus(raw_status)
        except ValueError:
            problem = _("Unknown case status “%(value)s”: the filter was ignored.", value=raw_status)
    officer = args.get("officer", "").strip()
    officer_id = int(officer) if officer.isascii() and officer.isdigit() and 0 < int(officer) < 2**31 else None
    if officer and officer_id is None:
        problem = _("“%(value)s” is not an officer: the filter was ignored.", value=officer)
    return CaseFilters(text=" ".join(args.get("text", "").split())[:200], status=status,
                       officer_id=officer_id), problem


def _filter_args(filters: CaseFilters) -> dict:
    args = {"text": filters.text, "status": filters.status.value if filters.status else None,
            "officer": filters.officer_id}
    return {name: value for name, value in args.items() if value}


@bp.route("/new", methods=["GET", "POST"])
@role_required(*EDITORS)
def create():
    form = CaseForm()
    if request.method == "GET":
        form.responsible_officer_id.data = current_user.id
        form.opened_on.data = utcnow().astimezone(local_zone()).date()
    if form.validate_on_submit():
        try:
            new_case = create_case(db.session, form.case_fields(), utcnow())
        except CaseProblem as problem:
            db.session.rollback()
            form.number.errors.append(CASE_PROBLEMS[problem.code])
        else:
            db.session.commit()
            flash(_("Case %(number)s has been created.", number=new_case.number), "success")
            return redirect(url_for("cases.detail", case_id=new_case.id))
    return render_template("cases/form.html", form=form, case=None), page_status(form)


@bp.route("/<int:case_id>/edit", methods=["GET", "POST"])
@role_required(*EDITORS)
def edit(case_id: int):
    the_case = db.get_or_404(Case, case_id)
    form = CaseForm(obj=the_case, editing=the_case)
    if request.method == "GET":
        form.version.data = the_case.version
    if form.validate_on_submit():
        try:
            update_case(db.session, case_id, form.case_fields(), _submitted_version(form), utcnow())
        except CaseProblem as problem:
            db.session.rollback()
            return _refused_edit(case_id, form, problem)
        db.session.commit()
        flash(_("Case %(number)s has been saved.", number=the_case.number), "success")
        return redirect(url_for("cases.detail", case_id=case_id))
    return render_template("cases/form.html", form=form, case=the_case), page_status(form)


def _submitted_version(form: CaseForm) -> int:
    # What was posted, not what the form took from the stored case when the field was left out.
    version = form.version.raw_data[0] if form.version.raw_data else ""
    if not (version.isascii() and version.isdigit() and len(version) < 10):
        abort(400)
    return int(version)


def _refused_edit(case_id: int, form: CaseForm, problem: CaseProblem):
    """Show the form again with the user's input kept; on a conflict, beside the version now stored."""
    stored = db.get_or_404(Case, case_id, options=[joinedload(Case.responsible_officer)])
    if problem.code == "conflict":
        # Saving again now means "mine replaces theirs": the user has seen what they overwrite.
        form.version.data = stored.version
        form.form_errors.append(CASE_PROBLEMS["conflict"])
        return render_template("cases/form.html", form=form, case=stored, theirs=stored), 409
    form.number.errors.append(CASE_PROBLEMS[problem.code])
    return render_template("cases/form.html", form=form, case=stored), 400


@bp.get("/<int:case_id>")
def detail(case_id: int):
    the_case = db.get_or_404(Case, case_id, options=[joinedload(Case.responsible_officer)])
    requests = list(db.session.scalars(
        visible_requests(current_user)
        .where(CooperationRequest.case_id == case_id)
        .options(joinedload(CooperationRequest.partner), joinedload(CooperationRequest.request_type),
                 selectinload(CooperationRequest.identifiers), selectinload(CooperationRequest.officers))
        .order_by(CooperationRequest.created_at, CooperationRequest.id)
    ).unique())
    by_partner = defaultdict(list)
    for item in requests:
        by_partner[item.partner].append(item)
    network = networks.case_network(db.session, current_user, case_id, max_cases=CONNECTED_SHOWN)
    return render_template(
        "cases/detail.html", case=the_case, requests=requests,
        by_partner=sorted(by_partner.items(), key=lambda pair: pair[0].name(str(get_locale()))),
        references=_visible_references(requests),
        followed_by=_followed_by(requests),
        shared=shared_identifiers(requests),
        elsewhere=identifiers_elsewhere(db.session, current_user, case_id, requests),
        network=network, connected=network.paths_from_center(),
        can_edit=current_user.role in EDITORS,
        open_count=sum(is_open(item.status) for item in requests),
        outgoing=Direction.OUTGOING, incoming=Direction.INCOMING,
    )


def _visible_references(requests: list[CooperationRequest]) -> dict[int, str]:
    """Our reference of every request these follow up, when the user may see it: at most one query."""
    known = {item.id: item.reference for item in requests}
    missing = {item.follows_id for item in requests if item.follows_id and item.follows_id not in known}
    if missing:
        rows = db.session.execute(
            visible_requests(current_user).with_only_columns(CooperationRequest.id, CooperationRequest.reference)
            .where(CooperationRequest.id.in_(sorted(missing)))
        )
        known.update((request_id, reference) for request_id, reference in rows)
    return known


def _followed_by(requests: list[CooperationRequest]) -> dict[int, list[CooperationRequest]]:
    followers = defaultdict(list)
    for item in requests:
        if item.follows_id:
            followers[item.follows_id].append(item)
    return followers
