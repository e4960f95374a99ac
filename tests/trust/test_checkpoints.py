"""Signed checkpoints catch what the hash chain alone cannot: a cut tail, a rewritten tail, a rebuilt chain."""

from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select, update

from coop.auditing import signing_key, verification_keys
from coop.domain.audit import GENESIS, append_records
from coop.domain.checkpoints import (
    Checkpoint,
    CheckpointProblem,
    load_signing_key,
    parse_checkpoints,
    stored_checkpoints,
    verify_trail,
    write_checkpoint,
)
from coop.extensions import db
from coop.models import AuditCheckpoint, AuditRecord, utcnow
from tests.factories import make_partner


def _partners(count: int, prefix: str) -> None:
    for index in range(count):
        make_partner(db.session, f"{prefix}{index}")
        db.session.commit()


def _checkpoint() -> Checkpoint:
    checkpoint = write_checkpoint(db.session, signing_key(), utcnow(), "cli")
    db.session.commit()
    return checkpoint


def _problems(checkpoints) -> list[str | None]:
    report = verify_trail(db.session, checkpoints, verification_keys())
    return [finding.problem for finding in report.findings]


def _rechain_from(first_id: int) -> None:
    """What someone who can write the database but lacks the key does to hide an edit: recompute every digest
    from `first_id` on, keeping the ids, so that the chain alone looks intact again."""
    rows = db.session.execute(select(AuditRecord).where(AuditRecord.id >= first_id).order_by(AuditRecord.id)).scalars()
    records = [{"id": row.id, "at": row.at, "actor_id": row.actor_id, "actor_name": row.actor_name, "via": row.via,
                "entity": row.entity, "entity_id": row.entity_id, "action": row.action, "changes": row.changes}
               for row in rows]
    db.session.execute(delete(AuditRecord).where(AuditRecord.id >= first_id))
    append_records(db.session.connection(), records)
    db.session.commit()


@pytest.fixture
def trail(app):
    """Five records, a checkpoint, three more records."""
    _partners(5, "a")
    checkpoint = _checkpoint()
    _partners(3, "b")
    return checkpoint


def test_an_untouched_trail_reaches_its_checkpoints_and_a_later_one(trail):
    later = _checkpoint()
    assert later.last_id > trail.last_id and later.records == 8
    report = verify_trail(db.session, [trail, later], verification_keys())
    assert report.intact and report.records == 8


def test_a_cut_tail_is_caught(trail):
    db.session.execute(delete(AuditRecord).where(AuditRecord.id >= trail.last_id))
    db.session.commit()
    assert _problems([trail]) == ["missing"]


def test_a_rewritten_tail_is_caught(trail):
    """The last records before the checkpoint edited and the chain recomputed from there: intact as a chain,
    not at the checkpoint."""
    fourth = db.session.scalars(select(AuditRecord.id).order_by(AuditRecord.id)).all()[3]
    db.session.execute(update(AuditRecord).where(AuditRecord.id == fourth)
                       .values(changes={"name_ru": [None, "подделка"]}))
    _rechain_from(fourth)
    report = verify_trail(db.session, [trail], verification_keys())
    assert report.first_broken_id is None  # the chain alone no longer shows it
    assert [finding.problem for finding in report.findings] == ["digest"]


def test_a_chain_rebuilt_from_scratch_is_caught(trail):
    db.session.execute(update(AuditRecord).values(actor_name="someone else"))
    _rechain_from(1)
    assert db.session.scalar(select(func.count(AuditRecord.id))) == 8
    assert _problems([trail]) == ["digest"]


def test_a_checkpoint_without_a_valid_signature_proves_nothing(trail, tmp_path):
    forged = Checkpoint(trail.at, trail.last_id, trail.records, "f" * 64, trail.key, trail.signature)
    other_key = load_signing_key(tmp_path / "other_key")
    from coop.domain.checkpoints import sign

    signed_elsewhere = sign(other_key, utcnow(), trail.last_id, trail.records, trail.digest)
    assert _problems([forged, signed_elsewhere]) == ["bad_signature", "bad_signature"]


def test_the_stored_checkpoints_are_checked_and_an_emptied_trail_fails_them(trail):
    assert [point.digest for point in stored_checkpoints(db.session)] == [trail.digest]
    db.session.execute(delete(AuditRecord))
    db.session.commit()
    assert _problems(stored_checkpoints(db.session)) == ["missing"]


def test_a_checkpoint_of_an_empty_trail_holds(app):
    checkpoint = _checkpoint()
    assert (checkpoint.last_id, checkpoint.digest) == (0, GENESIS)
    assert _problems([checkpoint]) == [None]


