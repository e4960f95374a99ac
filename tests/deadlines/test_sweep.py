"""The reminder sweep: every due reminder e-mailed exactly once, to a real SMTP server, even when two sweeps run
at the same time or the mail server goes away in the middle."""

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from coop.deadlines.sweep import run_sweep
from coop.domain import outbox
from coop.domain.reminders import SWEEP_LOCK_KEY, take_sweep_lock
from coop.extensions import db
from coop.models import OutboxMessage, OutboxState, Reminder, ReminderState, Status, Urgency
from tests.deadlines.conftest import NOW
from tests.deadlines.smtp import Mailbox, SmtpServer

ALMATY = ZoneInfo("Asia/Almaty")
# 20 April 2026, 10:00 in Almaty: every reminder of the requests made on 2 March is due.
LATER = datetime(2026, 4, 20, 5, 0, tzinfo=UTC)


@pytest.fixture
def smtp(app):
    mailbox = Mailbox()
    server = SmtpServer(mailbox)
    server.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_SENDER="coop@cyber.police.kz")
    yield server
    server.wait_stopped()
    server.stop()


def busy_department(dept) -> None:
    """Incoming requests for two officers, and an emergency sent to Meta."""
    for index in range(4):
        dept.request("mla_incoming", received_at=NOW, officers=[dept.colleague] if index % 2 else [],
                     actor=dept.officer)
    emergency = dept.request("emergency_provider", partner=dept.meta, urgency=Urgency.EMERGENCY,
                             emergency_justification="Угроза жизни")
    dept.send(emergency)
    db.session.commit()


def due_reminder_ids(now: datetime) -> list[int]:
    return sorted(db.session.scalars(select(Reminder.id).where(Reminder.state == ReminderState.PENDING,
                                                                Reminder.due_at <= now)))


def sweep_in_threads(app, now: datetime, count: int = 2) -> list:
    """Run `count` sweeps at the same moment, each in its own application context and connection."""
    db.session.commit()
    db.session.remove()
    barrier = threading.Barrier(count)
    reports, errors = [], []

    def sweep():
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                reports.append(run_sweep(now))
            except Exception as error:  # reported to the test below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=sweep) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return reports


def test_two_sweeps_at_once_email_every_due_reminder_exactly_once(app, dept, smtp):
    busy_department(dept)
    due = due_reminder_ids(LATER)
    assert len(due) > 10

    reports = sweep_in_threads(app, LATER)

    mailbox = smtp.mailbox
    assert sorted(mailbox.reminder_ids()) == due  # each due reminder in exactly one e-mail
    assert len(set(mailbox.message_ids())) == len(mailbox.message_ids())
    assert sum(report.delivered for report in reports) == len(mailbox.messages)
    assert db.session.scalar(select(func.count()).select_from(Reminder)
                             .where(Reminder.id.in_(due), Reminder.state != ReminderState.SENT)) == 0
    # One digest each for the officers and the head; the emergency's reminders one e-mail each, at once.
    digests = [message for message in mailbox.messages if message["Subject"].startswith("coop: ")]
    assert sorted(message["To"] for message in digests) == ["colleague@police.kz", "head@police.kz",
                                                            "officer@police.kz"]
    urgent = sorted(message["To"] for message in mailbox.messages if message not in digests)
    assert urgent == ["head@police.kz", "officer@police.kz", "officer@police.kz"]  # S+24h head; S+2h, S+8h

    again = sweep_in_threads(app, LATER + timedelta(minutes=1))
    assert sum(report.delivered for report in again) == 0
    assert sorted(mailbox.reminder_ids()) == due


