"""Legal bases and request types: everyone reads them; administrators add and edit them (a new treaty or an
accession is an edit here and on the partner's page, not a change to the code)."""

from flask import flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from coop.domain.reference_data import name_column
from coop.extensions import db
from coop.forms import page_status
from coop.models import (
    Direction,
    LegalBasis,
    LegalBasisKind,
    Partner,
    PartnerInstrument,
    PartnerKind,
    RequestType,
    Role,
)
from coop.partners import bp
from coop.partners.forms import LegalBasisForm, RequestTypeForm
from coop.security import role_required


def _language() -> str:
    return str(get_locale())


@bp.get("/legal-bases")
def legal_bases():
    bound = dict(db.session.execute(
        select(PartnerInstrument.legal_basis_id, func.count()).group_by(PartnerInstrument.legal_basis_id)).all())
    bases = db.session.scalars(select(LegalBasis).order_by(LegalBasis.active.desc(), LegalBasis.kind, LegalBasis.code))
    return render_template("partners/legal_bases.html", bases=bases, bound=bound)


@bp.get("/legal-bases/<int:basis_id>")
def legal_basis(basis_id: int):
    basis = db.get_or_404(LegalBasis, basis_id)
    name = name_column(Partner, _language())
    parties = db.session.execute(
        select(PartnerInstrument, Partner).join(Partner, PartnerInstrument.partner_id == Partner.id)
        .where(PartnerInstrument.legal_basis_id == basis.id).order_by(name)
    ).all()
    return render_template("partners/legal_basis.html", basis=basis, parties=parties)


@bp.route("/legal-bases/new", methods=["GET", "POST"])
@bp.route("/legal-bases/<int:basis_id>/edit", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit_legal_basis(basis_id: int | None = None):
    basis = db.get_or_404(LegalBasis, basis_id) if basis_id else None
    form = LegalBasisForm(obj=basis, editing=basis)
    if form.validate_on_submit():
        target = basis or LegalBasis(code=form.code.data)
        form.populate_obj(target)
        target.kind = LegalBasisKind(form.kind.data)
        target.articles, target.notes = target.articles or None, target.notes or None
        target.name_kk, target.notes_kk = target.name_kk or None, target.notes_kk or None
        db.session.add(target)
        db.session.commit()
        flash(_("Legal basis %(name)s has been saved.", name=target.name(_language())), "success")
        return redirect(url_for("partners.legal_basis", basis_id=target.id))
    return render_template("partners/legal_basis_form.html", form=form, basis=basis), page_status(form)


@bp.get("/request-types")
def request_types():
    types = db.session.scalars(select(RequestType).order_by(RequestType.active.desc(), RequestType.sort_order,
                                                            RequestType.code))
    return render_template("partners/request_types.html", types=types)


@bp.route("/request-types/new", methods=["GET", "POST"])
@bp.route("/request-types/<int:type_id>/edit", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit_request_type(type_id: int | None = None):
    request_type = db.get_or_404(RequestType, type_id) if type_id else None
    form = RequestTypeForm(obj=request_type, editing=request_type)
    if form.validate_on_submit():
        target = request_type or RequestType(code=form.code.data)
        form.populate_obj(target)
        target.direction = Direction(form.direction.data)
        target.partner_kind = PartnerKind(form.partner_kind.data) if form.partner_kind.data else None
        target.description = target.description or None
        target.name_kk, target.description_kk = target.name_kk or None, target.description_kk or None
        db.session.add(target)
        db.session.commit()
        flash(_("Request type %(name)s has been saved.", name=target.name(_language())), "success")
        return redirect(url_for("partners.request_types"))
    return render_template("partners/request_type_form.html", form=form, request_type=request_type), \
        page_status(form)
