"""Pages of the request list at any depth: the same rows as the whole sorted list, a right total, cheap queries."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event

from coop.domain.request_search import SORT_KEYS, find_page, parse_filters, search_requests
from coop.extensions import db
from coop.models import PartnerKind, Role, Status, Urgency
from tests.factories import make_case, make_partner, make_request, make_user

ALMATY = ZoneInfo("Asia/Almaty")
NOW = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)


def filters_of(**args):
    filters, problems = parse_filters({name: str(value) for name, value in args.items()})
    assert problems == []
    return filters


def every_page(user, **args) -> tuple[list[str], list[int]]:
    """The references on each page in turn, 25 a page (the smallest size), and the total each page gave."""
    references, totals = [], []
    page_number = 1
    while True:
        page = find_page(db.session, user, filters_of(page=page_number, per_page=25, **args), NOW, ALMATY)
        totals.append(page.total)
        if not page.items:
            return references, totals
        references += [item.reference for item in page.items]
        page_number += 1


def whole_list(user, **args) -> list[str]:
    query = search_requests(user, filters_of(**args), NOW, ALMATY)
    return [item.reference for item in db.session.scalars(query).unique()]


@pytest.fixture
def crowd(app):
    """60 requests with repeated values in every sort key (so ties are broken by id), a few restricted."""
    session = db.session
    partners = [make_partner(session, code, kind, name_ru=name) for code, kind, name in
                (("meta", PartnerKind.PROVIDER, "Meta"), ("TR", PartnerKind.COUNTRY, "Турция"),
                 ("google", PartnerKind.PROVIDER, "Google"))]
    cases = [make_case(session, f"2026-{number:04d}") for number in range(3)]
    assigned = make_user(session, "assigned")
    statuses = [Status.DRAFT, Status.SENT, Status.CLOSED, Status.ANSWERED]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for number in range(60):
        make_request(session, reference=f"R{number:03d}", title=f"Запрос {number % 7}", partner=partners[number % 3],
                     status=statuses[number % 4], urgency=list(Urgency)[number % 3],
                     case=cases[number % 4] if number % 4 < 3 else None,
                     created_at=start + timedelta(days=number // 4),
                     sent_at=start + timedelta(days=number % 5) if number % 2 else None,
                     restricted=number % 10 == 0, officers=[assigned] if number % 20 == 0 else [])
    session.commit()
    return {"head": make_user(session, "head", Role.HEAD), "officer": make_user(session, "officer"),
            "assigned": assigned}


@pytest.mark.parametrize("sort", [*SORT_KEYS, *(f"-{key}" for key in SORT_KEYS)])
def test_pages_read_in_turn_are_the_sorted_list(crowd, sort):
    references, totals = every_page(crowd["head"], sort=sort)
    assert references == whole_list(crowd["head"], sort=sort)
    assert set(totals) == {60}


@pytest.mark.parametrize("args", [{"status": "open"}, {"partner_kind": "provider", "sort": "partner"},
                                  {"text": "запрос 3"}, {"text": "R0"}, {"case": "2026-0001", "sort": "-case"}])
def test_pages_of_a_filtered_list_and_their_total(crowd, args):
    expected = whole_list(crowd["officer"], **args)
    references, totals = every_page(crowd["officer"], **args)
    assert references == expected
    assert set(totals) == {len(expected)}


def test_an_officers_own_requests_are_paged_and_counted_alike(crowd):
    # The officer filter is written one way to page in the list's order and another to count.
    references, totals = every_page(crowd["assigned"], officer="me")
    assert references == whole_list(crowd["assigned"], officer="me") == ["R040", "R020", "R000"]  # newest first
    assert set(totals) == {3}


def test_an_officer_pages_through_what_they_may_see(crowd):
    seen_by_officer, _totals = every_page(crowd["officer"])
    seen_by_assigned, _totals = every_page(crowd["assigned"])
    assert len(seen_by_officer) == 54  # six are restricted
    assert len(seen_by_assigned) == 57  # ... and three of them are theirs
    assert seen_by_officer == whole_list(crowd["officer"])


def test_a_page_past_the_end_is_empty_but_knows_the_total(crowd):
    page = find_page(db.session, crowd["head"], filters_of(page=40, per_page=25), NOW, ALMATY)
    assert page.items == [] and page.total == 60 and page.pages == 3 and not page.has_next


def test_a_first_page_that_is_not_full_tells_its_total_without_a_count(crowd, count_queries):
    with count_queries() as full:
        find_page(db.session, crowd["head"], filters_of(per_page=25), NOW, ALMATY)
    with count_queries() as short:
        page = find_page(db.session, crowd["head"], filters_of(per_page=100), NOW, ALMATY)
    assert page.total == 60 and len(page.items) == 60
    assert short.count == full.count - 1


@pytest.mark.parametrize("per_page", [25, 50, 100])
def test_a_page_past_the_middle_read_from_the_end_is_the_same_page(crowd, per_page):
    for _number in range(70):
        make_request(db.session, title="Ещё один")
    db.session.commit()
    expected = whole_list(crowd["head"], sort="-sent")
    pages = -(-len(expected) // per_page)
    for page_number in range(pages // 2, pages + 1):
        page = find_page(db.session, crowd["head"], filters_of(page=page_number, per_page=per_page, sort="-sent"),
                         NOW, ALMATY)
        start = (page_number - 1) * per_page
        assert [item.reference for item in page.items] == expected[start:start + per_page]


def statements_of(action) -> list[tuple[str, object]]:
    """The SQL `action` runs (with its parameters), on the list's table."""
    captured = []

    def record(_conn, _cursor, statement, parameters, *_args):
        if "cooperation_request" in statement:
            captured.append((" ".join(statement.split()), parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return captured


def test_no_query_of_a_deep_page_reads_more_than_the_page_and_the_count_joins_nothing(crowd):
    statements = [statement for statement, _parameters in statements_of(lambda: find_page(
        db.session, crowd["head"], filters_of(page=2, per_page=25, sort="partner"), NOW, ALMATY))]
    count, page_ids, rows = statements[:3]
    assert page_ids.startswith("SELECT cooperation_request.id FROM cooperation_request JOIN partner")
    assert "LIMIT" in page_ids and "OFFSET" in page_ids
    assert count.startswith("SELECT count(*)") and "JOIN" not in count and "ORDER BY" not in count
    assert "WHERE cooperation_request.id IN" in rows and "OFFSET" not in rows


@pytest.mark.parametrize("page_number", [2, 3])  # from the start, and (past the middle) from the end
def test_the_default_order_pages_over_an_index_without_reading_the_table(crowd, page_number):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL picks its plan by table size: a 60-row table is read whole")
    statements = statements_of(lambda: find_page(db.session, crowd["head"], filters_of(page=page_number, per_page=25),
                                                 NOW, ALMATY))
    statement, parameters = next(statement for statement in statements if "OFFSET" in statement[0])
    plan = " ".join(row[-1] for row in db.session.connection().exec_driver_sql(
        f"EXPLAIN QUERY PLAN {statement}", parameters))
    assert "USING COVERING INDEX ix_cooperation_request_created_at" in plan
    assert "TEMP B-TREE" not in plan  # no sort: the index is in the list's order
