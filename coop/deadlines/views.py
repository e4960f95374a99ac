"""Reminders, a deadline's page and the changes people make to it, and the iCalendar feeds."""

from datetime import datetime, timedelta

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from coop.deadlines import bp
from coop.deadlines.feeds import build_calendar, feed_deadlines, feed_owner, issue_feed_token, revoke_feed
from coop.deadlines.forms import SNOOZE_CHOICES, DeadlineDateForm, EnquiryForm, ReasonForm, SnoozeForm
from coop.deadlines.labels import deadline_kind_label
from coop.deadlines.panel import explain, format_deadline_label, partner_time
from coop.domain import deadlines as domain
from coop.domain import reminders
from coop.domain.access import can_edit, visible_requests
from coop.domain.calendars import at_local_time, end_of_day, local_date
from coop.extensions import db
from coop.forms import page_status
from coop.i18n import local_zone
from coop.mail import message_domain
from coop.models import (
    CalendarFeed,
    ClockUnit,
    CooperationRequest,
    Deadline,
    DeadlineAdjustment,
    DeadlineKind,
    DeadlineState,
    Reminder,
    Role,
    utcnow,
)
from coop.security import safe_next_url

UPCOMING = timedelta(days=14)
DEADLINE_PROBLEMS = {
    "reason_required": _l("Give the reason."),
    "no_extension_left": _l("The rule allows no further extension of this deadline."),
    "ended": _l("This deadline has ended: it can no longer be changed."),
    "no_such_clock": _l("No rule gives this request such a deadline."),
    "not_an_open_enquiry": _l("This is not a status enquiry that is due."),
}


def _language() -> str:
    return str(get_locale())


def _visible_request(request_id: int, *options) -> CooperationRequest:
    found = db.session.scalar(visible_requests(current_user).where(CooperationRequest.id == request_id)
                              .options(*options))
    if found is None:
        abort(404)
    return found


def _deadline(deadline_id: int, editing: bool = False) -> tuple[Deadline, CooperationRequest]:
    """The deadline and its request, if the user may see the request (else 404) and, when `editing`, change it."""
    deadline = db.session.scalar(select(Deadline).where(Deadline.id == deadline_id)
                                 .options(joinedload(Deadline.rule)))
    if deadline is None:
        abort(404)
    found = _visible_request(deadline.request_id, joinedload(CooperationRequest.partner))
    if editing and not can_edit(current_user, found):
        abort(403)
    return deadline, found


def _back_to_request(found: CooperationRequest):
    return redirect(url_for("requests.detail", request_id=found.id) + "#deadlines")


# --- reminders ------------------------------------------------------------------------------------------------

@bp.get("/reminders")
def reminder_list():
    now = utcnow()
    return render_template(
        "deadlines/reminders.html", now=now, groups=reminders.waiting_reminders(db.session, current_user, now),
        upcoming=reminders.upcoming_reminders(db.session, current_user, now, UPCOMING),
        snooze_form=SnoozeForm(), language=_language())


@bp.post("/reminders/<int:deadline_id>/done")
def reminder_done(deadline_id: int):
    deadline, found = _deadline(deadline_id)
    if reminders.mark_done(db.session, current_user, deadline.id, utcnow()):
        db.session.commit()
        flash(_("Reminder about %(reference)s marked done.", reference=found.reference), "success")
    return redirect(_next_or(url_for("deadlines.reminder_list")))


@bp.post("/reminders/<int:deadline_id>/snooze")
def reminder_snooze(deadline_id: int):
    deadline, found = _deadline(deadline_id)
    form = SnoozeForm()
    if not form.validate_on_submit():
        flash(_("Choose how long to snooze the reminder."), "error")
        return redirect(url_for("deadlines.reminder_list"))
    now = utcnow()
    until = snooze_until(form.until.data, now)
    if reminders.snooze(db.session, current_user, deadline.id, until, now):
        db.session.commit()
        flash(_("Reminder about %(reference)s snoozed: %(until)s.", reference=found.reference,
                until=SNOOZE_CHOICES[form.until.data]), "success")
    return redirect(url_for("deadlines.reminder_list"))


