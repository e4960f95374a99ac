"""The API's routes for the caller and the API's own description, partners and reference lists.

The requests' routes are in `request_views`, the deadlines' and reminders' in `deadline_views`.
"""

from flask import abort, g, jsonify, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from coop.api import bp, openapi
from coop.api.auth import caller
from coop.api.calls import boolean_argument, choice_argument, page_args, page_json, refuse_bad_arguments
from coop.api.representations import legal_basis_full_json, me_json, partner_json, request_type_full_json
from coop.domain.partners import partner_search
from coop.extensions import db
from coop.models import LegalBasis, Partner, PartnerInstrument, PartnerKind, RequestType

PARTNER_PAGE_SIZE = 50


# --- the caller, the API's own description -----------------------------------------------------------------

@bp.get("/me")
@openapi.operation("me")
def me():
    return jsonify(me_json(caller(), g.get("api_token")))


@bp.get("/openapi.json")
@openapi.operation("openapi")
def openapi_document():
    return jsonify(openapi.document())


@bp.get("/docs")
@openapi.operation("docs")
def docs():
    return render_template("api/docs.html", api=openapi.readable_document())


# --- partners and reference lists --------------------------------------------------------------------------

@bp.get("/partners")
@openapi.operation("partners")
def partners():
    page_number, per_page = page_args(PARTNER_PAGE_SIZE)
    query = select(Partner)
    problems = {}
    if kind := choice_argument("kind", PartnerKind, problems):
        query = query.where(Partner.kind == kind)
    active = boolean_argument("active", problems)
    if active is not None:
        query = query.where(Partner.active.is_(active))
    text = " ".join(request.args.get("q", "").split())
    if len(text) > 100:
        problems["q"] = [_("At most %(max)d characters.", max=100)]
    elif text:
        query = query.where(partner_search(text))
    refuse_bad_arguments(problems)
    page = db.paginate(query.order_by(Partner.code), page=page_number, per_page=per_page, error_out=False)
    return jsonify(page_json(page, [partner_json(partner) for partner in page.items]))


@bp.get("/partners/<string(maxlength=32):code>")
@openapi.operation("partner")
def partner(code: str):
    found = db.session.scalar(
        select(Partner).where(Partner.code == code)
        .options(selectinload(Partner.contacts),
                 selectinload(Partner.instruments).joinedload(PartnerInstrument.legal_basis)))
    if found is None:
        abort(404)
    return jsonify(partner_json(found, full=True))


@bp.get("/request-types")
@openapi.operation("request_types")
def request_types():
    types = db.session.scalars(select(RequestType).order_by(RequestType.direction.desc(), RequestType.sort_order,
                                                            RequestType.code))
    return jsonify(items=[request_type_full_json(item) for item in types])


@bp.get("/legal-bases")
@openapi.operation("legal_bases")
def legal_bases():
    bases = db.session.scalars(select(LegalBasis).order_by(LegalBasis.code))
    return jsonify(items=[legal_basis_full_json(basis) for basis in bases])
