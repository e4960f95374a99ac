"""The commands: a preview of the deadlines a new request would get, seeding, recomputing, the sweep."""

import json
from datetime import datetime, timedelta

from sqlalchemy import func, select

from coop.extensions import db
from coop.models import Deadline, DeadlineRule, utcnow
from tests.deadlines.conftest import NOW


def preview(runner, *arguments: str):
    return runner.invoke(args=["deadlines", "preview", *arguments])


def test_the_preview_prints_each_clock_with_its_reminders_as_json(runner, dept):
    result = preview(runner, "--type", "preservation_state", "--basis", "budapest", "--partner", "DE",
                     "--start", "2026-03-02T10:00", "--json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    assert found["partner_zone"] == "Europe/Berlin"
    clocks = {item["kind"]: item for item in found["deadlines"]}
    assert clocks["confirmation_expected"]["due"] == "2026-03-05T23:59:59+05:00"
    assert clocks["confirmation_expected"]["reminders"] == ["2026-03-06T09:00:00+05:00"]
    expiry = clocks["preservation_expiry"]
    assert expiry["due"] == "2026-05-01T23:59:59+05:00"
    reminders = [datetime.fromisoformat(moment) for moment in expiry["reminders"]]
    assert reminders == sorted(reminders)
    assert all(moment <= datetime.fromisoformat(expiry["due"]) for moment in reminders[:-1])
    assert expiry["reminders"][-1] == "2026-05-04T09:00:00+05:00"  # D+1 head: 2 May is a Saturday


def test_the_preview_counts_working_days_and_hours(runner, dept):
    incoming = json.loads(preview(runner, "--type", "mla_incoming", "--start", "2026-03-02", "--json").output)
    assert incoming["deadlines"][0]["due"] == "2026-04-17T23:59:59+05:00"
    emergency = json.loads(preview(runner, "--type", "emergency_provider", "--partner", "meta",
                                   "--start", "2026-03-08T05:00", "--json").output)
    assert emergency["deadlines"][0]["due"] == "2026-03-08T13:00:00+05:00"
    assert emergency["deadlines"][0]["reminders"][0] == "2026-03-08T07:00:00+05:00"


def test_the_preview_lists_dates_entered_per_request_and_reads_as_text(runner, dept):
    text = preview(runner, "--type", "realtime_collection", "--start", "2026-03-02")
    assert text.exit_code == 0
    assert "authorisation_end" in text.output and "date entered for each request" in text.output
    mla = preview(runner, "--type", "mla_outgoing", "--start", "2026-03-02", "--requested-by", "2026-06-01")
    assert "answer_expected          due 2026-06-01T23:59:59+05:00" in mla.output
    assert "status_enquiry           due 2026-04-01T23:59:59+05:00" in mla.output
    assert "remind 2026-05-25T09:00:00+05:00" in mla.output  # D-7


def test_the_preview_refuses_unknown_values_clearly(runner, dept):
    assert "no request type 'parcel'" in preview(runner, "--type", "parcel", "--start", "2026-03-02").output
    assert "no legal basis 'x'" in preview(runner, "--type", "mla_incoming", "--basis", "x",
                                           "--start", "2026-03-02").output
    assert "no partner 'ZZ'" in preview(runner, "--type", "mla_incoming", "--partner", "ZZ",
                                        "--start", "2026-03-02").output
    bad = preview(runner, "--type", "mla_incoming", "--start", "02.03.2026")
    assert bad.exit_code != 0 and "YYYY-MM-DD" in bad.output


def test_seeding_the_rules_twice_adds_them_once(runner, dept):
    assert "Deadline rules: added 0." in runner.invoke(args=["deadlines", "seed-rules"]).output
    db.session.execute(DeadlineRule.__table__.delete())
    db.session.commit()
    first = runner.invoke(args=["deadlines", "seed-rules"]).output
    assert "Deadline rules: added 11." in first  # the types this department has
    assert db.session.scalar(select(func.count(DeadlineRule.id))) == 11


def test_recompute_brings_clocks_in_line_after_a_bulk_change(runner, dept):
    request = dept.request("mla_incoming", received_at=NOW)
    db.session.execute(Deadline.__table__.delete())
    db.session.commit()
    output = runner.invoke(args=["deadlines", "recompute"]).output
    assert "1 deadlines changed in 1 requests." in output
    assert db.session.scalar(select(func.count(Deadline.id)).where(Deadline.request_id == request.id)) == 1


def test_the_sweep_and_the_loop_run_from_the_command_line(runner, dept):
    dept.request("mla_incoming", received_at=utcnow() - timedelta(days=60), now=utcnow() - timedelta(days=60))
    db.session.commit()
    swept = runner.invoke(args=["reminders", "sweep"])
    assert swept.exit_code == 0 and "reminders handed over" in swept.output
    looped = runner.invoke(args=["reminders", "loop", "--runs", "2", "--interval", "0"])
    assert looped.exit_code == 0 and looped.output.count("handed over") == 2
    outbox = runner.invoke(args=["reminders", "outbox"]).output
    assert "queued" in outbox and "sent" in outbox
