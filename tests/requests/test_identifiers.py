"""Identifiers: what is accepted, its canonical form, each refusal's code, and finding it in other requests."""

import binascii
import ipaddress
from datetime import UTC, datetime

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from coop.domain.identifiers import (
    IdentifierError,
    describe,
    matches_for_identifiers,
    other_requests_with_identifier,
    parse_identifier,
)
from coop.domain.requests import add_identifier
from coop.extensions import db
from coop.models import IdentifierKind
from tests.requests.conftest import NOW

K = IdentifierKind
ALMATY_NOON = datetime(2026, 3, 1, 12, 0, 5)


def _ton_variant(address: str, flags: int) -> str:
    """The same TON account written with other flags (bounceable "EQ..." / non-bounceable "UQ...")."""
    data = bytearray(binascii.a2b_base64(address.replace("-", "+").replace("_", "/")))
    data[0] = flags
    data[34:] = binascii.crc_hqx(bytes(data[:34]), 0).to_bytes(2, "big")
    return binascii.b2a_base64(bytes(data), newline=False).decode().replace("+", "-").replace("/", "_")


TON_BOUNCEABLE = "EQDtFpEwcFAEcRe5mLVh2N6C0x-_hJEM7W61_JLnSF74p4q2"
TON_RAW = "0:ed1691307050047117b998b561d8de82d31fbf84910ced6eb5fc92e7485ef8a7"