def test_a_mail_server_lost_mid_sweep_delays_the_rest_and_each_arrives_once_after_it_returns(app, dept, smtp):
    busy_department(dept)
    due = due_reminder_ids(LATER)
    smtp.mailbox.accept_only = 2  # then 421, and the server goes away

    first = run_sweep(LATER)
    smtp.wait_stopped()
    assert first.delivered == 2
    assert first.retrying >= 1
    waiting = db.session.scalars(select(OutboxMessage).where(OutboxMessage.state == OutboxState.QUEUED)).all()
    assert waiting and all(message.next_attempt_at > LATER for message in waiting)
    assert any(message.last_error for message in waiting)

    # The server is still away: the next sweep tries again once the backoff allows, and loses nothing.
    down = run_sweep(LATER + timedelta(minutes=5))
    assert down.delivered == 0
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.state == OutboxState.QUEUED)) == len(waiting)

    smtp.mailbox.accept_only = None
    smtp.start()
    back = run_sweep(LATER + timedelta(hours=1))
    assert back.delivered == len(waiting)
    assert sorted(smtp.mailbox.reminder_ids()) == due
    assert len(set(smtp.mailbox.message_ids())) == len(smtp.mailbox.message_ids())
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.state != OutboxState.SENT)) == 0


def test_the_digest_waits_for_the_morning_and_emergencies_do_not(app, dept, smtp):
    busy_department(dept)
    night = datetime(2026, 4, 20, 17, 0, tzinfo=UTC)  # 22:00 in Almaty
    report = run_sweep(night)
    subjects = [message["Subject"] for message in smtp.mailbox.messages]
    assert report.delivered == len(subjects) > 0
    assert all(not subject.startswith("coop: ") for subject in subjects)  # only the urgent ones
    morning = datetime(2026, 4, 21, 4, 0, tzinfo=UTC)  # 09:00
    run_sweep(morning)
    assert sum(message["Subject"].startswith("coop: ") for message in smtp.mailbox.messages) == 3


def test_one_digest_a_day_and_a_reminder_due_after_it_waits_for_the_next(app, dept, smtp):
    request = dept.request("mla_incoming", received_at=NOW)
    db.session.commit()
    d10 = db.session.scalar(select(Reminder).where(Reminder.request_id == request.id,
                                                   Reminder.offset_code == "D-10",
                                                   Reminder.recipient_id == dept.officer.id))
    def officers_mail():
        return [message for message in smtp.mailbox.messages if message["To"] == "officer@police.kz"]

    run_sweep(d10.due_at + timedelta(minutes=1))
    assert len(officers_mail()) == 1
    # A new request the same afternoon, already late: its reminder shows in coop at once, e-mailed tomorrow.
    late = dept.request("mla_incoming", received_at=NOW - timedelta(days=80), now=d10.due_at + timedelta(hours=3))
    db.session.commit()
    run_sweep(d10.due_at + timedelta(hours=4))
    assert len(officers_mail()) == 1
    assert [message["To"] for message in smtp.mailbox.messages][1:] == ["head@police.kz"]  # the head's first today
    run_sweep(d10.due_at + timedelta(days=1))
    assert len(officers_mail()) == 2
    assert late.reference in officers_mail()[-1].get_body(("plain",)).get_content()


def test_the_digest_is_in_the_recipients_language_and_names_what_to_do(app, dept, smtp):
    dept.officer.locale = "ru"
    dept.colleague.locale = "en"
    request = dept.request("mla_incoming", received_at=NOW, officers=[dept.colleague])
    request_restricted = dept.request("mla_incoming", received_at=NOW, restricted=True,
                                      title="Секретное название")
    db.session.commit()
    run_sweep(LATER)
    by_address = {message["To"]: message for message in smtp.mailbox.messages}
    russian = by_address["officer@police.kz"]
    body = russian.get_body(("plain",)).get_content()
    assert "ПРОСРОЧЕНО" in body and request.reference in body and request_restricted.reference in body
    assert "Секретное название" not in body  # a restricted request's title stays out of mail
    assert f"/requests/{request.id}" in body
    assert russian.get_body(("html",)) is not None
    english = by_address["colleague@police.kz"]
    assert english["Subject"].startswith("coop: ") and "reminders" in english["Subject"]
    assert "OVERDUE" in english.get_body(("plain",)).get_content()


