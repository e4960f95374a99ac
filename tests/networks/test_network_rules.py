"""The rules of networks: keys by canonical form, connected groups of cases, and the stored networks kept equal
to a recount through every change (identifiers added, removed, requests moved between cases, links)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from coop.domain import networks
from coop.domain.identifiers import IdentifierError
from coop.extensions import db
from coop.models import CaseNetwork, Identifier, IdentifierKind, Network, Role
from tests.factories import make_case, make_partner, make_request, make_user

PHONE, TELEGRAM, IP = IdentifierKind.PHONE, IdentifierKind.ACCOUNT, IdentifierKind.IP
NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


# --- no database ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "typed", "platform", "key"), [
    (IdentifierKind.PHONE, "8 (701) 123-45-67", None, "+77011234567"),
    (IdentifierKind.PHONE, "+7 701 123 4567", None, "+77011234567"),
    (IdentifierKind.ACCOUNT, "https://t.me/Fake_Shop_KZ", None, "telegram:fake_shop_kz"),
    (IdentifierKind.ACCOUNT, "@FAKE_shop_kz", "telegram", "telegram:fake_shop_kz"),
    (IdentifierKind.ACCOUNT, "telegram:fake_shop_kz", None, "telegram:fake_shop_kz"),
    (IdentifierKind.IP, "2a00:1450:4001:081c:0000:0000:0000:200e", None, "2a00:1450:4001:81c::200e"),
    (IdentifierKind.WALLET, "0x52908400098527886E0F7030069857D2E4169EE7", None,
     "0x52908400098527886e0f7030069857d2e4169ee7"),
])
def test_a_key_is_the_canonical_form_whatever_was_typed(kind, typed, platform, key):
    assert networks.normalize_key(kind, typed, platform) == (kind, key)


def test_an_ip_address_needs_no_time_to_name_its_key_but_must_be_an_address():
    assert networks.normalize_key(IdentifierKind.IP, "93.184.216.34") == (IdentifierKind.IP, "93.184.216.34")
    with pytest.raises(IdentifierError):
        networks.normalize_key(IdentifierKind.IP, "10.0.0.1")


def test_a_link_is_stored_in_one_order_and_never_to_itself():
    phone, account = (PHONE, "+77011234567"), (TELEGRAM, "telegram:fake")
    assert networks.ordered_pair(phone, account) == networks.ordered_pair(account, phone) == (account, phone)
    with pytest.raises(networks.NetworkProblem):
        networks.ordered_pair(phone, phone)


def test_components_join_cases_through_shared_keys_and_links_and_leave_lone_cases_out():
    phone, account, wallet, other = (PHONE, "+1"), (TELEGRAM, "telegram:a"), (IdentifierKind.WALLET, "w"), (PHONE, "+2")
    memberships = [(1, phone), (2, phone), (2, account), (3, account), (4, wallet), (5, other), (6, (PHONE, "+3"))]
    assert networks.components(memberships) == {1: 1, 2: 1, 3: 1}
    # Marked as the same person: the wallet's case and the other phone's case join the first network.
    linked = networks.components(memberships, [(wallet, phone), (other, wallet)])
    assert linked == {1: 1, 2: 1, 3: 1, 4: 1, 5: 1}


def test_an_address_seen_within_a_day_of_another_sighting_is_one_session_and_a_gap_starts_another():
    hour = timedelta(hours=1)
    times = [NOON, NOON + 20 * hour, NOON + 40 * hour, NOON + 30 * 24 * hour, None]
    sessions = networks.ip_sessions("93.184.216.34", times)
    first = sessions[NOON]
    assert sessions[NOON + 20 * hour] == sessions[NOON + 40 * hour] == first  # chained, although 40 h apart
    assert (first.start, first.end) == (NOON, NOON + 40 * hour)
    assert sessions[NOON + 30 * 24 * hour] != first and sessions[None] not in (first, sessions[NOON + 30 * 24 * hour])
    # Every session reads as the address's key (pages, links, look-ups) and is a key of its own in a walk.
    assert tuple(first) == (IP, "93.184.216.34") and networks.address_key(first) == (IP, "93.184.216.34")
    assert first != (IP, "93.184.216.34") and len({first, (IP, "93.184.216.34")}) == 2


def test_components_join_cases_through_one_session_of_an_address_and_a_link_joins_every_session():
    early, late = networks.IpSession("93.184.216.34", NOON), networks.IpSession("93.184.216.34", NOON + timedelta(30))
    memberships = [(1, early), (2, early), (3, late), (4, late), (5, (PHONE, "+1"))]
    assert networks.components(memberships) == {1: 1, 2: 1, 3: 3, 4: 3}
    linked = networks.components(memberships, [((IP, "93.184.216.34"), (PHONE, "+1"))])
    assert linked == dict.fromkeys(range(1, 6), 1)


# --- stored networks --------------------------------------------------------------------------------------

def _identify(request, kind, normalized, observed_at=None):
    request.identifiers.append(Identifier(kind=kind, value=normalized, normalized=normalized,
                                          observed_at=observed_at, observed_zone="UTC" if observed_at else None))
    db.session.flush()


def _stored() -> dict[int, int]:
    return dict(db.session.execute(select(CaseNetwork.case_id, CaseNetwork.network_id)).all())


def _recounted() -> tuple[dict[int, int], list]:
    networks.refresh_pending(db.session)  # what a commit does first
    before = (_stored(), sorted(db.session.execute(select(Network.id, Network.case_count, Network.request_count,
                                                          Network.identifier_count)).all()))
    networks.rebuild(db.session.connection())
    after = (_stored(), sorted(db.session.execute(select(Network.id, Network.case_count, Network.request_count,
                                                         Network.identifier_count)).all()))
    assert before == after, "the networks kept by the listener differ from a recount"
    return after


def test_the_stored_networks_follow_every_change_and_equal_a_recount(app):
    partner = make_partner(db.session)
    cases = [make_case(db.session) for _ in range(4)]
    first, second, third, fourth = (make_request(db.session, partner=partner, case=case) for case in cases)
    _identify(first, PHONE, "+77011234567")
    assert _recounted()[0] == {}
    _identify(second, PHONE, "+77011234567")
    _identify(third, TELEGRAM, "telegram:fake")
    _identify(second, TELEGRAM, "telegram:fake")
    stored, counts = _recounted()
    assert stored == {cases[0].id: cases[0].id, cases[1].id: cases[0].id, cases[2].id: cases[0].id}
    assert counts == [(cases[0].id, 3, 3, 2)]

    # The bridge goes: the network falls apart into the phone's pair; the third case is alone again.
    db.session.delete(second.identifiers[1])
    db.session.flush()
    assert _recounted()[0] == {cases[0].id: cases[0].id, cases[1].id: cases[0].id}

    # A request moved to another case takes its identifiers along.
    second.case = cases[3]
    db.session.flush()
    assert _recounted()[0] == {cases[0].id: cases[0].id, cases[3].id: cases[0].id}

    # An officer marks the Telegram account as the phone's owner: the third case joins.
    officer = make_user(db.session, "officer", Role.OFFICER)
    link = networks.add_link(db.session, officer, (PHONE, "+77011234567"), (TELEGRAM, "telegram:fake"), "Один номер",
                             first.created_at)
    assert set(_recounted()[0]) == {cases[0].id, cases[2].id, cases[3].id}
    networks.remove_link(db.session, officer, link.id)
    assert set(_recounted()[0]) == {cases[0].id, cases[3].id}
    del fourth


def test_a_link_needs_a_reason_two_visible_identifiers_and_is_made_once(app):
    officer = make_user(db.session, "officer", Role.OFFICER)
    insider = make_user(db.session, "insider", Role.OFFICER)
    shown = make_request(db.session)
    hidden = make_request(db.session, restricted=True, officers=[insider])
    _identify(shown, PHONE, "+77011234567")
    _identify(hidden, TELEGRAM, "telegram:secret")
    phone, secret = (PHONE, "+77011234567"), (TELEGRAM, "telegram:secret")
    with pytest.raises(networks.NetworkProblem, match="reason_required"):
        networks.add_link(db.session, officer, phone, (TELEGRAM, "telegram:x"), "  ", shown.created_at)
    # Unknown and restricted read the same: the officer learns nothing of the restricted request.
    for other in ((TELEGRAM, "telegram:nobody"), secret):
        with pytest.raises(networks.NetworkProblem, match="unknown_identifier"):
            networks.add_link(db.session, officer, phone, other, "Причина", shown.created_at)
    networks.add_link(db.session, insider, phone, secret, "Один человек", shown.created_at)
    with pytest.raises(networks.NetworkProblem, match="already_linked"):
        networks.add_link(db.session, insider, secret, phone, "Ещё раз", shown.created_at)
    # The officer does not see the link to the restricted request's account, nor may remove it.
    assert networks.visible_links(db.session, officer, phone) == []
    assert len(networks.visible_links(db.session, insider, phone)) == 1
    link_id = networks.visible_links(db.session, insider, phone)[0].id
    assert networks.remove_link(db.session, officer, link_id) is None


def test_what_an_officer_sees_of_a_network_leaves_restricted_requests_out(app):
    officer = make_user(db.session, "officer", Role.OFFICER)
    head = make_user(db.session, "head", Role.HEAD)
    partner = make_partner(db.session)
    open_case, secret_case, far_case = (make_case(db.session) for _ in range(3))
    opened = make_request(db.session, partner=partner, case=open_case)
    bridge = make_request(db.session, partner=partner, case=secret_case, restricted=True)
    far = make_request(db.session, partner=partner, case=far_case)
    _identify(opened, PHONE, "+77011234567")
    _identify(bridge, PHONE, "+77011234567")
    _identify(bridge, TELEGRAM, "telegram:secret")
    _identify(far, TELEGRAM, "telegram:secret")
    assert set(networks.case_network(db.session, head, open_case.id).cases) == {open_case.id, secret_case.id,
                                                                                far_case.id}
    seen = networks.case_network(db.session, officer, open_case.id)
    assert set(seen.cases) == {open_case.id} and seen.shared_keys == {}
    page = networks.identifier_page(db.session, officer, (PHONE, "+77011234567"))
    assert [item.request_id for item in page.appearances] == [opened.id] and page.hidden == 1
    account = networks.identifier_page(db.session, officer, (TELEGRAM, "telegram:secret"))
    assert [item.request_id for item in account.appearances] == [far.id] and account.hidden == 1
    assert set(networks.case_network(db.session, officer, far_case.id).cases) == {far_case.id}
    assert networks.identifier_page(db.session, officer, (TELEGRAM, "telegram:nobody")) is None
    assert {item.request_id for item in networks.identifier_page(db.session, head, (TELEGRAM, "telegram:secret"))
            .appearances} == {bridge.id, far.id}


def test_an_ip_address_connects_cases_only_within_its_session_and_follows_changed_times(app):
    head = make_user(db.session, "head", Role.HEAD)
    partner = make_partner(db.session)
    cases = [make_case(db.session) for _ in range(3)]
    first, second, third = (make_request(db.session, partner=partner, case=case) for case in cases)
    address = "93.184.216.34"
    _identify(first, IP, address, NOON)
    _identify(second, IP, address, NOON + timedelta(hours=6))
    _identify(third, IP, address, NOON + timedelta(days=90))  # the operator gave the address to someone else
    assert _recounted()[0] == {cases[0].id: cases[0].id, cases[1].id: cases[0].id}
    view = networks.case_network(db.session, head, cases[0].id)
    assert set(view.cases) == {cases[0].id, cases[1].id}
    [session] = view.shared_keys
    assert (session.start, session.end) == (NOON, NOON + timedelta(hours=6))
    assert set(networks.case_network(db.session, head, cases[2].id).cases) == {cases[2].id}
    page = networks.identifier_page(db.session, head, (IP, address))
    assert [(found.start, count) for found, count in page.sessions()] == [(NOON + timedelta(days=90), 1), (NOON, 2)]

    # A corrected time moves a sighting into the other session, and the networks follow.
    third.identifiers[0].observed_at = NOON + timedelta(hours=30)
    db.session.flush()
    assert set(_recounted()[0]) == {case.id for case in cases}
    second.identifiers[0].observed_at = NOON + timedelta(days=60)
    db.session.flush()
    assert _recounted()[0] == {}
