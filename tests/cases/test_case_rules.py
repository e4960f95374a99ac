"""The rules of cases, without the web pages: numbers, versions, counts and what requests share."""

from datetime import UTC, date, datetime

import pytest

from coop.domain.cases import (
    CaseProblem,
    create_case,
    normalize_case_number,
    request_counts,
    shared_identifiers,
    update_case,
)
from coop.extensions import db
from coop.models import CaseStatus, CooperationRequest, Identifier, IdentifierKind, Role, Status
from tests.factories import make_case, make_request, make_user

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def test_case_numbers_are_stored_trimmed_with_single_spaces():
    assert normalize_case_number("  2575 0003  1000512 ") == "2575 0003 1000512"


def test_creating_a_case_keeps_its_fields_and_opens_it(app):
    case = create_case(db.session, {"number": " 2026-0001 ", "title": "Колл-центр", "opened_on": date(2026, 5, 2)},
                       NOW)
    assert (case.number, case.status, case.version, case.created_at) == ("2026-0001", CaseStatus.OPEN, 1, NOW)


def test_a_duplicate_number_is_refused_whatever_its_case(app):
    make_case(db.session, "ERDR-2026-0001")
    with pytest.raises(CaseProblem) as refused:
        create_case(db.session, {"number": "erdr-2026-0001", "title": "Копия"}, NOW)
    assert refused.value.code == "duplicate_number"


def test_a_number_taken_by_a_parallel_save_is_a_duplicate_not_a_crash(app, monkeypatch):
    make_case(db.session, "2026-0001")
    db.session.commit()
    # The other save committed between this one's check and its insert.
    monkeypatch.setattr("coop.domain.cases.case_number_taken", lambda *_args, **_kwargs: False)
    with pytest.raises(CaseProblem) as refused:
        create_case(db.session, {"number": "2026-0001", "title": "Параллельно"}, NOW)
    assert refused.value.code == "duplicate_number"
    db.session.rollback()


def test_an_update_from_the_stored_version_applies_and_moves_the_version(app):
    case = make_case(db.session, "2026-0001", title="Старое")
    updated = update_case(db.session, case.id, {"title": "Новое", "status": CaseStatus.CLOSED}, 1, NOW)
    assert (updated.title, updated.status, updated.version, updated.updated_at) == (
        "Новое", CaseStatus.CLOSED, 2, NOW)


def test_an_update_that_changes_nothing_keeps_the_version(app):
    case = make_case(db.session, "2026-0001", title="Так и есть")
    assert update_case(db.session, case.id, {"title": "Так и есть"}, 1, NOW).version == 1


def test_an_update_from_an_old_version_is_a_conflict_and_changes_nothing(app):
    case = make_case(db.session, "2026-0001", title="Сохранено коллегой")
    case.version = 3
    db.session.flush()
    with pytest.raises(CaseProblem) as refused:
        update_case(db.session, case.id, {"title": "Моя правка"}, 2, NOW)
    assert refused.value.code == "conflict"
    assert case.title == "Сохранено коллегой"


def test_request_counts_take_one_query_and_respect_visibility(app, count_queries):
    officer = make_user(db.session, "officer")
    head = make_user(db.session, "head", Role.HEAD)
    first, second = make_case(db.session), make_case(db.session)
    make_request(db.session, case=first, status=Status.SENT)
    make_request(db.session, case=first, status=Status.WITHDRAWN)
    make_request(db.session, case=first, status=Status.DRAFT, restricted=True)
    make_request(db.session, case=second, status=Status.CLOSED)
    with count_queries() as counted:
        counts = request_counts(db.session, officer, [first.id, second.id])
    assert counted.count == 1
    assert (counts[first.id].total, counts[first.id].open) == (2, 1)
    assert (counts[second.id].total, counts[second.id].open) == (1, 0)
    assert request_counts(db.session, head, [first.id])[first.id].total == 3


def _request(reference: str, *identifiers: tuple[IdentifierKind, str]) -> CooperationRequest:
    return CooperationRequest(reference=reference, identifiers=[
        Identifier(kind=kind, value=value, normalized=value.lower()) for kind, value in identifiers])


def test_shared_identifiers_are_those_named_in_more_than_one_request():
    phone = (IdentifierKind.PHONE, "+77011234567")
    account = (IdentifierKind.ACCOUNT, "instagram:shop_kz")
    first = _request("A", phone, account)
    second = _request("B", phone)
    third = _request("C", phone, account, (IdentifierKind.EMAIL, "once@mail.kz"))
    shared = shared_identifiers([first, second, third])
    assert [(item.kind, item.normalized, [r.reference for r in item.requests]) for item in shared] == [
        (IdentifierKind.PHONE, "+77011234567", ["A", "B", "C"]),
        (IdentifierKind.ACCOUNT, "instagram:shop_kz", ["A", "C"]),
    ]


def test_the_same_value_of_another_kind_is_not_shared():
    assert shared_identifiers([_request("A", (IdentifierKind.DOMAIN, "x.kz")),
                               _request("B", (IdentifierKind.EMAIL, "x.kz"))]) == []
