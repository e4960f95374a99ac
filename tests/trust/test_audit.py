"""The audit trail records every change with who and how, and detects any record altered by hand."""

import pytest
from sqlalchemy import select, update

from coop.domain.audit import Actor, acting_as, verify_chain
from coop.extensions import db
from coop.models import AuditRecord, Partner, Role, User
from tests.factories import make_partner, make_user


def records(entity: str) -> list[AuditRecord]:
    return list(db.session.scalars(select(AuditRecord).where(AuditRecord.entity == entity)
                                   .order_by(AuditRecord.id)))


def test_a_change_is_recorded_with_who_how_and_old_and_new_values(app):
    with acting_as(Actor(7, "a.karimova", "web")):
        partner = make_partner(db.session, "telegram", preservation_days=90)
        db.session.commit()
        partner.preservation_days = 120
        db.session.commit()
    inserted, updated = records("partner")
    assert inserted.action == "insert" and inserted.entity_id == str(partner.id)
    assert updated.action == "update" and updated.actor_name == "a.karimova" and updated.via == "web"
    assert updated.changes["preservation_days"] == [90, 120]


def test_secrets_are_recorded_as_changed_without_their_values(app):
    user = make_user(db.session, "officer")
    db.session.commit()
    user.revoke_sessions()
    db.session.commit()
    change = records("user_account")[-1]
    assert change.changes["session_token"] == ["***", "***"]
    assert user.session_token not in str(change.changes)


def test_cli_changes_are_marked_as_such(runner):
    runner.invoke(args=["users", "create", "m.ivanov", "--name", "Максим Иванов", "--password",
                        "a long enough password"])
    assert records("user_account")[-1].via == "cli"


def test_web_changes_name_the_user(client, auth):
    make_user(db.session, "admin", Role.ADMIN)
    db.session.commit()
    auth.login("admin")
    client.post("/admin/users/new", data={"username": "newbie", "full_name": "Новичок", "role": "officer",
                                          "active": "y", "password": "a long enough password"})
    created = [r for r in records("user_account") if r.action == "insert"][-1]
    assert created.actor_name == "admin" and created.via == "web"


def test_verify_passes_on_an_untouched_chain_and_names_the_first_altered_record(app, runner):
    for index in range(5):
        make_partner(db.session, f"p{index}")
        db.session.commit()
    assert verify_chain(db.session).intact
    assert "intact" in runner.invoke(args=["audit", "verify"]).output

    third = records("partner")[2]
    db.session.execute(update(AuditRecord).where(AuditRecord.id == third.id)
                       .values(changes={"name_ru": [None, "подделка"]}))
    db.session.commit()
    report = verify_chain(db.session)
    assert report.first_broken_id == third.id and report.records == 2
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and f"record {third.id}" in result.output


@pytest.mark.parametrize("tamper", ["delete", "reorder_digest"])
def test_deleting_or_relinking_a_record_is_detected(app, tamper):
    for index in range(4):
        make_partner(db.session, f"q{index}")
        db.session.commit()
    second = records("partner")[1]
    if tamper == "delete":
        db.session.delete(db.session.get(AuditRecord, second.id))
    else:
        db.session.execute(update(AuditRecord).where(AuditRecord.id == second.id).values(previous_digest="f" * 64))
    db.session.commit()
    assert not verify_chain(db.session).intact


def test_unaudited_tables_leave_no_trace(app):
    user = make_user(db.session, "officer")
    db.session.commit()
    before = db.session.scalar(select(db.func.count(AuditRecord.id)))
    db.session.get(User, user.id)
    assert db.session.scalar(select(db.func.count(AuditRecord.id))) == before
    assert db.session.get(Partner, 1) is None
