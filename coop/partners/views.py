"""Partners: the list, a partner's page with its requests, and the administrators' edits."""

from types import SimpleNamespace
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import get_day_names
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from coop.addresses import page_argument
from coop.domain.access import visible_requests
from coop.domain.partners import RequestCounts, partner_search, request_counts
from coop.domain.reference_data import EditConflict, known_time_zones, name_column, split_codes, update_partner
from coop.domain.response_times import response_times
from coop.extensions import db
from coop.forms import page_status
from coop.labels import (
    CONTACT_ROLE_LABELS,
    DIRECTION_LABELS,
    LEGAL_BASIS_KIND_LABELS,
    PARTNER_KIND_LABELS,
    channel_labels,
)
from coop.models import (
    ContactRole,
    CooperationRequest,
    Partner,
    PartnerContact,
    PartnerInstrument,
    PartnerKind,
    Role,
    utcnow,
)
from coop.partners import bp
from coop.partners.forms import ContactForm, InstrumentForm, PartnerForm, partner_form_data
from coop.security import role_required

PARTNERS_PER_PAGE = 50
REQUESTS_PER_PAGE = 25


def _language() -> str:
    return str(get_locale())


def _partner_or_404(partner_id: int) -> Partner:
    return db.get_or_404(Partner, partner_id, options=[
        selectinload(Partner.contacts),
        selectinload(Partner.instruments).selectinload(PartnerInstrument.legal_basis),
    ])


@bp.get("/")
def index():
    kind = request.args.get("kind", "")
    text = request.args.get("q", "").strip()[:100]
    query = select(Partner)
    if kind in {value.value for value in PartnerKind}:
        query = query.where(Partner.kind == PartnerKind(kind))
    else:
        kind = ""
    if text:
        query = query.where(partner_search(text))
    name = name_column(Partner, _language())
    page = db.paginate(query.order_by(Partner.active.desc(), Partner.kind.desc(), name),
                       page=page_argument(), per_page=PARTNERS_PER_PAGE, error_out=False)
    counts = request_counts(db.session, visible_requests(current_user), [partner.id for partner in page.items])
    kinds = dict(db.session.execute(select(Partner.kind, func.count()).group_by(Partner.kind)).all())
    return render_template("partners/index.html", page=page, counts=counts, no_requests=RequestCounts(),
                           kind=kind, text=text, kinds=kinds,
                           filters={key: value for key, value in (("kind", kind), ("q", text)) if value})


@bp.get("/<int:partner_id>")
def detail(partner_id: int):
    partner = _partner_or_404(partner_id)
    its_requests = visible_requests(current_user).where(CooperationRequest.partner_id == partner.id)
    page = db.paginate(
        its_requests.options(selectinload(CooperationRequest.request_type))
        .order_by(CooperationRequest.created_at.desc(), CooperationRequest.id.desc()),
        page=page_argument(), per_page=REQUESTS_PER_PAGE, error_out=False,
    )
    counts = request_counts(db.session, visible_requests(current_user), [partner.id]).get(partner.id, RequestCounts())
    zone = partner.time_zone if partner.time_zone in known_time_zones() else None
    local_time = utcnow().astimezone(ZoneInfo(zone)) if zone else None
    return render_template("partners/detail.html", partner=partner, page=page, counts=counts,
                           times=response_times(db.session, its_requests), local_time=local_time)


