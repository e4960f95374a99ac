"""Keyset pages of the API's request list: walking every page with its cursor returns each visible request exactly
once, in the list's order, under every sort, also while requests are added; a cursor that cannot be used is a 400.
And the list's text search finds a request by its partner's reference or its case's register number."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from coop.domain.request_search import SORT_KEYS, CursorInvalid, ListCursor
from coop.extensions import db
from coop.models import (
    ClockUnit,
    CooperationRequest,
    Deadline,
    DeadlineKind,
    DeadlineState,
    Partner,
    PartnerReference,
    RequestType,
    Status,
    User,
    utcnow,
)
from tests.api.helpers import bearer, seed_api_world
from tests.factories import make_case, make_request


@pytest.fixture
def crowded(app):
    """The API's department and 60 more requests, with ties in every sort key and missing values in the
    nullable ones; a quarter restricted to a colleague."""
    world = seed_api_world(db.session)
    partners = db.session.scalars(select(Partner).order_by(Partner.code)).all()
    request_type = db.session.scalar(select(RequestType).where(RequestType.code == "direct_disclosure"))
    officer, colleague = db.session.get(User, world.officer.id), db.session.get(User, world.other_officer.id)
    cases = [make_case(db.session, f"2026-{number:06d}") for number in (801, 802)]
    moment = utcnow() - timedelta(days=10)
    for number in range(60):
        item = make_request(db.session, partner=partners[number % len(partners)], request_type=request_type,
                            officers=[colleague if number % 4 == 0 else officer], restricted=number % 4 == 0,
                            title=f"Запрос {number % 7}", created_at=moment + timedelta(hours=number // 3),
                            sent_at=moment + timedelta(hours=number % 5) if number % 3 else None,
                            status=Status.SENT if number % 2 else Status.DRAFT,
                            case=cases[number % 2] if number % 5 else None)
        if number % 3 == 0:
            db.session.add(Deadline(request_id=item.id, kind=DeadlineKind.ANSWER_EXPECTED, state=DeadlineState.OPEN,
                                    unit=ClockUnit.CALENDAR_DAYS, started_at=moment,
                                    due_at=moment + timedelta(days=20 + number % 4)))
    db.session.commit()
    return world


def _walk(client, token: str, sort: str, while_walking=None) -> list[int]:
    """Every id the list gives, following `next` from the first page (calling `while_walking` after each)."""
    seen, url = [], f"/api/v1/requests?per_page=25&sort={sort}"
    while url:
        response = client.get(url, headers=bearer(token))
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        seen += [item["id"] for item in body["items"]]
        url = body["next"]
        if while_walking and url:
            while_walking()
    return seen


def _by_page_number(client, token: str, sort: str) -> list[int]:
    seen, page = [], 1
    while True:
        body = client.get(f"/api/v1/requests?per_page=25&sort={sort}&page={page}", headers=bearer(token)).get_json()
        seen += [item["id"] for item in body["items"]]
        if page >= body["pages"]:
            return seen
        page += 1


def test_walking_the_cursor_returns_every_visible_request_once_in_order_under_every_sort(client, crowded):
    for sort in [*SORT_KEYS, *(f"-{key}" for key in SORT_KEYS)]:
        expected = _by_page_number(client, crowded.write_token, sort)
        assert len(expected) == 47  # the 45 of the 60 not restricted, and two of the world's three
        walked = _walk(client, crowded.write_token, sort)
        assert walked == expected, sort


def test_requests_added_while_walking_never_make_a_page_skip_or_repeat_one(client, crowded):
    before = set(_by_page_number(client, crowded.write_token, "-created"))
    officer = db.session.get(User, crowded.officer.id)
    partner = db.session.scalar(select(Partner).where(Partner.code == "meta"))

    def add_two():  # one newer than all, one in the middle of the order
        for created_at in (utcnow(), utcnow() - timedelta(days=10, hours=-9)):
            make_request(db.session, partner=partner, officers=[officer], created_at=created_at)
        db.session.commit()

    for sort in ("-created", "created", "title"):
        walked = _walk(client, crowded.write_token, sort, while_walking=add_two)
        assert len(walked) == len(set(walked)), sort
        assert before <= set(walked), sort


def test_a_cursor_that_cannot_be_used_is_refused(client, crowded):
    headers = bearer(crowded.write_token) | {"Accept-Language": "en"}
    first = client.get("/api/v1/requests?per_page=25&sort=title", headers=headers).get_json()
    cursor = first["next_cursor"]
    for query, message in ((f"cursor={cursor}&sort=-created", "another sort order"),
                           (f"cursor={cursor}&sort=title&page=2", "not both"),
                           ("cursor=bm90IGEgY3Vyc29y", "cannot be read"),
                           ("cursor=%%%", "cannot be read"),
                           (f"cursor={ListCursor('title', 5, 3).encode()}&sort=title", "cannot be read")):
        response = client.get(f"/api/v1/requests?{query}", headers=headers)
        assert response.status_code == 400, query
        assert message in response.get_json()["error"]["fields"]["cursor"][0], query


@pytest.mark.parametrize("text", [
    "", "W10", "WyJ0aXRsZSIsbnVsbCwzXQ",  # ["title",null,3]: a missing title cannot be
    ListCursor("created", "yesterday", 3).encode().replace("created", "x"),
])
def test_only_cursors_coop_wrote_are_read(text):
    with pytest.raises(CursorInvalid):
        ListCursor.decode(text)


def test_a_cursor_keeps_its_sort_value_exactly():
    moment = utcnow()
    for cursor in (ListCursor("-created", moment, 7), ListCursor("sent", None, 9), ListCursor("title", "запрос 1", 2),
                   ListCursor("-status", 3, 2**31 - 1)):
        assert ListCursor.decode(cursor.encode()) == cursor


def test_the_list_finds_a_request_by_its_partners_reference_or_its_case_register_number(client, crowded):
    db.session.add(PartnerReference(request_id=crowded.outgoing_id, reference="LE-7781/2026"))
    restricted = db.session.get(CooperationRequest, crowded.restricted_id)
    restricted.case = make_case(db.session, "261500031000417")
    db.session.commit()
    headers = bearer(crowded.write_token)

    def found(text: str, token: str = crowded.write_token) -> list[int]:
        response = client.get("/api/v1/requests", query_string={"text": text}, headers=bearer(token))
        assert response.status_code == 200
        return [item["id"] for item in response.get_json()["items"]]

    for text in ("LE-7781/2026", "le 7781 2026", "7781/20", "le7781-2026"):
        assert found(text) == [crowded.outgoing_id], text
    assert crowded.outgoing_id in found(crowded.case_number)  # the world's case: a register number
    in_case = set(db.session.scalars(select(CooperationRequest.id).join(CooperationRequest.case).where(
        CooperationRequest.restricted.is_(False), CooperationRequest.case.has(number="2026-000801"))))
    assert set(found("2026-000801")) == in_case and len(in_case) == 12 and found("000802") != []
    # The restricted request's case number finds it for those who may see it only.
    assert found("1500031000417") == []
    assert found("1500031000417", crowded.head_token) == [crowded.restricted_id]
    assert client.get("/api/v1/requests?text=LE-7781", headers=headers).get_json()["total"] == 1
