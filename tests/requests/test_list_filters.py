"""Parsing the request list's query arguments: valid values kept, bad ones reported, never a crash."""

from datetime import date

import pytest
from werkzeug.datastructures import MultiDict

from coop.domain.request_search import DEFAULT_SORT, FilterProblem, RequestFilters, parse_filters, phone_number_e164
from coop.models import Direction, PartnerKind, Urgency


def test_every_filter_is_read_from_query_arguments():
    filters, problems = parse_filters({
        "direction": "outgoing", "partner_kind": "provider", "partner": "meta", "request_type": "mla_outgoing",
        "status": "sent", "officer": "7", "case": " 2575  0001 ", "urgency": "urgent", "overdue": "1",
        "created_from": "2026-01-01", "created_to": "2026-01-31", "sent_from": "2026-02-01", "sent_to": "2026-02-28",
        "text": "  instagram   fraud ", "sort": "-deadline", "page": "3", "per_page": "25",
    })
    assert problems == []
    assert filters == RequestFilters(
        direction=Direction.OUTGOING, partner_kind=PartnerKind.PROVIDER, partner="meta", request_type="mla_outgoing",
        status="sent", officer="7", case="2575 0001", urgency=Urgency.URGENT, overdue=True,
        created_from=date(2026, 1, 1), created_to=date(2026, 1, 31), sent_from=date(2026, 2, 1),
        sent_to=date(2026, 2, 28), text="instagram fraud", sort="-deadline", page=3, per_page=25,
    )


def test_no_arguments_mean_no_filter():
    filters, problems = parse_filters({})
    assert problems == []
    assert filters == RequestFilters()
    assert not filters.narrowed
    assert filters.sort == DEFAULT_SORT


@pytest.mark.parametrize(("name", "value", "code"), [
    ("direction", "sideways", "invalid_choice"),
    ("partner_kind", "planet", "invalid_choice"),
    ("status", "lost", "invalid_choice"),
    ("urgency", "whenever", "invalid_choice"),
    ("officer", "-3", "invalid_choice"),
    ("officer", "bob", "invalid_choice"),
    ("sort", "password_hash", "invalid_choice"),
    ("sort", "--created", "invalid_choice"),
    ("page", "99999999999999999999", "invalid_number"),
    ("page", "-1", "invalid_number"),
    ("page", "1.5", "invalid_number"),
    ("per_page", "1000", "invalid_choice"),
    ("created_from", "31.12.2026", "invalid_date"),
    ("sent_to", "2026-02-30", "invalid_date"),
    ("created_from", "0001-01-01", "invalid_date"),
    ("sent_to", "9999-12-31", "invalid_date"),
    ("officer", "²", "invalid_choice"),
    ("officer", "٣", "invalid_choice"),
    ("officer", "99999999999", "invalid_choice"),
    ("page", "٣", "invalid_number"),
])
def test_a_bad_value_is_reported_and_left_out(name, value, code):
    filters, problems = parse_filters({name: value, "text": "meta"})
    assert problems == [FilterProblem(name, code, value)]
    assert getattr(filters, name) == getattr(RequestFilters(), name)
    assert filters.text == "meta"  # the good filters survive


def test_a_reversed_date_range_drops_its_end():
    filters, problems = parse_filters({"created_from": "2026-03-10", "created_to": "2026-03-01"})
    assert problems == [FilterProblem("created_to", "reversed_range", "2026-03-01")]
    assert filters.created_from == date(2026, 3, 10)
    assert filters.created_to is None


def test_a_case_number_longer_than_any_is_reported():
    filters, problems = parse_filters({"case": "9" * 65})
    assert filters.case is None
    assert [problem.code for problem in problems] == ["unknown"]


def test_a_very_long_search_text_is_cut_and_reported():
    filters, problems = parse_filters({"text": "x" * 500})
    assert len(filters.text) == 200
    assert [problem.code for problem in problems] == ["too_long"]


@pytest.mark.parametrize("name", ["text", "partner", "request_type", "case", "status", "page"])
def test_control_characters_are_reported_shown_and_never_searched(name):
    filters, problems = parse_filters({name: "meta\x00\x1b", "direction": "incoming"})
    assert problems == [FilterProblem(name, "invalid_characters", "meta\ufffd\ufffd")]
    assert getattr(filters, name) == getattr(RequestFilters(), name)
    assert filters.direction == Direction.INCOMING  # the good filters survive


def test_tabs_and_line_breaks_in_the_search_text_are_spaces():
    filters, problems = parse_filters({"text": "  мошенничество\t\r\nInstagram "})
    assert problems == []
    assert filters.text == "мошенничество Instagram"


def test_status_groups_and_me_are_accepted():
    filters, problems = parse_filters({"status": "open", "officer": "me"})
    assert problems == []
    assert (filters.status, filters.officer) == ("open", "me")


def test_the_first_value_of_a_repeated_argument_is_used():
    filters, _problems = parse_filters(MultiDict([("direction", "incoming"), ("direction", "outgoing")]))
    assert filters.direction == Direction.INCOMING


def test_query_arguments_round_trip():
    original = {"direction": "incoming", "partner": "tr", "status": "open", "officer": "me", "case": "2026-0004",
                "overdue": "1", "created_from": "2026-01-01", "sent_to": "2026-02-01", "text": "@fraud.kz",
                "sort": "partner", "page": "2", "per_page": "100"}
    filters, _problems = parse_filters(original)
    assert filters.query_args() == original
    assert parse_filters(filters.query_args())[0] == filters


def test_default_values_are_left_out_of_links():
    filters, _problems = parse_filters({"sort": DEFAULT_SORT, "page": "1", "per_page": "50", "overdue": ""})
    assert filters.query_args() == {}


def test_sort_links_reverse_the_current_order_and_go_back_to_the_first_page():
    filters, _problems = parse_filters({"sort": "partner", "page": "4", "status": "sent"})
    assert filters.sort_link("partner") == {"sort": "-partner", "status": "sent"}
    assert filters.sort_link("created") == {"sort": "created", "status": "sent"}


def test_without_resets_the_named_filters():
    filters, _problems = parse_filters({"partner": "meta", "case": "2026-0003"})
    assert filters.without("partner") == RequestFilters(case="2026-0003")


@pytest.mark.parametrize(("typed", "e164"), [
    ("8 701 123 45 67", "+77011234567"),
    ("+7 (701) 123-45-67", "+77011234567"),
    ("87011234567", "+77011234567"),
    ("+90 532 123 45 67", "+905321234567"),
])
def test_a_phone_number_typed_the_local_way_reads_as_e164(typed, e164):
    assert phone_number_e164(typed) == e164


@pytest.mark.parametrize("text", ["2024", "OUT-2026-0001", "123456", "fraud", "192.168.0.1"])
def test_other_text_is_not_taken_for_a_phone_number(text):
    assert phone_number_e164(text) is None