def test_checkpoint_lines_survive_being_pasted_from_an_e_mail(trail):
    text = f"Hello,\n\n> today's checkpoint:\n> {trail.to_line()}\n-- \ncoop\n"
    assert parse_checkpoints(text) == [trail]
    with pytest.raises(CheckpointProblem):
        parse_checkpoints('{"format":"coop-audit-checkpoint/1","at":"yesterday"}')


def test_the_cli_prints_a_checkpoint_and_verify_uses_a_file_of_them(trail, runner, tmp_path):
    result = runner.invoke(args=["audit", "checkpoint"])
    assert result.exit_code == 0, result.output
    saved = tmp_path / "checkpoints.txt"
    saved.write_text(result.stdout)
    assert db.session.scalar(select(func.count(AuditCheckpoint.id))) == 2

    ok = runner.invoke(args=["audit", "verify", "--checkpoint", str(saved)])
    assert ok.exit_code == 0, ok.output
    assert "checkpoints: 3 of 3 reached (1 from files, 2 stored)" in ok.output

    # Cut the tail and remove the stored checkpoints, as someone covering their tracks would: the file remains.
    db.session.execute(delete(AuditCheckpoint))
    db.session.execute(delete(AuditRecord).where(AuditRecord.id > trail.last_id))
    db.session.commit()
    cut = runner.invoke(args=["audit", "verify", "--checkpoint", str(saved), "--no-state"])
    assert cut.exit_code == 1
    assert "FAILS: the record it names is gone" in cut.output

    unreadable = tmp_path / "bad.txt"
    unreadable.write_text('{"format":"coop-audit-checkpoint/1"}')
    refused = runner.invoke(args=["audit", "verify", "--checkpoint", str(unreadable)])
    assert refused.exit_code == 2 and "unreadable checkpoint" in refused.output


def test_the_sweep_writes_one_checkpoint_a_day_and_mails_it_to_heads_and_admins(app):
    app.config["COOP_DAILY_CHECKPOINT"] = True
    from coop.deadlines.sweep import run_sweep
    from coop.models import OutboxMessage, Role
    from tests.factories import make_user

    make_user(db.session, "head", Role.HEAD, email="head@police.kz")
    make_user(db.session, "admin", Role.ADMIN, email="admin@police.kz")
    make_user(db.session, "officer", Role.OFFICER, email="officer@police.kz")
    db.session.commit()
    now = utcnow().replace(hour=6, minute=0)
    run_sweep(now)
    run_sweep(now + timedelta(minutes=5))
    assert db.session.scalar(select(func.count(AuditCheckpoint.id))) == 1
    mails = db.session.scalars(select(OutboxMessage).where(OutboxMessage.key.like("checkpoint:%"))).all()
    assert sorted(mail.to_address for mail in mails) == ["admin@police.kz", "head@police.kz"]
    line = stored_checkpoints(db.session)[0].to_line()
    assert all(line in mail.body_text for mail in mails)
    run_sweep(now + timedelta(days=1))
    assert db.session.scalar(select(func.count(AuditCheckpoint.id))) == 2


def test_heads_see_and_check_checkpoints_on_the_audit_page(trail, client, auth):
    from coop.models import Role
    from tests.factories import make_user

    make_user(db.session, "head", Role.HEAD)
    make_user(db.session, "officer", Role.OFFICER)
    db.session.commit()
    auth.login("officer")
    assert client.get("/audit/").status_code == 403
    auth.logout()
    auth.login("head")
    page = client.get("/audit/").get_data(as_text=True)
    assert trail.to_line().replace('"', "&#34;") in page
    assert client.post("/audit/checkpoint").status_code == 302
    assert db.session.scalar(select(func.count(AuditCheckpoint.id))) == 2

    checked = client.post("/audit/verify", data={"pasted": f"> {trail.to_line()}\n"})
    assert checked.status_code == 200 and 'data-testid="verify-result"' in checked.get_data(as_text=True)
    assert "card-ok" in checked.get_data(as_text=True)
    forged = trail.to_line().replace(trail.digest, "0" * 64)
    refused = client.post("/audit/verify", data={"pasted": forged}).get_data(as_text=True)
    assert "card-conflict" in refused and "badge-bad" in refused
    garbage = client.post("/audit/verify", data={"pasted": '{"format":"coop-audit-checkpoint/1","at":1}'})
    assert garbage.status_code == 400 and "field-invalid" in garbage.get_data(as_text=True)
    assert client.post("/audit/verify", data={"pasted": "a\x00b"}).status_code == 400
    assert db.session.scalar(select(func.count(AuditCheckpoint.id))) == 2  # refused checks write nothing