def snooze_until(choice: str, now: datetime) -> datetime:
    """The moment a snoozed reminder shows again: a morning, in coop's zone."""
    zone = local_zone()
    today = local_date(now, zone)
    hour = current_app.config.get("COOP_DIGEST_HOUR", reminders.DIGEST_HOUR)
    if choice == "three_days":
        return now + timedelta(days=3)
    if choice == "next_week":
        return at_local_time(today + timedelta(days=7 - today.weekday()), hour, zone)
    return at_local_time(today + timedelta(days=1), hour, zone)


def _next_or(default: str) -> str:
    return safe_next_url(request.form.get("next")) or default


# --- a deadline and what people do to it ---------------------------------------------------------------------

@bp.get("/deadlines/<int:deadline_id>")
def detail(deadline_id: int):
    deadline, found = _deadline(deadline_id)
    adjustments = db.session.scalars(select(DeadlineAdjustment).options(joinedload(DeadlineAdjustment.actor))
                                     .where(DeadlineAdjustment.deadline_id == deadline.id)
                                     .order_by(DeadlineAdjustment.at.desc(), DeadlineAdjustment.id.desc())).all()
    sent = db.session.scalars(select(Reminder).options(joinedload(Reminder.recipient))
                              .where(Reminder.deadline_id == deadline.id)
                              .order_by(Reminder.due_at, Reminder.id)).all()
    return render_template(
        "deadlines/detail.html", deadline=deadline, item=found, explanation=explain(deadline),
        partner_time=partner_time(deadline.due_at, found.partner.time_zone), adjustments=adjustments,
        reminders=sent, editable=can_edit(current_user, found), extensions_left=domain.extensions_left(deadline),
        enquiry_form=EnquiryForm(), now=utcnow(), label=format_deadline_label(deadline))


@bp.route("/deadlines/<int:deadline_id>/extend", methods=["GET", "POST"])
def extend(deadline_id: int):
    deadline, found = _deadline(deadline_id, editing=True)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            domain.extend_deadline(db.session, deadline, found, current_user, form.reason.data, utcnow())
        except domain.DeadlineProblem as problem:
            db.session.rollback()
            form.reason.errors.append(DEADLINE_PROBLEMS[problem.code])
        else:
            db.session.commit()
            flash(_("Deadline extended: %(what)s of %(reference)s.", what=format_deadline_label(deadline),
                    reference=found.reference), "success")
            return _back_to_request(found)
    return render_template("deadlines/extend.html", form=form, deadline=deadline, item=found,
                           extensions_left=domain.extensions_left(deadline),
                           label=format_deadline_label(deadline)), page_status(form)


@bp.route("/deadlines/<int:deadline_id>/date", methods=["GET", "POST"])
def change_date(deadline_id: int):
    deadline, found = _deadline(deadline_id, editing=True)
    return _date_form(found, deadline.kind, deadline)


@bp.route("/deadlines/request/<int:request_id>/enter/<kind>", methods=["GET", "POST"])
def enter_date(request_id: int, kind: str):
    found = _visible_request(request_id, selectinload(CooperationRequest.officers))
    if not can_edit(current_user, found):
        abort(403)
    try:
        clock = DeadlineKind(kind)
    except ValueError:
        abort(404)
    existing = db.session.scalar(select(Deadline).where(Deadline.request_id == found.id, Deadline.kind == clock,
                                                        Deadline.sequence == 0))
    return _date_form(found, clock, existing)


