"""What administrators look after here: deadline rules, the days the government moves, and the mail outbox."""

from datetime import date

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import extract, select
from sqlalchemy.orm import joinedload

from coop.deadlines import bp
from coop.deadlines.forms import CalendarDayForm, MailCheckForm, PartnerCalendarDayForm, RuleForm
from coop.deadlines.labels import holiday_label
from coop.domain import outbox
from coop.domain.calendars import KAZAKHSTAN, package_holidays
from coop.domain.deadlines import (
    DeadlineChange,
    partner_calendar_key,
    partners_sharing_calendar,
    recompute_open_requests,
    requests_on_working_day_clocks,
)
from coop.domain.reminders import SWEEP_LOCK
from coop.extensions import db
from coop.forms import page_status
from coop.mail import message_domain
from coop.models import (
    CalendarDay,
    DeadlineRule,
    OutboxMessage,
    OutboxState,
    Partner,
    PartnerKind,
    RequestType,
    Role,
    SweepLock,
    utcnow,
)
from coop.security import role_required

IMPACT_LIMIT = 200


def _moved_summary(changes: list[DeadlineChange]) -> tuple[int, int]:
    """How many deadlines changed, and of how many requests."""
    return len(changes), len({change.request_id for change in changes})


# --- rules ------------------------------------------------------------------------------------------------------

@bp.get("/admin/deadline-rules")
@role_required(Role.ADMIN)
def rules():
    selected = request.args.get("type") or ""
    query = (select(DeadlineRule).join(DeadlineRule.request_type)
             .options(joinedload(DeadlineRule.request_type), joinedload(DeadlineRule.legal_basis),
                      joinedload(DeadlineRule.partner))
             .order_by(RequestType.sort_order, RequestType.code, DeadlineRule.kind, DeadlineRule.scope_key))
    if selected:
        query = query.where(RequestType.code == selected)
    types = db.session.scalars(select(RequestType).order_by(RequestType.sort_order, RequestType.code)).all()
    return render_template("deadlines/rules.html", rules=db.session.scalars(query).all(), types=types,
                           selected=selected)


