"""The reminder sweep, run by `coop reminders sweep` (cron, a systemd timer) or `coop reminders loop`.

One short transaction under the sweep lock turns every due reminder into e-mail in the outbox and claims the
mail to deliver; delivery happens after it commits, outside any transaction; each result is recorded in a
transaction of its own. Two sweeps at once are safe: the lock serialises the claims, and a claimed message is
leased to one sender. Never inside a web worker.
"""

import os
import socket
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, time

from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from coop.auditing import signing_key
from coop.database import optimize
from coop.deadlines.panel import format_deadline_label, format_due
from coop.domain import checkpoints, outbox, reminders
from coop.extensions import db
from coop.i18n import local_zone
from coop.mail import MailSettings, deliver, message_domain
from coop.models import ReminderKind, Role, User, utcnow


@dataclass
class SweepReport:
    skipped: bool = False  # another sweep held the lock
    reminders: int = 0  # reminders handed over (e-mailed or shown in the application only)
    queued: int = 0  # e-mails queued
    delivered: int = 0
    retrying: int = 0
    refused: int = 0
    checkpoint: bool = False  # the day's audit checkpoint was written

    def as_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        if self.skipped:
            return "another sweep is running: nothing done"
        return (f"{self.reminders} reminders handed over, {self.queued} e-mails queued, {self.delivered} delivered, "
                f"{self.retrying} to retry, {self.refused} refused"
                + (", audit checkpoint written" if self.checkpoint else ""))


def sweeper_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def run_sweep(now: datetime | None = None, holder: str | None = None) -> SweepReport:
    """Queue the e-mail of every due reminder not yet sent, then deliver the outbox; return what was done."""
    session = db.session
    now = now or utcnow()
    holder = holder or sweeper_name()
    config = current_app.config
    report = SweepReport()
    try:
        if not reminders.take_sweep_lock(session, holder, now):
            session.rollback()
            return SweepReport(skipped=True)
        batches, silent = reminders.collect_mail_batches(
            session, now, local_zone(), config.get("COOP_DIGEST_HOUR", reminders.DIGEST_HOUR),
            config.get("COOP_QUIET_HOUR", reminders.QUIET_HOUR))
        reminders.mark_sent(session, silent, None, now)
        report.reminders += len(silent)
        domain = message_domain(config["MAIL_SENDER"], config.get("COOP_BASE_URL"))
        for batch in batches:
            subject, text, html = render_batch(batch, now)
            message = outbox.queue_message(session, batch.key, batch.recipient, batch.recipient.email, subject, text,
                                           html, domain, now,
                                           headers={"X-Coop-Reminders": ",".join(map(str, batch.reminder_ids))})
            reminders.mark_sent(session, [item[0] for item in batch.items], message.id if message else None, now)
            report.reminders += len(batch.items)
            report.queued += int(message is not None)
        report.checkpoint = daily_checkpoint(session, now, domain)
        claimed = outbox.claim_due_messages(session, now, holder)
        session.commit()
    except Exception:
        session.rollback()
        raise

    for delivery in deliver(claimed, MailSettings.from_config(config)):
        outbox.record_delivery(session, delivery, holder, now)
        session.commit()
        if delivery.delivered:
            report.delivered += 1
        elif delivery.permanent:
            report.refused += 1
        else:
            report.retrying += 1
    reminders.record_sweep(session, holder, now, report.as_dict())
    session.commit()
    optimize(session.connection())  # the planner's statistics, kept fresh by the job that runs every minute
    session.commit()
    return report


