"""`coop audit verify` compares every audited row with the values its history recorded last, and names each
row changed behind coop's back: a direct SQL update, a deleted or reinstated row, an insert around coop."""

from datetime import timedelta

import pytest
from sqlalchemy import delete, insert, text, update

from coop.domain.replay import UnknownEntity, check_state, parse_entity, same_value
from coop.domain.requests import change_status, create_request
from coop.extensions import db
from coop.models import CooperationRequest, Direction, Partner, Role, Status, User, utcnow
from tests.factories import make_legal_basis, make_partner, make_request_type, make_user


@pytest.fixture
def department(app):
    """Requests created and moved through coop itself, partners and users edited: every row with its history."""
    officer = make_user(db.session, "officer", Role.OFFICER)
    head = make_user(db.session, "head", Role.HEAD)
    meta = make_partner(db.session, "meta")
    make_legal_basis(db.session, "provider-policy")
    kind = make_request_type(db.session, "direct_disclosure", Direction.OUTGOING)
    db.session.commit()
    then = utcnow() - timedelta(days=3)
    requests = []
    for number in range(3):
        item = create_request(db.session, officer, {"direction": Direction.OUTGOING, "title": f"Запрос {number}",
                                                    "request_type_id": kind.id, "partner_id": meta.id,
                                                    "officers": [officer]}, then)
        change_status(db.session, item, officer, Status.AWAITING_APPROVAL, then)
        change_status(db.session, item, head, Status.APPROVED, then)
        requests.append(item.id)
    meta.preservation_days = 120
    head.full_name = "Айгуль Сапарова"
    db.session.commit()
    return requests


def test_rows_written_through_coop_agree_with_their_history(department):
    report = check_state(db.session)
    assert report.agrees, [str(item) for item in report.discrepancies]
    assert report.rows >= 8 and report.unrecorded == {}


def test_a_column_updated_directly_in_the_table_is_named(department, runner):
    target = department[1]
    db.session.execute(update(CooperationRequest).where(CooperationRequest.id == target)
                       .values(title="Подменённое название"))
    db.session.execute(text("UPDATE partner SET preservation_days = 7 WHERE code = 'meta'"))
    db.session.commit()
    report = check_state(db.session)
    named = {(item.table, item.row_id): item for item in report.discrepancies}
    assert set(named) == {("cooperation_request", target), ("partner", db.session.scalar(
        db.select(Partner.id).where(Partner.code == "meta")))}
    assert named["cooperation_request", target].fields == {"title": ("Запрос 1", "Подменённое название")}

    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"ROW cooperation_request:{target} changed outside coop (title: recorded 'Запрос 1'" in result.output
    assert "2 disagree" in result.output


def test_a_restored_old_value_of_a_status_is_named(department):
    """A restored backup brings back yesterday's status, after coop moved it on."""
    target = department[0]
    db.session.execute(update(CooperationRequest).where(CooperationRequest.id == target)
                       .values(status=Status.DRAFT.value))
    db.session.commit()
    (item,) = check_state(db.session).discrepancies
    assert item.fields == {"status": ("approved", "draft")}


def test_a_row_deleted_or_inserted_around_coop_is_named(department):
    user = db.session.scalar(db.select(User).where(User.username == "officer"))
    db.session.execute(text("DELETE FROM request_officer WHERE request_id = :id"), {"id": department[2]})
    db.session.execute(delete(CooperationRequest).where(CooperationRequest.id == department[2]))
    db.session.execute(insert(User).values(username="ghost", full_name="Призрак", role="admin",
                                           password_hash="x", session_token="t", active=True, created_at=utcnow()))
    db.session.commit()
    report = check_state(db.session)
    assert [(item.table, item.row_id, item.kind) for item in report.discrepancies] == [
        ("cooperation_request", department[2], "deleted")]
    assert report.unrecorded == {"user_account": 1} and user.id not in report.unrecorded_examples["user_account"]


def test_one_entity_can_be_checked_alone(department, runner):
    db.session.execute(update(CooperationRequest).where(CooperationRequest.id == department[0]).values(title="X"))
    db.session.commit()
    assert check_state(db.session, ("cooperation_request", department[1])).agrees
    alone = runner.invoke(args=["audit", "verify", "--entity", f"request:{department[0]}"])
    assert alone.exit_code == 1 and "1 compared, 1 disagree" in alone.output
    assert "audit trail intact" not in alone.output  # the chain walk is skipped for one entity
    other = runner.invoke(args=["audit", "verify", "--entity", f"request:{department[1]}"])
    assert other.exit_code == 0, other.output
    wrong = runner.invoke(args=["audit", "verify", "--entity", "spaceship:1"])
    assert wrong.exit_code == 2 and "ENTITY:ID" in wrong.output


def test_strict_mode_fails_on_rows_without_history(department, runner):
    db.session.execute(insert(User).values(username="ghost", full_name="Призрак", role="admin",
                                           password_hash="x", session_token="t", active=True, created_at=utcnow()))
    db.session.commit()
    lenient = runner.invoke(args=["audit", "verify"])
    assert lenient.exit_code == 0 and "1 without audit history" in lenient.output
    assert "without history: user_account: 1" in lenient.output
    assert runner.invoke(args=["audit", "verify", "--strict"]).exit_code == 1


@pytest.mark.parametrize(("text_", "expected"), [
    ("request:12", ("cooperation_request", 12)), ("partner:3", ("partner", 3)),
    ("user_account:1", ("user_account", 1))])
def test_entities_are_named_by_short_or_table_names(text_, expected):
    assert parse_entity(text_) == expected


@pytest.mark.parametrize("wrong", ["request", "request:x", "audit_record:1", ":1"])
def test_unknown_entities_are_refused(wrong):
    with pytest.raises(UnknownEntity):
        parse_entity(wrong)


def test_values_compare_as_the_trail_renders_them():
    from datetime import UTC, datetime

    moment = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
    assert same_value("2026-12-04T15:00:00+05:00", moment)
    assert not same_value("2026-12-04T10:00:01+00:00", moment)
    assert same_value("{'a': [1, 2]}", {"a": [1, 2]}) and same_value({"a": 1}, {"a": 1})
    assert same_value(None, None) and not same_value(None, "x")


def test_a_used_api_token_agrees_with_its_history(department, client):
    """Each call notes the token's last use without an audit record, on purpose: that is not a discrepancy."""
    from coop.domain.tokens import issue_token
    from coop.models import TokenScope

    _token, secret = issue_token(db.session, user_named("officer"), "sync", TokenScope.READ, utcnow(), 30)
    db.session.commit()
    assert client.get("/api/v1/requests", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    assert check_state(db.session).agrees


def user_named(username: str) -> User:
    return db.session.scalar(db.select(User).where(User.username == username))
