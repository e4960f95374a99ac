"""The request list's query: each filter, text search, sorting and who sees what (SQLite and PostgreSQL)."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from coop.domain.request_search import parse_filters, search_requests
from coop.extensions import db
from coop.models import (
    Direction,
    Identifier,
    IdentifierKind,
    PartnerKind,
    PartnerReference,
    Role,
    Status,
    Urgency,
)
from tests.factories import make_case, make_partner, make_request, make_request_type, make_user

ALMATY = ZoneInfo("Asia/Almaty")
NOW = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)


def found(user, **args) -> list[str]:
    """The references the list shows `user` for these query arguments, in order."""
    filters, problems = parse_filters({name: str(value) for name, value in args.items()})
    assert problems == []
    query = search_requests(user, filters, NOW, ALMATY)
    return [request.reference for request in db.session.scalars(query).unique()]


@pytest.fixture
def head(app):
    return make_user(db.session, "head", Role.HEAD)


def test_each_filter_narrows_the_list(head):
    session = db.session
    meta = make_partner(session, "meta", PartnerKind.PROVIDER, name_ru="Meta")
    turkey = make_partner(session, "TR", PartnerKind.COUNTRY, name_ru="Турция")
    mla = make_request_type(session, "mla_outgoing")
    incoming_type = make_request_type(session, "mla_incoming", Direction.INCOMING)
    officer = make_user(session, "aidar")
    case = make_case(session, "2026-0001")
    make_request(session, reference="A", partner=meta, status=Status.SENT, officers=[officer], case=case,
                 urgency=Urgency.URGENT)
    make_request(session, reference="B", partner=turkey, request_type=mla, status=Status.CLOSED)
    make_request(session, Direction.INCOMING, reference="C", partner=turkey, request_type=incoming_type,
                 status=Status.IN_EXECUTION, urgency=Urgency.EMERGENCY)

    assert found(head, direction="incoming") == ["C"]
    assert sorted(found(head, partner_kind="country")) == ["B", "C"]
    assert found(head, partner="meta") == ["A"]
    assert found(head, request_type="mla_outgoing") == ["B"]
    assert found(head, status="sent") == ["A"]
    assert sorted(found(head, status="open")) == ["A", "C"]
    assert found(head, status="finished") == ["B"]
    assert found(head, officer=officer.id) == ["A"]
    assert found(head, case=case.number) == ["A"]
    assert found(head, case="2026-0001".upper()) == ["A"]
    assert found(head, urgency="emergency") == ["C"]


def test_filters_combine(head):
    session = db.session
    turkey = make_partner(session, "TR", PartnerKind.COUNTRY)
    make_request(session, reference="OUT-SENT", partner=turkey, status=Status.SENT)
    make_request(session, reference="OUT-DRAFT", partner=turkey, status=Status.DRAFT)
    make_request(session, Direction.INCOMING, reference="IN", partner=turkey, status=Status.RECEIVED,
                 request_type=make_request_type(session, "mla_incoming", Direction.INCOMING))
    make_request(session, reference="META-SENT", status=Status.SENT)

    assert found(head, partner="TR", direction="outgoing", status="sent") == ["OUT-SENT"]
    assert sorted(found(head, partner_kind="country", status="open")) == ["IN", "OUT-DRAFT", "OUT-SENT"]


def test_me_means_the_user_looking(app):
    session = db.session
    aidar, asel = make_user(session, "aidar"), make_user(session, "asel")
    make_request(session, reference="MINE", officers=[aidar])
    make_request(session, reference="HERS", officers=[asel])
    assert found(aidar, officer="me") == ["MINE"]
    assert found(asel, officer="me") == ["HERS"]


def test_date_ranges_are_whole_days_in_almaty(head):
    session = db.session
    # 23:30 UTC on 31 May is already 1 June in Almaty (UTC+5).
    make_request(session, reference="JUNE-1", created_at=datetime(2026, 5, 31, 23, 30, tzinfo=UTC))
    make_request(session, reference="MAY-31", created_at=datetime(2026, 5, 31, 18, 59, tzinfo=UTC))
    make_request(session, reference="SENT-JUNE-3", created_at=datetime(2026, 5, 1, tzinfo=UTC),
                 sent_at=datetime(2026, 6, 3, 18, 59, tzinfo=UTC), status=Status.SENT)

    assert sorted(found(head, created_from="2026-06-01")) == ["JUNE-1"]
    assert found(head, created_to="2026-05-31", created_from="2026-05-31") == ["MAY-31"]
    assert found(head, sent_from="2026-06-03", sent_to="2026-06-03") == ["SENT-JUNE-3"]
    assert found(head, sent_to="2026-06-02") == []


@pytest.mark.parametrize("text", ["OUT-2026-0042", "out-2026-0042", "2026-0042"])
def test_text_finds_our_reference(head, text):
    make_request(db.session, reference="OUT-2026-0042")
    make_request(db.session, reference="OUT-2026-0043")
    assert found(head, text=text) == ["OUT-2026-0042"]


@pytest.mark.parametrize("text", ["мошенничество", "МОШЕННИЧЕСТВО", "Instagram", "инстаграм"])
def test_text_finds_titles_ignoring_case_in_russian_too(head, text):
    make_request(db.session, reference="HIT", title="Мошенничество через Instagram («Инстаграм»-магазин)")
    make_request(db.session, reference="MISS", title="Вымогательство в Telegram")
    assert found(head, text=text) == ["HIT"]


def test_text_finds_partner_references(head):
    hit = make_request(db.session, reference="HIT")
    hit.partner_references.append(PartnerReference(reference="LE-7781-2026"))
    make_request(db.session, reference="MISS")
    assert found(head, text="le-7781") == ["HIT"]


def test_text_finds_identifiers_by_value_and_normalised_form(head):
    account = make_request(db.session, reference="ACCOUNT")
    account.identifiers.append(Identifier(kind=IdentifierKind.ACCOUNT, platform="instagram",
                                          value="https://instagram.com/Shop_Almaty.Sale",
                                          normalized="instagram:shop_almaty.sale"))
    phone = make_request(db.session, reference="PHONE")
    phone.identifiers.append(Identifier(kind=IdentifierKind.PHONE, value="+7 701 123 45 67",
                                        normalized="+77011234567"))
    make_request(db.session, reference="NOTHING")

    assert found(head, text="shop_almaty") == ["ACCOUNT"]
    assert found(head, text="@shop_almaty.sale") == ["ACCOUNT"]
    assert found(head, text="8 701 123 45 67") == ["PHONE"]
    assert found(head, text="+77011234567") == ["PHONE"]
    assert found(head, text="https://www.instagram.com/shop_almaty.sale/") == ["ACCOUNT"]


def test_text_with_like_wildcards_is_taken_literally(head):
    make_request(db.session, reference="PERCENT", title="Скидка 100% на iPhone")
    make_request(db.session, reference="OTHER", title="Скидка 1000 тенге")
    assert found(head, text="100%") == ["PERCENT"]
    assert found(head, text="_") == []


def test_a_restricted_request_is_found_only_by_those_assigned_and_heads(head):
    session = db.session
    assigned, other = make_user(session, "assigned"), make_user(session, "other")
    make_request(session, reference="SECRET", title="Секретно", restricted=True, officers=[assigned])
    make_request(session, reference="OPEN", title="Секретно, но не очень")
    assert found(other, text="секретно") == ["OPEN"]
    assert sorted(found(assigned, text="секретно")) == ["OPEN", "SECRET"]
    assert sorted(found(head, text="секретно")) == ["OPEN", "SECRET"]


@pytest.mark.parametrize(("sort", "expected"), [
    ("reference", ["A", "B", "C"]),
    ("-reference", ["C", "B", "A"]),
    ("partner", ["B", "A", "C"]),
    ("status", ["C", "A", "B"]),
    ("urgency", ["B", "C", "A"]),
    ("title", ["C", "A", "B"]),
    ("created", ["A", "C", "B"]),
    ("-created", ["B", "C", "A"]),
    ("sent", ["C", "A", "B"]),
    ("-sent", ["A", "C", "B"]),
    ("case", ["A", "C", "B"]),
])
def test_every_sort_key_orders_the_list(head, sort, expected):
    session = db.session
    alpha = make_partner(session, "alpha", name_ru="Альфа")
    beta = make_partner(session, "beta", name_ru="Бета")
    gamma = make_partner(session, "gamma", name_ru="Гамма")
    make_request(session, reference="A", partner=beta, title="Бб", status=Status.SENT, urgency=Urgency.NORMAL,
                 created_at=datetime(2026, 1, 1, tzinfo=UTC), sent_at=datetime(2026, 2, 1, tzinfo=UTC),
                 case=make_case(session, "2026-0001"))
    make_request(session, reference="B", partner=alpha, title="вв", status=Status.CLOSED, urgency=Urgency.EMERGENCY,
                 created_at=datetime(2026, 3, 1, tzinfo=UTC))
    make_request(session, reference="C", partner=gamma, title="Аа", status=Status.DRAFT, urgency=Urgency.URGENT,
                 created_at=datetime(2026, 2, 1, tzinfo=UTC), sent_at=datetime(2026, 1, 15, tzinfo=UTC),
                 case=make_case(session, "2026-0002"))
    assert found(head, sort=sort) == expected


def test_equal_sort_values_are_ordered_by_id_so_pages_never_overlap(head):
    created = datetime(2026, 1, 1, tzinfo=UTC)
    references = [make_request(db.session, reference=f"R{number:02d}", created_at=created).reference
                  for number in range(12)]
    filters, _problems = parse_filters({"sort": "created"})
    query = search_requests(head, filters, NOW, ALMATY)
    first = db.paginate(query, page=1, per_page=5, error_out=False).items
    second = db.paginate(query, page=2, per_page=5, error_out=False).items
    third = db.paginate(query, page=3, per_page=5, error_out=False).items
    assert [item.reference for item in first + second + third] == references