def daily_checkpoint(session, now: datetime, domain: str) -> bool:
    """Once a day, from the digest hour: sign the audit trail's head and e-mail it to every head and
    administrator, so that copies live outside coop. True when it was written now."""
    config = current_app.config
    zone = local_zone()
    local = now.astimezone(zone)
    if not config["COOP_DAILY_CHECKPOINT"] or local.hour < config.get("COOP_DIGEST_HOUR", reminders.DIGEST_HOUR):
        return False
    midnight = datetime.combine(local.date(), time(0), zone)
    if checkpoints.checkpoint_written_since(session, midnight):
        return False
    try:
        key = signing_key()
    except OSError as error:  # the reminders must go out even if the key cannot be read
        current_app.logger.error("audit checkpoint not written: %s", error)
        return False
    checkpoint = checkpoints.write_checkpoint(session, key, now, "sweep")
    recipients = session.scalars(select(User).where(User.active.is_(True), User.email.is_not(None),
                                                    User.role.in_([Role.HEAD, Role.ADMIN])).order_by(User.id))
    for recipient in recipients:
        subject, text, html = render_checkpoint_mail(recipient, checkpoint, now)
        outbox.queue_message(session, f"checkpoint:{recipient.id}:{local.date().isoformat()}", recipient,
                             recipient.email, subject, text, html, domain, now)
    return True


def render_checkpoint_mail(recipient: User, checkpoint: checkpoints.Checkpoint, now: datetime) -> tuple[str, ...]:
    """The subject, text and HTML of the day's checkpoint e-mail, in the recipient's language."""
    app = current_app._get_current_object()
    language = recipient.locale or app.config["BABEL_DEFAULT_LOCALE"]
    base_url = app.config.get("COOP_BASE_URL") or "http://localhost"
    with app.test_request_context("/", base_url=base_url), force_locale(language):
        subject = _("coop: audit checkpoint for %(date)s", date=now.astimezone(local_zone()).strftime("%d.%m.%Y"))
        context = {"recipient": recipient, "checkpoint": checkpoint, "line": checkpoint.to_line(), "now": now,
                   "url": url_for("audit.checkpoints", _external=True)}
        return (subject, render_template("email/checkpoint.txt", **context),
                render_template("email/checkpoint.html", **context))


def render_batch(batch: reminders.MailBatch, now: datetime) -> tuple[str, str, str]:
    """The subject, text and HTML of one e-mail, in its recipient's language, with links to coop."""
    app = current_app._get_current_object()
    language = batch.recipient.locale or app.config["BABEL_DEFAULT_LOCALE"]
    base_url = app.config.get("COOP_BASE_URL") or "http://localhost"
    with app.test_request_context("/", base_url=base_url), force_locale(language):
        ordered = sorted(batch.items, key=lambda item: (item[1].due_at, item[2].reference))
        items = [mail_item(reminder, deadline, request, language, now) for reminder, deadline, request in ordered]
        if batch.immediate:
            first = items[0]
            subject = _("coop, urgent: %(what)s, %(reference)s", what=first["label"], reference=first["reference"])
            template = "email/reminder"
        else:
            subject = _("coop: %(count)d reminders for %(date)s", count=len(items),
                        date=now.astimezone(local_zone()).strftime("%d.%m.%Y"))
            template = "email/digest"
        context = {"recipient": batch.recipient, "items": items, "now": now,
                   "overdue": [item for item in items if item["overdue"]],
                   "others": [item for item in items if not item["overdue"]]}
        return subject, render_template(f"{template}.txt", **context), render_template(f"{template}.html", **context)


def mail_item(reminder, deadline, request, language: str, now: datetime) -> dict:
    """What an e-mail says of one reminder (a restricted request's title stays out of mail)."""
    rule = deadline.rule
    return {
        "label": format_deadline_label(deadline),
        "reference": request.reference,
        "title": None if request.restricted else request.title,
        "partner": request.partner.name(language) if request.partner else "",
        "due": format_due(deadline.due_at, deadline.unit),
        "overdue": deadline.due_at < now,
        "escalated": reminder.kind == ReminderKind.ESCALATION,
        "moved": reminder.kind == ReminderKind.MOVED,
        "advice": rule.advice(language) if rule is not None else None,
        "url": url_for("requests.detail", request_id=request.id, _external=True),
    }
