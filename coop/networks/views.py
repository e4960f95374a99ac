"""An identifier's page, links between identifiers, a case's network and the head's list of networks."""

from collections import defaultdict
from datetime import timedelta

from flask import abort, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from coop.addresses import page_argument
from coop.domain import networks
from coop.exports import FORMATS, download
from coop.extensions import db
from coop.i18n import format_local_date, format_local_datetime, local_zone
from coop.labels import direction_label, identifier_kind_label, status_label
from coop.models import Case, IdentifierKind, Role, User, utcnow
from coop.networks import bp, identifier_url
from coop.networks.forms import LINK_PROBLEMS, LinkForm
from coop.security import role_required

EDITORS = (Role.OFFICER, Role.HEAD)
HEADS = (Role.HEAD, Role.ADMIN)
NETWORKS_PER_PAGE = 25
NORMALIZED_MAX = 500


def _key(kind: str, normalized: str) -> networks.Key:
    """The key named by a URL or a form; 404 for a kind coop does not know or an impossible value."""
    try:
        identifier_kind = IdentifierKind(kind)
    except ValueError:
        abort(404)
    if not normalized or len(normalized) > NORMALIZED_MAX or any(ord(char) < 32 for char in normalized):
        abort(404)
    return identifier_kind, normalized


def _heads() -> list[str]:
    """Whom to ask about requests one may not see."""
    return list(db.session.scalars(select(User.full_name).where(User.role == Role.HEAD, User.active.is_(True))
                                   .order_by(User.full_name)))


def _identifier_page(key: networks.Key, form: LinkForm | None = None, status: int = 200):
    page = networks.identifier_page(db.session, current_user, key)
    if page is None:
        abort(404)
    if form is None:
        form = LinkForm(formdata=None, kind=key[0].value, normalized=key[1])
    return render_template("networks/identifier.html", page=page, key=key, form=form,
                           session_gap_hours=networks.IP_SESSION_GAP // timedelta(hours=1),
                           can_edit=current_user.role in EDITORS, heads=_heads() if page.hidden else []), status


@bp.get("/identifiers/<string(maxlength=16):kind>/<path:normalized>")
def identifier(kind: str, normalized: str):
    return _identifier_page(_key(kind, normalized))


@bp.post("/identifiers/links")
@role_required(*EDITORS)
def link():
    form = LinkForm()
    key = _key(form.kind.data or "", form.normalized.data or "")
    if not networks.key_is_visible(db.session, current_user, key):
        abort(404)
    if form.validate_on_submit():
        try:
            networks.add_link(db.session, current_user, key, form.other_key, form.reason.data, utcnow())
        except networks.NetworkProblem as problem:
            db.session.rollback()
            (form.reason if problem.field == "reason" else form.other_value).errors.append(LINK_PROBLEMS[problem.code])
        else:
            db.session.commit()
            flash(_("Marked as the same person's as %(other)s.", other=form.other_key[1]), "success")
            return redirect(identifier_url(*key))
    return _identifier_page(key, form, 400)


@bp.post("/identifiers/links/<int:link_id>/delete")
@role_required(*EDITORS)
def unlink(link_id: int):
    removed = networks.remove_link(db.session, current_user, link_id)
    if removed is None:
        abort(404)
    db.session.commit()
    flash(_("The two identifiers are no longer marked as the same person's."), "success")
    return redirect(identifier_url(removed.kind_a, removed.normalized_a))


@bp.get("/networks/")
@role_required(*HEADS)
def index():
    page_number = page_argument()
    summaries, total = networks.largest_networks(db.session, NETWORKS_PER_PAGE,
                                                 (page_number - 1) * NETWORKS_PER_PAGE)
    pages = max(1, -(-total // NETWORKS_PER_PAGE))
    return render_template("networks/index.html", summaries=summaries, total=total, page_number=page_number,
                           pages=pages, now=utcnow())


def _network_of(case_id: int) -> tuple[Case, networks.CaseNetworkView]:
    the_case = db.get_or_404(Case, case_id)
    return the_case, networks.case_network(db.session, current_user, case_id)


@bp.get("/cases/<int:case_id>/network")
def case_network(case_id: int):
    the_case, view = _network_of(case_id)
    return render_template("networks/case_network.html", case=the_case, view=view,
                           paths=view.paths_from_center(), formats=FORMATS)


@bp.get("/cases/<int:case_id>/network.json")
def case_network_graph(case_id: int):
    _the_case, view = _network_of(case_id)
    return jsonify(graph_json(view))


def graph_json(view: networks.CaseNetworkView) -> dict:
    """Nodes and edges for the picture (Cytoscape.js's elements), each node with the page it opens."""
    nodes, edges = [], []
    key_ids = {key: f"key-{index}" for index, key in enumerate(sorted(view.shared_keys,
                                                                        key=lambda key: (key[0].value, key[1])))}
    for node in sorted(view.cases.values(), key=lambda node: node.number):
        nodes.append({"data": {"id": f"case-{node.id}", "type": "case", "label": node.number, "title": node.title,
                               "requests": node.requests, "open": node.open_requests,
                               "center": node.id == view.case_id,
                               "url": url_for("networks.case_network", case_id=node.id)}})
    for key, node_id in key_ids.items():
        label = key[1] if len(key[1]) <= 28 else key[1][:26] + "…"
        full = key[1]
        if isinstance(key, networks.IpSession) and key.start is not None:  # one address, several sessions
            full = f"{key[1]} · {format_local_datetime(key.start)}"
            label = f"{label} · {format_local_date(key.start)}"
        nodes.append({"data": {"id": node_id, "type": "identifier", "kind": key[0].value,
                               "kindLabel": identifier_kind_label(key[0]), "label": label, "full": full,
                               "url": identifier_url(*key)}})
        for case_id in sorted(view.shared_keys[key]):
            if case_id in view.cases:
                edges.append({"data": {"id": f"{node_id}-case-{case_id}", "source": f"case-{case_id}",
                                       "target": node_id}})
    ids_of_address = defaultdict(list)  # a link names an address: it joins each of its sessions
    for key, node_id in key_ids.items():
        ids_of_address[networks.address_key(key)].append(node_id)
    for first, second in sorted(view.links, key=repr):
        for source in ids_of_address.get(first, ()):
            for target in ids_of_address.get(second, ()):
                edges.append({"data": {"id": f"{source}-{target}", "source": source, "target": target,
                                       "type": "link"}})
    return {"center": f"case-{view.case_id}", "truncated": view.truncated, "elements": {"nodes": nodes,
                                                                                       "edges": edges}}


@bp.get("/cases/<int:case_id>/network/export.<fmt>")
def export_network(case_id: int, fmt: str):
    if fmt not in FORMATS:
        abort(404)
    the_case, view = _network_of(case_id)
    zone = local_zone()
    header = [_("Case"), _("Case title"), _("Reference"), _("Direction"), _("Partner"), _("Status"),
              _("Request title"), _("Sent or received"), _("Answered"), _("Shared identifiers")]

    def rows():
        for number, case_title, reference, direction, partner, status, title, sent, answered, keys in \
                networks.network_requests(db.session, current_user, view):
            yield (number, case_title, reference, direction_label(direction), partner, status_label(status), title,
                   sent, answered, keys)

    title = _("Network of case %(number)s", number=the_case.number)
    return download(f"coop-network-{the_case.number}-{utcnow().astimezone(zone):%Y%m%d}", fmt, title, header,
                    rows, zone)