@bp.route("/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def create():
    kind = PartnerKind.PROVIDER if request.args.get("kind") == PartnerKind.PROVIDER.value else PartnerKind.COUNTRY
    form = PartnerForm(kind=kind, data={"active": True, "version": 1, "weekend_days": ["6", "7"]})
    if form.validate_on_submit():
        partner = Partner(kind=PartnerKind(form.kind.data), code=form.code.data, **form.changes())
        db.session.add(partner)
        db.session.commit()
        flash(_("Partner %(name)s has been created.", name=partner.name(_language())), "success")
        return redirect(url_for("partners.detail", partner_id=partner.id))
    return render_template("partners/form.html", form=form, partner=None), page_status(form)


@bp.route("/<int:partner_id>/edit", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit(partner_id: int):
    partner = db.get_or_404(Partner, partner_id)
    form = PartnerForm(editing=partner, data=partner_form_data(partner))
    if form.validate_on_submit():
        try:
            update_partner(db.session, partner.id, form.submitted_version, form.changes())
        except EditConflict as conflict:
            differences = form.differences(conflict.current)
            form.rebase(conflict.current.version)
            return render_template("partners/form.html", form=form, partner=partner, conflict=differences), 409
        db.session.commit()
        flash(_("Partner %(name)s has been saved.", name=partner.name(_language())), "success")
        return redirect(url_for("partners.detail", partner_id=partner.id))
    return render_template("partners/form.html", form=form, partner=partner), page_status(form)


@bp.route("/<int:partner_id>/contacts/new", methods=["GET", "POST"])
@bp.route("/<int:partner_id>/contacts/<int:contact_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def contact(partner_id: int, contact_id: int | None = None):
    partner = db.get_or_404(Partner, partner_id)
    existing = _child_or_404(PartnerContact, contact_id, partner) if contact_id else None
    form = ContactForm(obj=existing, editing=existing)
    if form.validate_on_submit():
        target = existing or PartnerContact(partner=partner)
        form.populate_obj(target)
        target.role = ContactRole(form.role.data)
        for field in ("email", "phone", "address", "office_hours"):
            setattr(target, field, getattr(target, field) or None)
        db.session.add(target)
        db.session.commit()
        flash(_("The contact has been saved."), "success")
        return redirect(url_for("partners.detail", partner_id=partner.id, _anchor="contacts"))
    return render_template("partners/contact_form.html", form=form, partner=partner, contact=existing), \
        page_status(form)


@bp.post("/<int:partner_id>/contacts/<int:contact_id>/delete")
@role_required(Role.ADMIN)
def delete_contact(partner_id: int, contact_id: int):
    partner = db.get_or_404(Partner, partner_id)
    db.session.delete(_child_or_404(PartnerContact, contact_id, partner))
    db.session.commit()
    flash(_("The contact has been deleted."), "success")
    return redirect(url_for("partners.detail", partner_id=partner.id, _anchor="contacts"))


@bp.route("/<int:partner_id>/instruments/new", methods=["GET", "POST"])
@bp.route("/<int:partner_id>/instruments/<int:instrument_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def instrument(partner_id: int, instrument_id: int | None = None):
    partner = db.get_or_404(Partner, partner_id)
    existing = _child_or_404(PartnerInstrument, instrument_id, partner) if instrument_id else None
    form = InstrumentForm(obj=existing, partner=partner, editing=existing)
    if form.validate_on_submit():
        target = existing or PartnerInstrument(partner=partner)
        form.populate_obj(target)
        target.notes = target.notes or None
        db.session.add(target)
        db.session.commit()
        flash(_("The legal basis has been recorded for this partner."), "success")
        return redirect(url_for("partners.detail", partner_id=partner.id, _anchor="instruments"))
    return render_template("partners/instrument_form.html", form=form, partner=partner, instrument=existing), \
        page_status(form)


@bp.post("/<int:partner_id>/instruments/<int:instrument_id>/delete")
@role_required(Role.ADMIN)
def delete_instrument(partner_id: int, instrument_id: int):
    partner = db.get_or_404(Partner, partner_id)
    db.session.delete(_child_or_404(PartnerInstrument, instrument_id, partner))
    db.session.commit()
    flash(_("The legal basis has been removed from this partner."), "success")
    return redirect(url_for("partners.detail", partner_id=partner.id, _anchor="instruments"))


def _child_or_404(model, child_id: int, partner: Partner):
    """A contact or instrument of `partner` (404 when it belongs to another partner or does not exist)."""
    child = db.session.get(model, child_id)
    if child is None or child.partner_id != partner.id:
        abort(404)
    return child


@bp.context_processor
def partner_labels():
    """Translated names of the partners' enum values, languages and weekdays, for this area's templates."""
    language = Locale.parse(_language())

    def weekdays(stored: str | None) -> str:
        names = get_day_names("wide", locale=language)
        return ", ".join(names[int(day) - 1] for day in split_codes(stored) if day.isdigit() and 1 <= int(day) <= 7)

    return {"partner_labels": SimpleNamespace(
        kind=PARTNER_KIND_LABELS, contact_role=CONTACT_ROLE_LABELS, basis_kind=LEGAL_BASIS_KIND_LABELS,
        direction=DIRECTION_LABELS, channels=channel_labels, split=split_codes, weekdays=weekdays,
        language=lambda code: language.languages.get(code, code),
    )}