def test_people_without_e_mail_see_reminders_in_coop_only_and_inactive_people_none(app, dept, smtp):
    dept.colleague.email = None
    dept.head.active = False
    request = dept.request("mla_incoming", received_at=NOW, officers=[dept.colleague])
    db.session.commit()
    report = run_sweep(LATER)
    assert {message["To"] for message in smtp.mailbox.messages} == {"officer@police.kz"}
    states = dict(db.session.execute(select(Reminder.recipient_id, Reminder.state)
                                     .where(Reminder.request_id == request.id, Reminder.due_at <= LATER)).all())
    assert states[dept.colleague.id] == ReminderState.SENT
    assert report.reminders >= 4


def test_a_message_left_claimed_by_a_dead_sender_is_sent_again_with_the_same_message_id(app, dept, smtp):
    dept.request("mla_incoming", received_at=NOW)
    db.session.commit()
    run_sweep(LATER)
    first = sorted(smtp.mailbox.message_ids())
    assert len(first) == 2  # the officer's digest and the head's
    # Pretend the sender died after delivering, before recording it: the messages stay claimed.
    db.session.execute(OutboxMessage.__table__.update().values(state=OutboxState.SENDING, claimed_by="dead",
                                                               lease_until=LATER + outbox.LEASE))
    db.session.commit()
    run_sweep(LATER + timedelta(minutes=5))  # the lease still holds
    assert len(smtp.mailbox.messages) == 2
    run_sweep(LATER + outbox.LEASE + timedelta(minutes=1))
    assert sorted(smtp.mailbox.message_ids()) == sorted(first * 2)  # the same Message-IDs: recognisable


def test_a_refused_address_is_kept_for_an_administrator_and_not_retried(app, dept, smtp):
    refused = outbox.queue_message(db.session, "test:1", None, "nobody@refused.example", "Test", "Body", None,
                                   "police.kz", LATER)
    fine = outbox.queue_message(db.session, "test:2", None, "officer@police.kz", "Test", "Body", None,
                                "police.kz", LATER)
    db.session.commit()
    report = run_sweep(LATER)
    assert (report.refused, report.delivered) == (1, 1)
    db.session.refresh(refused)
    assert refused.state == OutboxState.FAILED and "550" in refused.last_error
    assert run_sweep(LATER + timedelta(hours=2)).refused == 0  # not retried by itself
    assert outbox.retry_failed(db.session, refused.id, LATER) is True
    assert outbox.retry_failed(db.session, fine.id, LATER) is False


def test_retries_back_off_up_to_half_an_hour():
    assert [outbox.retry_delay(attempt).total_seconds() / 60 for attempt in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]


def test_message_ids_are_the_same_for_the_same_e_mail():
    assert outbox.message_id_for("digest:3:2026-04-20", "police.kz") == outbox.message_id_for(
        "digest:3:2026-04-20", "police.kz")
    assert outbox.message_id_for("digest:3:2026-04-20", "police.kz") != outbox.message_id_for(
        "digest:3:2026-04-21", "police.kz")
    assert outbox.message_id_for("reminder:7", "police.kz").startswith("<coop.reminder.7.")


def test_a_sweep_that_finds_the_lock_taken_does_nothing(app, dept):
    db.session.commit()
    if db.engine.dialect.name != "postgresql":
        # SQLite: the lock row is written under BEGIN IMMEDIATE, so a second sweep waits, then finds no work.
        assert take_sweep_lock(db.session, "first", LATER) is True
        db.session.commit()
        return
    with db.engine.connect() as other, other.begin():
        other.execute(select(func.pg_advisory_xact_lock(SWEEP_LOCK_KEY)))
        assert run_sweep(LATER).skipped is True
    assert run_sweep(LATER).skipped is False


def test_status_moves_do_not_send_mail_themselves(app, dept, smtp):
    request = dept.request("traffic_disclosure")
    dept.send(request)
    dept.move(request, Status.ANSWERED)
    db.session.commit()
    assert smtp.mailbox.messages == []
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
