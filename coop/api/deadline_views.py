"""The API's routes for deadlines and for the caller's reminders, on the requests the caller may see."""

from datetime import datetime, time, timedelta

from flask import abort, jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from coop.api import bp, openapi
from coop.api import fields as api_fields
from coop.api.auth import caller
from coop.api.calls import (
    boolean_argument,
    choice_argument,
    page_args,
    page_json,
    refuse_bad_arguments,
    requests_by_id,
    visible_ids,
    visible_request,
)
from coop.api.representations import deadline_json, reminder_json
from coop.domain import reminders
from coop.extensions import db
from coop.i18n import local_zone
from coop.models import Deadline, DeadlineKind, DeadlineState, Reminder, ReminderState, utcnow

# --- deadlines and reminders -------------------------------------------------------------------------------

@bp.get("/requests/<int:request_id>/deadlines")
@openapi.operation("request_deadlines")
def request_deadlines(request_id: int):
    item = visible_request(request_id)
    now = utcnow()
    found = db.session.scalars(select(Deadline).where(Deadline.request_id == item.id)
                               .order_by(Deadline.due_at, Deadline.id))
    return jsonify(items=[deadline_json(deadline, item, now) for deadline in found])


@bp.get("/deadlines")
@openapi.operation("deadlines")
def deadlines():
    page_number, per_page = page_args(50)
    now = utcnow()
    query = select(Deadline).where(Deadline.request_id.in_(visible_ids()))
    problems = {}
    if state := choice_argument("state", DeadlineState, problems):
        query = query.where(Deadline.state == state)
    if kind := choice_argument("kind", DeadlineKind, problems):
        query = query.where(Deadline.kind == kind)
    overdue = boolean_argument("overdue", problems)
    if overdue is not None:
        late = (Deadline.state == DeadlineState.OPEN) & (Deadline.due_at < now)
        query = query.where(late if overdue else ~late)
    for name, compare in (("due_from", lambda moment: Deadline.due_at >= moment),
                          ("due_to", lambda moment: Deadline.due_at < moment + timedelta(days=1))):
        raw = request.args.get(name, "")
        if not raw:
            continue
        try:
            day = api_fields.parse_date_argument(raw)
        except api_fields.FieldInvalid as error:
            problems[name] = [error.message]
            continue
        query = query.where(compare(datetime.combine(day, time.min, tzinfo=local_zone())))
    refuse_bad_arguments(problems)
    page = db.paginate(query.order_by(Deadline.due_at, Deadline.id), page=page_number, per_page=per_page,
                       error_out=False)
    requests = requests_by_id(deadline.request_id for deadline in page.items)
    return jsonify(page_json(page, [deadline_json(deadline, requests[deadline.request_id], now)
                                     for deadline in page.items]))


@bp.get("/reminders")
@openapi.operation("reminders")
def reminders_list():
    page_number, per_page = page_args(50)
    query = (select(Reminder).options(joinedload(Reminder.deadline))
             .where(Reminder.recipient_id == caller().id, Reminder.request_id.in_(visible_ids())))
    problems = {}
    if state := choice_argument("state", ReminderState, problems):
        query = query.where(Reminder.state == state)
    refuse_bad_arguments(problems)
    page = db.paginate(query.order_by(Reminder.due_at.desc(), Reminder.id.desc()), page=page_number,
                       per_page=per_page, error_out=False)
    requests = requests_by_id(reminder.request_id for reminder in page.items)
    return jsonify(page_json(page, [reminder_json(reminder, reminder.deadline, requests[reminder.request_id])
                                     for reminder in page.items]))


@bp.get("/reminders/waiting")
@openapi.operation("waiting_reminders")
def waiting_reminders():
    groups = reminders.waiting_reminders(db.session, caller(), utcnow())
    return jsonify(items=[reminder_json(reminder, group.deadline, group.request)
                          for group in groups for reminder in group.reminders])


@bp.post("/reminders/<int:deadline_id>/done")
@openapi.operation("reminder_done")
def reminder_done(deadline_id: int):
    deadline = db.session.get(Deadline, deadline_id)
    if deadline is None:
        abort(404)
    visible_request(deadline.request_id)
    done = reminders.mark_done(db.session, caller(), deadline.id, utcnow())
    db.session.commit()
    return jsonify(done=done)