def _date_form(found: CooperationRequest, kind: DeadlineKind, deadline: Deadline | None):
    form = DeadlineDateForm()
    hours = deadline is not None and deadline.unit == ClockUnit.HOURS
    if request.method == "GET" and deadline is not None:
        local = deadline.due_at.astimezone(local_zone())
        form.due_date.data = local.date()
        form.due_time.data = local.time().replace(second=0) if hours else None
    if form.validate_on_submit():
        zone = local_zone()
        due_at = (end_of_day(form.due_date.data, zone) if form.due_time.data is None else
                  datetime.combine(form.due_date.data, form.due_time.data, tzinfo=zone))
        try:
            domain.set_deadline_date(db.session, deadline, found, kind, current_user, due_at, form.reason.data,
                                     utcnow())
        except domain.DeadlineProblem as problem:
            db.session.rollback()
            form.reason.errors.append(DEADLINE_PROBLEMS[problem.code])
        else:
            db.session.commit()
            flash(_("Date of “%(what)s” saved for %(reference)s.", what=deadline_kind_label(kind),
                    reference=found.reference), "success")
            return _back_to_request(found)
    return render_template("deadlines/date_form.html", form=form, deadline=deadline, item=found,
                           label=deadline_kind_label(kind)), page_status(form)


@bp.post("/deadlines/<int:deadline_id>/enquiry-sent")
def enquiry_sent(deadline_id: int):
    deadline, found = _deadline(deadline_id, editing=True)
    form = EnquiryForm()
    if not form.validate_on_submit():
        flash(_("The note is too long (at most 500 characters)."), "error")
        return _back_to_request(found)
    try:
        domain.mark_enquiry_sent(db.session, deadline, found, current_user, utcnow(), form.note.data)
    except domain.DeadlineProblem as problem:
        db.session.rollback()
        flash(DEADLINE_PROBLEMS[problem.code], "error")
    else:
        db.session.commit()
        flash(_("Status enquiry recorded; the next one is planned."), "success")
    return _back_to_request(found)


# --- iCalendar ------------------------------------------------------------------------------------------------

def _ics(body: bytes, filename: str) -> Response:
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _mail_domain() -> str:
    return message_domain(current_app.config["MAIL_SENDER"], current_app.config.get("COOP_BASE_URL"))


@bp.get("/deadlines/request/<int:request_id>.ics")
def request_calendar(request_id: int):
    found = _visible_request(request_id, joinedload(CooperationRequest.partner))
    rows = db.session.scalars(select(Deadline).options(joinedload(Deadline.rule))
                              .where(Deadline.request_id == found.id, Deadline.state == DeadlineState.OPEN)
                              .order_by(Deadline.due_at)).all()
    body = build_calendar(db.session, found.reference, [(row, found) for row in rows], _language(), _mail_domain(),
                          utcnow())
    return _ics(body, f"{found.reference}.ics")


@bp.get("/calendar")
def calendar():
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == current_user.id))
    return render_template("deadlines/calendar.html", feed=feed, feed_url=None)


@bp.post("/calendar/token")
def new_calendar_token():
    token = issue_feed_token(db.session, current_user, utcnow())
    db.session.commit()
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == current_user.id))
    flash(_("A new calendar link was made; the previous one no longer works."), "success")
    # The link is shown once: only its hash is kept.
    return render_template("deadlines/calendar.html", feed=feed,
                           feed_url=url_for("deadlines.calendar_feed", token=token, _external=True))


@bp.post("/calendar/revoke")
def revoke_calendar_token():
    if revoke_feed(db.session, current_user):
        db.session.commit()
        flash(_("The calendar link no longer works."), "success")
    return redirect(url_for("deadlines.calendar"))


@bp.get("/calendar/<token>.ics")
def calendar_feed(token: str):
    """The private feed: the token in the URL is the only credential (calendar apps cannot log in)."""
    feed = feed_owner(db.session, token)
    if feed is None:
        abort(404)
    now = utcnow()
    if feed.last_used_at is None or now - feed.last_used_at > timedelta(hours=1):
        feed.last_used_at = now
        db.session.commit()
    user = feed.user
    language = user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(language):
        body = build_calendar(db.session, _("coop: my deadlines"), feed_deadlines(db.session, user), language,
                              _mail_domain(), now)
    return _ics(body, "coop.ics")


def waiting_reminder_count() -> int:
    """The number in the top bar: clocks with a reminder waiting for the person logged in."""
    if not current_user.is_authenticated or current_user.role == Role.ADMIN:
        return 0
    return reminders.reminder_count(db.session, current_user, utcnow())