@bp.route("/admin/deadline-rules/new", methods=["GET", "POST"])
@bp.route("/admin/deadline-rules/<int:rule_id>/edit", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit_rule(rule_id: int | None = None):
    rule = db.get_or_404(DeadlineRule, rule_id) if rule_id else None
    form = RuleForm(editing=rule)
    if request.method == "GET":
        if rule is not None:
            form.fill_from(rule)
        elif request.args.get("type"):
            form.request_type.data = request.args["type"]
    impact = None
    if form.validate_on_submit():
        if rule is not None and rule.version != form.version.data:
            form.form_errors.append(_("Someone changed this rule after you opened it. Check it and save again."))
        else:
            previewing = "preview" in request.form
            target, changes = _save_rule(rule, form.values(), notify=not previewing)
            if previewing:
                db.session.rollback()
                impact = changes
            else:
                db.session.commit()
                moved, requests = _moved_summary(changes)
                flash(_("Rule %(key)s saved: %(moved)d deadlines of %(requests)d open requests recomputed.",
                        key=target.scope_key, moved=moved, requests=requests), "success")
                return redirect(url_for("deadlines.rules", type=target.request_type.code))
    status = page_status(form)
    return render_template("deadlines/rule_form.html", form=form, rule=rule, impact=impact,
                           impact_limit=IMPACT_LIMIT), status


def _save_rule(rule: DeadlineRule | None, values: dict, notify: bool) -> tuple[DeadlineRule, list[DeadlineChange]]:
    """Store the rule and recompute the open requests it (and its former self) applies to."""
    types = {values["request_type"].id}
    if rule is not None:
        types.add(rule.request_type_id)
        rule.version += 1
    target = rule or DeadlineRule()
    for name, value in values.items():
        setattr(target, name, value)
    db.session.add(target)
    db.session.flush()
    changes = recompute_open_requests(db.session, utcnow(), request_type_ids=types, notify_moves=notify)
    return target, changes


@bp.post("/admin/deadline-rules/<int:rule_id>/delete")
@role_required(Role.ADMIN)
def delete_rule(rule_id: int):
    rule = db.get_or_404(DeadlineRule, rule_id)
    key, type_id, code = rule.scope_key, rule.request_type_id, rule.request_type.code
    db.session.delete(rule)
    db.session.flush()
    changes = recompute_open_requests(db.session, utcnow(), request_type_ids=[type_id], notify_moves=True)
    db.session.commit()
    moved, requests = _moved_summary(changes)
    flash(_("Rule %(key)s deleted: %(moved)d deadlines of %(requests)d open requests recomputed.", key=key,
            moved=moved, requests=requests), "success")
    return redirect(url_for("deadlines.rules", type=code))


# --- calendar days -----------------------------------------------------------------------------------------------

@bp.route("/admin/calendar-days", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def calendar_days():
    year = request.args.get("year", type=int) or utcnow().year
    if not 1990 <= year <= 2100:
        abort(404)
    form = CalendarDayForm()
    if form.validate_on_submit():
        day = CalendarDay(country="KZ", day=form.day.data, working=form.working.data == "1", note=form.note.data,
                          created_by_id=current_user.id, created_at=utcnow())
        db.session.add(day)
        db.session.flush()
        moved = _recompute_around(day.day)
        db.session.commit()
        flash(_("%(day)s saved: %(moved)d deadlines moved; the officers concerned are told.",
                day=day.day.strftime("%d.%m.%Y"), moved=moved), "success")
        return redirect(url_for("deadlines.calendar_days", year=day.day.year))
    added = db.session.scalars(select(CalendarDay).options(joinedload(CalendarDay.created_by))
                               .where(CalendarDay.country == "KZ", extract("year", CalendarDay.day) == year)
                               .order_by(CalendarDay.day)).all()
    return render_template("deadlines/calendar_days.html", form=form, year=year, added=added,
                           holidays=_package_days(year), holiday_label=holiday_label), page_status(form)


def _package_days(year: int) -> list[tuple[date, str, bool]]:
    """The year's public holidays and worked weekend days, as the `holidays` package knows them."""
    known = package_holidays("KZ")
    return known.days_of_year(year) if known is not None else []


def _recompute_around(day: date) -> int:
    changes = recompute_open_requests(db.session, utcnow(), request_ids=requests_on_working_day_clocks(db.session, day),
                                      notify_moves=True)
    return sum(1 for change in changes if change.moved)


@bp.post("/admin/calendar-days/<int:day_id>/delete")
@role_required(Role.ADMIN)
def delete_calendar_day(day_id: int):
    day = db.get_or_404(CalendarDay, day_id)
    moment = day.day
    db.session.delete(day)
    db.session.flush()
    moved = _recompute_around(moment)
    db.session.commit()
    flash(_("%(day)s removed: %(moved)d deadlines moved; the officers concerned are told.",
            day=moment.strftime("%d.%m.%Y"), moved=moved), "success")
    return redirect(url_for("deadlines.calendar_days", year=moment.year))


# --- partner countries' calendar days ---------------------------------------------------------------------

@bp.route("/admin/partner-calendar-days", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def partner_calendar_days():
    form = PartnerCalendarDayForm()
    if request.method == "GET" and request.args.get("partner"):
        form.partner.data = request.args["partner"]
    if form.validate_on_submit():
        partner = form.found_partner
        day = CalendarDay(country=partner_calendar_key(partner), day=form.day.data, working=form.working.data == "1",
                          note=form.note.data, created_by_id=current_user.id, created_at=utcnow())
        db.session.add(day)
        db.session.flush()
        moved = _recompute_partner_calendar(day)
        db.session.commit()
        flash(_("%(day)s saved in the calendar of %(partner)s: %(moved)d deadlines moved; the officers concerned "
                "are told.", day=day.day.strftime("%d.%m.%Y"), partner=partner.code, moved=moved), "success")
        return redirect(url_for("deadlines.partner_calendar_days", partner=partner.code))
    shown = _shown_partner(form.partner.data or request.args.get("partner"))
    query = select(CalendarDay).options(joinedload(CalendarDay.created_by)).where(CalendarDay.country != KAZAKHSTAN)
    if shown is not None:
        query = query.where(CalendarDay.country == partner_calendar_key(shown))
    added = db.session.scalars(query.order_by(CalendarDay.day.desc(), CalendarDay.country)).all()
    return render_template("deadlines/partner_calendar_days.html", form=form, added=added, shown=shown,
                           partners=_partners_by_key(added)), 400 if form.errors else 200


def _shown_partner(code: str | None) -> Partner | None:
    if not code:
        return None
    found = db.session.scalar(select(Partner).where(Partner.code == code))
    return found if found is not None and found.kind == PartnerKind.COUNTRY else None


def _partners_by_key(days: list[CalendarDay]) -> dict[str, list[Partner]]:
    """The partner countries each calendar shown belongs to (usually one: a country's own calendar)."""
    keys = {day.country for day in days}
    partners: dict[str, list[Partner]] = {}
    for partner in db.session.scalars(select(Partner).where(Partner.kind == PartnerKind.COUNTRY)
                                      .order_by(Partner.code)):
        if (key := partner_calendar_key(partner)) in keys:
            partners.setdefault(key, []).append(partner)
    return partners


def _recompute_partner_calendar(day: CalendarDay) -> int:
    """Recompute, as a day of Kazakhstan's calendar does, the open requests to the partners of this calendar."""
    partner_ids = partners_sharing_calendar(db.session, day.country)
    changes = recompute_open_requests(
        db.session, utcnow(), request_ids=requests_on_working_day_clocks(db.session, day.day, partner_ids=partner_ids),
        notify_moves=True)
    return sum(1 for change in changes if change.moved)


@bp.post("/admin/partner-calendar-days/<int:day_id>/delete")
@role_required(Role.ADMIN)
def delete_partner_calendar_day(day_id: int):
    day = db.get_or_404(CalendarDay, day_id)
    if day.country == KAZAKHSTAN:
        abort(404)  # Kazakhstan's own days are removed on their page
    moment, key = day.day, day.country
    db.session.delete(day)
    db.session.flush()
    moved = _recompute_partner_calendar(CalendarDay(country=key, day=moment))
    db.session.commit()
    flash(_("%(day)s removed from the calendar of %(partner)s: %(moved)d deadlines moved; the officers concerned "
            "are told.", day=moment.strftime("%d.%m.%Y"), partner=key, moved=moved), "success")
    return redirect(url_for("deadlines.partner_calendar_days", partner=request.form.get("partner") or None))


# --- the outbox -------------------------------------------------------------------------------------------------

@bp.route("/admin/outbox", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def outbox_status():
    form = MailCheckForm()
    if form.validate_on_submit():
        now = utcnow()
        config = current_app.config
        outbox.queue_message(
            db.session, f"test:{current_user.id}:{now.isoformat()}", current_user, form.address.data,
            _("coop: test message"),
            _("This message checks that coop can send e-mail. Reminders will arrive the same way."), None,
            message_domain(config["MAIL_SENDER"], config.get("COOP_BASE_URL")), now)
        db.session.commit()
        flash(_("Test message queued: the next sweep delivers it."), "success")
        return redirect(url_for("deadlines.outbox_status"))
    return render_template(
        "deadlines/outbox.html", form=form, counts=outbox.outbox_counts(db.session),
        sweep=db.session.get(SweepLock, SWEEP_LOCK), failed=_latest(OutboxState.FAILED, 50),
        waiting=_latest(OutboxState.QUEUED, 50), sent=_latest(OutboxState.SENT, 20), now=utcnow()
    ), page_status(form)


def _latest(state: OutboxState, limit: int) -> list[OutboxMessage]:
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.state == state)
                              .order_by(OutboxMessage.id.desc()).limit(limit)).all()


@bp.post("/admin/outbox/<int:message_id>/retry")
@role_required(Role.ADMIN)
def retry_message(message_id: int):
    if outbox.retry_failed(db.session, message_id, utcnow()):
        db.session.commit()
        flash(_("The message is queued again."), "success")
    return redirect(url_for("deadlines.outbox_status"))
