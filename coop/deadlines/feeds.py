"""iCalendar (RFC 5545): a person's private feed of their deadlines, and one request's deadlines as a file.

Calendars leave coop for phones and mail clients, so events carry the reference, the kind of clock and the
partner, never the request's title or contents; the link leads back to coop, behind its login.
"""

import hashlib
import secrets
from datetime import datetime, timedelta

import icalendar
from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from coop.deadlines.panel import format_deadline_label, format_due
from coop.domain.calendars import local_date
from coop.domain.deadlines import DeadlineContext
from coop.domain.reminders import parse_reminder_codes, plan_reminders
from coop.models import (
    CalendarFeed,
    ClockUnit,
    CooperationRequest,
    Deadline,
    DeadlineState,
    User,
    request_officer,
)

PRODUCT_ID = "-//coop//deadlines//RU"
TOKEN_BYTES = 32


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_feed_token(session: Session, user: User, now: datetime) -> str:
    """A new secret for `user`'s feed; the previous one stops working. Only its hash is stored."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    feed = session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user.id))
    if feed is None:
        feed = CalendarFeed(user_id=user.id)
        session.add(feed)
    feed.token_hash, feed.created_at, feed.last_used_at = hash_token(token), now, None
    session.flush()
    return token


def revoke_feed(session: Session, user: User) -> bool:
    feed = session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user.id))
    if feed is None:
        return False
    session.delete(feed)
    return True


def feed_owner(session: Session, token: str) -> CalendarFeed | None:
    """The feed a token opens (its owner still active), or None."""
    if not token or len(token) > 128:
        return None
    feed = session.scalar(select(CalendarFeed).options(joinedload(CalendarFeed.user))
                          .where(CalendarFeed.token_hash == hash_token(token)))
    if feed is None or not feed.user.active:
        return None
    return feed


def feed_deadlines(session: Session, user: User) -> list[tuple[Deadline, CooperationRequest]]:
    """The running deadlines of the requests `user` is assigned to (their officers always see them)."""
    assigned = select(request_officer.c.request_id).where(request_officer.c.user_id == user.id)
    return list(session.execute(
        select(Deadline, CooperationRequest).join(CooperationRequest, CooperationRequest.id == Deadline.request_id)
        .options(joinedload(Deadline.rule), joinedload(CooperationRequest.partner))
        .where(Deadline.state == DeadlineState.OPEN, CooperationRequest.id.in_(assigned))
        .order_by(Deadline.due_at, Deadline.id)))


def build_calendar(session: Session, name: str, deadlines: list[tuple[Deadline, CooperationRequest]],
                   language: str, domain: str, now: datetime) -> bytes:
    """An iCalendar of `deadlines`, with an alarm at each of their reminders (needs a request context)."""
    context = DeadlineContext(session)
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", str(context.zone))
    for deadline, request in deadlines:
        calendar.add_component(_event(deadline, request, language, domain, now, context))
    return calendar.to_ical()


def _event(deadline: Deadline, request: CooperationRequest, language: str, domain: str, now: datetime,
           context: DeadlineContext) -> icalendar.Event:
    label = format_deadline_label(deadline)
    partner = request.partner.name(language) if request.partner else ""
    summary = f"{label}: {request.reference}"
    link = url_for("requests.detail", request_id=request.id, _external=True)
    event = icalendar.Event()
    event.add("uid", f"coop-deadline-{deadline.id}@{domain}")
    event.add("dtstamp", now)
    event.add("last-modified", deadline.updated_at)
    event.add("sequence", int(deadline.updated_at.timestamp()) // 60)
    if deadline.unit == ClockUnit.HOURS:
        event.add("dtstart", deadline.due_at)
        event.add("dtend", deadline.due_at + timedelta(minutes=30))
    else:
        day = local_date(deadline.due_at, context.zone)
        event.add("dtstart", day)
        event.add("dtend", day + timedelta(days=1))
        event.add("transp", "TRANSPARENT")
    event.add("summary", f"{summary} ({partner})" if partner else summary)
    lines = [_("Due: %(due)s", due=format_due(deadline.due_at, deadline.unit)), partner]
    if deadline.rule is not None and deadline.rule.advice(language):
        lines.append(deadline.rule.advice(language))
    lines.append(link)
    event.add("description", "\n".join(line for line in lines if line))
    event.add("url", link)
    if deadline.rule is not None:
        specs = [spec for spec in parse_reminder_codes(deadline.rule.reminders) if not spec.escalate]
        for planned in plan_reminders(specs, deadline.started_at or deadline.due_at, deadline.due_at,
                                      context.kazakhstan(), context.zone):
            alarm = icalendar.Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", summary)
            alarm.add("trigger", planned.due_at, parameters={"VALUE": "DATE-TIME"})
            event.add_component(alarm)
    return event