@pytest.mark.parametrize("kind, value, platform, normalized, found_platform", [
    (K.ACCOUNT, "https://www.instagram.com/Fake.Shop_KZ/", None, "instagram:fake.shop_kz", "instagram"),
    (K.ACCOUNT, "instagram.com/stories/fake.shop_kz/3141", None, "instagram:fake.shop_kz", "instagram"),
    (K.ACCOUNT, "@Fake_Shop_KZ", "telegram", "telegram:fake_shop_kz", "telegram"),
    (K.ACCOUNT, "t.me/s/fake_shop_kz", None, "telegram:fake_shop_kz", "telegram"),
    (K.ACCOUNT, "https://t.me/fake_shop_kz/42", None, "telegram:fake_shop_kz", "telegram"),
    (K.ACCOUNT, "https://t.me/+AbCdEfGhIjK", None, "telegram:+AbCdEfGhIjK", "telegram"),
    (K.ACCOUNT, "https://t.me/joinchat/AbCdEfGhIjK", None, "telegram:+AbCdEfGhIjK", "telegram"),
    (K.ACCOUNT, "https://wa.me/77011234567", None, "whatsapp:+77011234567", "whatsapp"),
    (K.ACCOUNT, "8 701 123 45 67", "whatsapp", "whatsapp:+77011234567", "whatsapp"),
    (K.ACCOUNT, "https://api.whatsapp.com/send?phone=77011234567", None, "whatsapp:+77011234567", "whatsapp"),
    (K.ACCOUNT, "https://www.facebook.com/profile.php?id=100012345678", None, "facebook:100012345678", "facebook"),
    (K.ACCOUNT, "https://m.facebook.com/john.smith", "facebook", "facebook:john.smith", "facebook"),
    (K.ACCOUNT, "https://www.facebook.com/groups/kzscam/", None, "facebook:groups/kzscam", "facebook"),
    (K.ACCOUNT, "https://www.tiktok.com/@scam.kz/video/7312", None, "tiktok:scam.kz", "tiktok"),
    (K.ACCOUNT, "https://twitter.com/SomeOne/status/1", None, "x:someone", "x"),
    (K.ACCOUNT, "x.com/someone", None, "x:someone", "x"),
    (K.ACCOUNT, "https://vk.com/id12345", None, "vk:id12345", "vk"),
    (K.ACCOUNT, "https://example.org/Users/Bob/", None, "other:example.org/users/bob", "other"),
    (K.PHONE, "8 (701) 123-45-67", None, "+77011234567", None),
    (K.PHONE, "+7 701 123 4567", None, "+77011234567", None),
    (K.PHONE, "+1 (415) 555-2671", None, "+14155552671", None),
    (K.EMAIL, "Ivan.Petrov@Mail.RU", None, "ivan.petrov@mail.ru", None),
    (K.DOMAIN, "https://Пример.рф/pay", None, "xn--e1afmkfd.xn--p1ai", None),
    (K.DOMAIN, "Scam-Shop.KZ.", None, "scam-shop.kz", None),
    (K.WALLET, "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", None, "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "bitcoin"),
    (K.WALLET, "BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ", None, "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
     "bitcoin"),
    (K.WALLET, "bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297", None,
     "bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297", "bitcoin"),
    (K.WALLET, "0x52908400098527886E0F7030069857D2E4169EE7", "ethereum",
     "0x52908400098527886e0f7030069857d2e4169ee7", "ethereum"),
    (K.WALLET, "TNPeeaaFB7K9cmo4uQpcU32zGK8G1NYqeL", None, "TNPeeaaFB7K9cmo4uQpcU32zGK8G1NYqeL", "tron"),
    (K.WALLET, TON_BOUNCEABLE, None, TON_RAW, "ton"),
    (K.WALLET, _ton_variant(TON_BOUNCEABLE, 0x51), None, TON_RAW, "ton"),  # the "UQ..." form: the same account
    (K.WALLET, "LZ1abcdefghijk123456789", "other", "LZ1abcdefghijk123456789", "other"),
    (K.TRANSACTION, "0x" + "Ab" * 32, None, "0x" + "ab" * 32, "ethereum"),
    (K.TRANSACTION, "AB" * 32, "tron", "ab" * 32, "tron"),
    (K.TRANSACTION, "KASPI-2026-000123", None, "kaspi-2026-000123", "other"),
])
def test_an_identifier_is_normalised(kind, value, platform, normalized, found_platform):
    parsed = parse_identifier(kind, value, platform=platform)
    assert (parsed.normalized, parsed.platform) == (normalized, found_platform)
    assert parsed.value == value.strip() and parsed.observed_at is None


@pytest.mark.parametrize("kind, value, platform, code, field", [
    (K.PHONE, "", None, "required", "value"),
    (K.PHONE, "x" * 501, None, "too_long", "value"),
    (K.PHONE, "12345", None, "invalid_phone", "value"),
    (K.PHONE, "+7 999", None, "invalid_phone", "value"),
    (K.PHONE, "call me", None, "invalid_phone", "value"),
    (K.EMAIL, "ivan@", None, "invalid_email", "value"),
    (K.EMAIL, "ivan.mail.ru", None, "invalid_email", "value"),
    (K.ACCOUNT, "@fake_shop", None, "platform_required", "platform"),
    (K.ACCOUNT, "@fake_shop", "myspace", "unknown_platform", "platform"),
    (K.ACCOUNT, "https://t.me/fake_shop", "instagram", "platform_mismatch", "platform"),
    (K.ACCOUNT, "https://instagram.com/p/C0de123/", None, "not_a_profile", "value"),
    (K.ACCOUNT, "https://t.me/c/123456/7", None, "not_a_profile", "value"),
    (K.ACCOUNT, "https://x.com/i/flow/login", None, "not_a_profile", "value"),
    (K.ACCOUNT, "https://instagram.com/", None, "not_a_profile", "value"),
    (K.ACCOUNT, "https://vm.tiktok.com/ZMabc/", None, "short_link", "value"),
    (K.ACCOUNT, "ftp://instagram.com/fake", None, "unrecognised_link", "value"),
    (K.ACCOUNT, "@bad handle!", "instagram", "invalid_handle", "value"),
    (K.ACCOUNT, "@ab", "telegram", "invalid_handle", "value"),
    (K.ACCOUNT, "https://wa.me/abc", None, "not_a_profile", "value"),
    (K.WALLET, "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3", None, "wallet_checksum", "value"),
    (K.WALLET, "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdx", None, "wallet_checksum", "value"),
    (K.WALLET, "UQDtFpEwcFAEcRe5mLVh2N6C0x-_hJEM7W61_JLnSF74p4q2", None, "wallet_checksum", "value"),
    (K.WALLET, "hello", None, "invalid_wallet", "value"),
    (K.WALLET, "0x52908400098527886E0F7030069857D2E4169EE7", "tron", "network_mismatch", "platform"),
    (K.WALLET, "0x123", "dogecoin", "unknown_network", "platform"),
    (K.TRANSACTION, "0x1234", "ethereum", "invalid_transaction", "value"),
    (K.TRANSACTION, "x", None, "invalid_transaction", "value"),
    (K.TRANSACTION, "0x" + "ab" * 32, "bitcoin", "network_mismatch", "platform"),
    (K.DOMAIN, "localhost", None, "invalid_domain", "value"),
    (K.DOMAIN, "bad_domain.kz", None, "invalid_domain", "value"),
    (K.IP, "999.1.1.1", None, "invalid_ip", "value"),
    (K.IP, "8.8.8.8:0", None, "invalid_port", "value"),
    (K.IP, "192.168.1.10", None, "ip_not_public", "value"),
    (K.IP, "100.64.0.1", None, "ip_not_public", "value"),  # carrier-grade NAT: never what a provider sees
    (K.IP, "::1", None, "ip_not_public", "value"),
])
def test_a_bad_identifier_is_refused_with_its_code(kind, value, platform, code, field):
    with pytest.raises(IdentifierError) as refusal:
        parse_identifier(kind, value, platform=platform, observed_at=ALMATY_NOON, zone="Asia/Almaty")
    assert (refusal.value.code, refusal.value.field) == (code, field)


def test_an_ip_address_keeps_its_exact_time_in_utc_and_the_zone_it_was_given_in():
    parsed = parse_identifier(K.IP, " 185.48.176.9:51234 ", observed_at=ALMATY_NOON, zone="Asia/Almaty", now=NOW)
    assert parsed.normalized == "185.48.176.9"
    assert parsed.observed_at == datetime(2026, 3, 1, 7, 0, 5, tzinfo=UTC)
    assert parsed.observed_zone == "Asia/Almaty"
    assert describe(parsed) == "185.48.176.9 · 2026-03-01 07:00:05 UTC (Asia/Almaty)"


@pytest.mark.parametrize("observed_at, zone, code, field", [
    (None, "Asia/Almaty", "time_required", "observed_at"),
    (ALMATY_NOON, "", "zone_required", "zone"),
    (ALMATY_NOON, "Mars/Olympus", "unknown_zone", "zone"),
    (ALMATY_NOON, "../../etc/passwd", "unknown_zone", "zone"),
    (datetime(2025, 10, 26, 2, 30), "Europe/Berlin", "ambiguous_time", "observed_at"),
    (datetime(2025, 3, 30, 2, 30), "Europe/Berlin", "nonexistent_time", "observed_at"),
    (datetime(2026, 3, 11, 9, 0), "UTC", "time_in_future", "observed_at"),
])
def test_an_ip_address_without_a_usable_time_is_refused(observed_at, zone, code, field):
    with pytest.raises(IdentifierError) as refusal:
        parse_identifier(K.IP, "8.8.8.8", observed_at=observed_at, zone=zone, now=NOW)
    assert (refusal.value.code, refusal.value.field) == (code, field)


def test_other_identifiers_may_carry_a_time_too():
    parsed = parse_identifier(K.PHONE, "+77011234567", observed_at=ALMATY_NOON, zone="UTC")
    assert parsed.observed_at == datetime(2026, 3, 1, 12, 0, 5, tzinfo=UTC) and parsed.observed_zone == "UTC"


# --- properties -----------------------------------------------------------------------------------------

KAZAKH_MOBILE_CODES = ["700", "701", "702", "705", "707", "708", "747", "771", "775", "776", "777", "778"]


@given(code=st.sampled_from(KAZAKH_MOBILE_CODES), subscriber=st.integers(0, 9_999_999),
       style=st.sampled_from(["+7 {c} {a} {b} {d}", "8 ({c}) {a}-{b}-{d}", "8{c}{a}{b}{d}", "+7-{c}-{a}-{b}{d}",
                              "  +7 ({c}) {a} {b} {d} "]))
def test_every_way_of_writing_a_kazakh_mobile_number_gives_the_same_e164(code, subscriber, style):
    digits = f"{subscriber:07d}"
    written = style.format(c=code, a=digits[:3], b=digits[3:5], d=digits[5:])
    assert parse_identifier(K.PHONE, written).normalized == f"+7{code}{digits}"


def _global(address) -> bool:
    return address.is_global and not (isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped)


@given(st.ip_addresses(v=4).filter(_global), st.booleans())
def test_a_public_ipv4_address_is_stored_in_its_standard_form(address, with_port):
    written = f"{address}:443" if with_port else f" {address} "
    parsed = parse_identifier(K.IP, written, observed_at=ALMATY_NOON, zone="UTC")
    assert parsed.normalized == str(address)
    mapped = parse_identifier(K.IP, f"::ffff:{address}", observed_at=ALMATY_NOON, zone="UTC")
    assert mapped.normalized == str(address)


@given(st.ip_addresses(v=6).filter(_global), st.sampled_from(["exploded", "upper", "bracketed"]))
def test_an_ipv6_address_written_any_way_is_stored_compressed_in_lower_case(address, style):
    written = {"exploded": address.exploded, "upper": str(address).upper(), "bracketed": f"[{address}]:8443"}[style]
    parsed = parse_identifier(K.IP, written, observed_at=ALMATY_NOON, zone="UTC")
    assert parsed.normalized == address.compressed


@given(st.ip_addresses().filter(lambda address: not address.is_global))
def test_a_non_public_address_is_always_refused(address):
    assume(not (isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped
                and address.ipv4_mapped.is_global))
    with pytest.raises(IdentifierError) as refusal:
        parse_identifier(K.IP, str(address), observed_at=ALMATY_NOON, zone="UTC")
    assert refusal.value.code == "ip_not_public"


@given(kind=st.sampled_from(list(K)), value=st.text(max_size=80), platform=st.sampled_from([None, "instagram",
                                                                                            "telegram", "other"]))
def test_any_input_is_either_accepted_or_refused_with_a_known_code(kind, value, platform):
    from coop.requests.forms import IDENTIFIER_ERRORS

    try:
        parsed = parse_identifier(kind, value, platform=platform, observed_at=ALMATY_NOON, zone="UTC")
    except IdentifierError as refusal:
        assert refusal.code in IDENTIFIER_ERRORS
    else:
        assert parsed.normalized and len(parsed.normalized) <= 500


@given(st.integers(0, 23), st.integers(0, 59), st.integers(0, 59),
       st.sampled_from(["Asia/Almaty", "Europe/Moscow", "America/New_York", "UTC", "Asia/Kolkata"]))
def test_the_stored_utc_time_shows_the_entered_time_again_in_its_zone(hour, minute, second, zone):
    from zoneinfo import ZoneInfo

    entered = datetime(2026, 6, 15, hour, minute, second)
    parsed = parse_identifier(K.IP, "8.8.8.8", observed_at=entered, zone=zone)
    assert parsed.observed_at.tzinfo == UTC
    assert parsed.observed_at.astimezone(ZoneInfo(zone)).replace(tzinfo=None) == entered


# --- the same identifier in other requests --------------------------------------------------------------

def test_other_requests_naming_an_identifier_are_found_and_restricted_ones_only_counted(dept):
    phone = parse_identifier(K.PHONE, "+77011234567")
    mine = dept.new_request()
    open_one = dept.new_request(title="Open one")
    secret = dept.new_request(actor=dept.colleague, title="Secret", restricted=True)
    for request, actor in ((mine, dept.officer), (open_one, dept.officer), (secret, dept.colleague)):
        add_identifier(db.session, request, actor, phone, NOW)
    db.session.commit()

    seen_by_officer = other_requests_with_identifier(db.session, dept.officer, K.PHONE, "+77011234567", mine.id)
    assert seen_by_officer.requests == [open_one] and seen_by_officer.hidden == 1
    seen_by_head = other_requests_with_identifier(db.session, dept.head, K.PHONE, "+77011234567", mine.id)
    assert set(seen_by_head.requests) == {open_one, secret} and seen_by_head.hidden == 0
    nothing = other_requests_with_identifier(db.session, dept.officer, K.EMAIL, "+77011234567", mine.id)
    assert not nothing


def test_matches_for_many_identifiers_take_two_queries(dept, count_queries):
    keys = []
    for number in range(5):
        request = dept.new_request(title=f"R{number}")
        parsed = parse_identifier(K.EMAIL, f"user{number}@mail.ru")
        add_identifier(db.session, request, dept.officer, parsed, NOW)
        add_identifier(db.session, dept.new_request(title=f"Other {number}"), dept.officer, parsed, NOW)
        keys.append((K.EMAIL, parsed.normalized))
    db.session.commit()
    assert dept.officer.role  # loaded before counting
    with count_queries() as counter:
        found = matches_for_identifiers(db.session, dept.officer, keys)
    assert counter.count == 2
    assert all(len(found[key].requests) == 2 for key in keys)
