"""Identifiers named in requests: reading what an officer typed, checking it, and its canonical form.

The canonical form (`normalized`) is what finds the same account, number or address in other requests:
a phone number in E.164, an e-mail in lower case, an account as "platform:handle", an IP address in its
standard notation. An IP address is useless to a provider without the exact time, so it must come with a
time and the IANA zone it was read in; the time is stored in UTC and the zone is kept beside it.
"""

import binascii
import hashlib
import ipaddress
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import idna
import phonenumbers
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import ColumnElement, and_, distinct, func, select, true
from sqlalchemy.orm import Session

from coop.domain.access import visible_requests
from coop.models import CooperationRequest, Identifier, IdentifierKind, User

MAX_LENGTH = 500
# A time a few minutes ahead is a clock difference, not a typing error.
FUTURE_TOLERANCE = timedelta(minutes=10)

ACCOUNT_PLATFORMS = ("instagram", "facebook", "telegram", "whatsapp", "tiktok", "x", "vk", "other")
CRYPTO_NETWORKS = ("bitcoin", "ethereum", "tron", "ton", "other")

# Host names (without "www.", "m." ...) of each platform's links.
PLATFORM_HOSTS = {
    "instagram.com": "instagram", "instagr.am": "instagram",
    "facebook.com": "facebook", "fb.com": "facebook", "fb.me": "facebook",
    "t.me": "telegram", "telegram.me": "telegram", "telegram.dog": "telegram",
    "wa.me": "whatsapp", "whatsapp.com": "whatsapp", "api.whatsapp.com": "whatsapp",
    "tiktok.com": "tiktok",
    "x.com": "x", "twitter.com": "x",
    "vk.com": "vk", "vk.ru": "vk", "vkontakte.ru": "vk",
}
SHORT_LINK_HOSTS = frozenset({"vm.tiktok.com", "vt.tiktok.com", "t.co", "fb.watch", "vk.cc"})
HOST_PREFIXES = ("www.", "m.", "mobile.", "web.")

# What a handle (or numeric id) may look like on each platform.
HANDLE_PATTERNS = {
    "instagram": re.compile(r"[a-z0-9._]{1,30}"),
    "facebook": re.compile(r"[a-z0-9.]{1,50}|groups/[a-z0-9._-]{1,100}"),
    "telegram": re.compile(r"[a-z][a-z0-9_]{3,31}|\d{5,15}"),
    "tiktok": re.compile(r"[a-z0-9._]{2,24}|\d{5,25}"),
    "x": re.compile(r"[a-z0-9_]{1,15}|\d{5,25}"),
    "vk": re.compile(r"[a-z0-9._]{2,32}"),
    "other": re.compile(r"[^\s]{1,200}"),
}
# First path segments that are pages of the platform, not accounts.
NOT_PROFILES = {
    "instagram": {"p", "reel", "reels", "tv", "explore", "accounts", "direct"},
    "facebook": {"sharer", "sharer.php", "share", "watch", "photo", "photo.php", "story.php", "permalink.php",
                 "events", "login", "home.php", "marketplace", "search", "hashtag"},
    "telegram": {"c", "addstickers", "share", "proxy", "socks", "iv"},
    "tiktok": {"tag", "music", "discover", "search", "foryou"},
    "x": {"i", "home", "search", "intent", "share", "hashtag", "explore", "settings", "messages"},
    "vk": {"feed", "im", "search", "wall", "photo", "video", "away.php"},
}

BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
HEX_64 = re.compile(r"[0-9a-fA-F]{64}")
OTHER_TRANSACTION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/#-]{3,127}")
OTHER_WALLET = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")
DOMAIN_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")


class IdentifierError(Exception):
    """An identifier that cannot be used; `code` names the problem, for a message in the user's language."""

    def __init__(self, code: str, field: str = "value"):
        super().__init__(code)
        self.code = code
        self.field = field  # which input is wrong: value, platform, observed_at, zone


@dataclass(frozen=True)
class ParsedIdentifier:
    """An identifier ready to be stored: as entered, canonical, and (for an IP address) when, in UTC."""

    kind: IdentifierKind
    value: str
    normalized: str
    platform: str | None = None
    observed_at: datetime | None = None
    observed_zone: str | None = None


def parse_identifier(kind: IdentifierKind, value: str, *, platform: str | None = None,
                     observed_at: datetime | None = None, zone: str | None = None,
                     now: datetime | None = None, default_region: str = "KZ") -> ParsedIdentifier:
    """Check and normalise what was entered; raise IdentifierError with a `code` when it is not usable.

    `observed_at` is the wall-clock time in `zone` (naive); it is required for an IP address, optional
    for the others. `now` (aware) lets a time in the future be refused.
    """
    value = " ".join((value or "").split())
    if not value:
        raise IdentifierError("required")
    if len(value) > MAX_LENGTH:
        raise IdentifierError("too_long")
    platform = (platform or "").strip().lower() or None
    when, zone_name = _observed_time(kind, observed_at, zone, now)
    parser = PARSERS[kind]
    normalized, platform = parser(value, platform, default_region)
    return ParsedIdentifier(kind, value, normalized, platform, when, zone_name)


def _observed_time(kind: IdentifierKind, observed_at: datetime | None, zone: str | None,
                   now: datetime | None) -> tuple[datetime | None, str | None]:
    zone = (zone or "").strip()
    if observed_at is None:
        if kind == IdentifierKind.IP:
            raise IdentifierError("time_required", "observed_at")
        return None, None
    if not zone:
        raise IdentifierError("zone_required", "zone")
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise IdentifierError("unknown_zone", "zone") from None
    local = observed_at.replace(tzinfo=None)
    first, second = local.replace(tzinfo=tz, fold=0), local.replace(tzinfo=tz, fold=1)
    if first.utcoffset() != second.utcoffset():
        # The wall clock jumped: either this time happened twice (autumn) or never (spring).
        round_trip = first.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
        raise IdentifierError("nonexistent_time" if round_trip != local else "ambiguous_time", "observed_at")
    moment = first.astimezone(UTC)
    if now is not None and moment > now + FUTURE_TOLERANCE:
        raise IdentifierError("time_in_future", "observed_at")
    return moment, zone


# --- each kind ---------------------------------------------------------------------------------------------

def _phone(value: str, _platform: str | None, default_region: str) -> tuple[str, str | None]:
    return _e164(value, default_region), None


def _e164(value: str, default_region: str) -> str:
    try:
        number = phonenumbers.parse(value, default_region)
    except phonenumbers.NumberParseException:
        raise IdentifierError("invalid_phone") from None
    if not phonenumbers.is_valid_number(number):
        raise IdentifierError("invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _email(value: str, _platform: str | None, _region: str) -> tuple[str, str | None]:
    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        raise IdentifierError("invalid_email") from None
    # Providers treat addresses case-insensitively; so do we when looking for the same one.
    return checked.normalized.lower(), None


def _ip(value: str, _platform: str | None, _region: str) -> tuple[str, str | None]:
    host, port = value, None
    if bracketed := re.fullmatch(r"\[([^\]]+)\](?::(\d+))?", value):
        host, port = bracketed.group(1), bracketed.group(2)
    elif value.count(":") == 1:  # IPv4 with a port (carrier-grade NAT needs it)
        host, port = value.split(":")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise IdentifierError("invalid_ip") from None
    if port is not None and not (port.isdigit() and 0 < int(port) < 65536):
        raise IdentifierError("invalid_port")
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if not address.is_global:
        raise IdentifierError("ip_not_public")
    return str(address), None


def _domain(value: str, _platform: str | None, _region: str) -> tuple[str, str | None]:
    host = value
    if "://" in value or "/" in value:
        host = urlsplit(value if "://" in value else f"http://{value}").hostname or ""
    host = host.rstrip(".")
    try:
        ascii_host = idna.encode(host, uts46=True).decode("ascii").lower()
    except (idna.IDNAError, UnicodeError):
        raise IdentifierError("invalid_domain") from None
    labels = ascii_host.split(".")
    if len(labels) < 2 or not all(DOMAIN_LABEL.fullmatch(label) for label in labels) or labels[-1].isdigit():
        raise IdentifierError("invalid_domain")
    return ascii_host, None


def _account(value: str, platform: str | None, default_region: str) -> tuple[str, str | None]:
    if platform is not None and platform not in ACCOUNT_PLATFORMS:
        raise IdentifierError("unknown_platform", "platform")
    if _looks_like_link(value):
        found, handle = _account_from_link(value)
        if platform not in (None, "other") and found != platform:
            raise IdentifierError("platform_mismatch", "platform")
        platform = found
    else:
        if platform is None:
            raise IdentifierError("platform_required", "platform")
        handle = value.removeprefix("@")
    if platform == "whatsapp":
        return f"whatsapp:{_e164(handle, default_region)}", platform
    if handle.startswith("+") and platform == "telegram":  # a private invitation: its code is case-sensitive
        if not re.fullmatch(r"\+[A-Za-z0-9_-]{8,64}", handle):
            raise IdentifierError("invalid_handle")
        return f"telegram:{handle}", platform
    handle = handle.lower()
    if not HANDLE_PATTERNS[platform].fullmatch(handle):
        raise IdentifierError("invalid_handle")
    return f"{platform}:{handle}", platform


def _looks_like_link(value: str) -> bool:
    if "://" in value:
        return True
    first = value.split("/", 1)[0].lower()
    return "/" in value and "." in first and not first.startswith("@")


def _account_from_link(value: str) -> tuple[str, str]:
    """The platform and handle a profile link points to ("other" and host/path for an unknown site)."""
    parts = urlsplit(value if "://" in value else f"https://{value}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise IdentifierError("unrecognised_link")
    host = parts.hostname.lower()
    if host in SHORT_LINK_HOSTS:
        raise IdentifierError("short_link")
    for prefix in HOST_PREFIXES:
        if host.removeprefix(prefix) in PLATFORM_HOSTS:
            host = host.removeprefix(prefix)
            break
    platform = PLATFORM_HOSTS.get(host)
    segments = [segment for segment in parts.path.split("/") if segment]
    if platform is None:
        if not segments:
            raise IdentifierError("not_a_profile")
        return "other", f"{host}/{'/'.join(segments)}"
    handle = _profile_handle(platform, segments, parse_qs(parts.query))
    if handle is None:
        raise IdentifierError("not_a_profile")
    return platform, handle


def _profile_handle(platform: str, segments: list[str], query: dict[str, list[str]]) -> str | None:
    if platform == "whatsapp":  # wa.me/<number> or api.whatsapp.com/send?phone=<number>, always international
        number = (query.get("phone") or [None])[0] if not segments or segments[0] == "send" else segments[0]
        return f"+{number.lstrip('+')}" if number and number.lstrip("+").isdigit() else None
    if platform == "facebook" and segments[:1] == ["profile.php"]:
        return (query.get("id") or [None])[0]
    if not segments:
        return None
    first = segments[0]
    if platform == "facebook":
        if first == "people" and len(segments) >= 3:
            return segments[2]
        if first == "groups" and len(segments) >= 2:
            return f"groups/{segments[1]}"
    if platform == "instagram" and first == "stories" and len(segments) >= 2:
        return segments[1]
    if platform == "telegram":
        if first == "s" and len(segments) >= 2:
            return segments[1]
        if first == "joinchat" and len(segments) >= 2:
            return f"+{segments[1]}"
    if platform == "tiktok":
        return first[1:] if first.startswith("@") else None
    if platform == "vk" and (first.startswith("wall") or first.startswith("photo")):
        return None
    if first.lower() in NOT_PROFILES.get(platform, set()):
        return None
    return first


def _wallet(value: str, platform: str | None, _region: str) -> tuple[str, str | None]:
    if platform is not None and platform not in CRYPTO_NETWORKS:
        raise IdentifierError("unknown_network", "platform")
    value = value.replace(" ", "")
    if platform == "other":  # a network coop does not know: only the shape is checked
        if not OTHER_WALLET.fullmatch(value):
            raise IdentifierError("invalid_wallet")
        return value, platform
    network, canonical = _wallet_network(value)
    if platform is not None and platform != network:
        raise IdentifierError("network_mismatch", "platform")
    return canonical, network


def _wallet_network(value: str) -> tuple[str, str]:
    """The network of a well-formed address and its canonical form; a checksum that fails is refused."""
    if re.fullmatch(r"0x[0-9a-fA-F]{40}", value):
        return "ethereum", value.lower()
    if value[:3].lower() in ("bc1", "tb1"):
        if not _bech32_valid(value):
            raise IdentifierError("wallet_checksum")
        return "bitcoin", value.lower()
    if value[:1] in ("1", "3", "T") and 25 <= len(value) <= 35 and all(char in BASE58 for char in value):
        payload = _base58check(value)
        if payload is None or len(payload) != 21:
            raise IdentifierError("wallet_checksum")
        if payload[0] in (0x00, 0x05):
            return "bitcoin", value
        if payload[0] == 0x41:
            return "tron", value
        raise IdentifierError("invalid_wallet")
    if re.fullmatch(r"(-1|0):[0-9a-fA-F]{64}|[A-Za-z0-9_+/-]{48}", value):
        if (ton := _ton_raw(value)) is None:
            raise IdentifierError("wallet_checksum")
        return "ton", ton
    raise IdentifierError("invalid_wallet")


def _transaction(value: str, platform: str | None, _region: str) -> tuple[str, str | None]:
    if platform is not None and platform not in CRYPTO_NETWORKS:
        raise IdentifierError("unknown_network", "platform")
    value = value.replace(" ", "")
    if re.fullmatch(r"0x[0-9a-fA-F]{64}", value):
        if platform not in (None, "ethereum", "other"):
            raise IdentifierError("network_mismatch", "platform")
        return value.lower(), "ethereum"
    if HEX_64.fullmatch(value):
        if platform == "ethereum":
            return f"0x{value.lower()}", platform
        return value.lower(), platform
    if platform in ("bitcoin", "ethereum", "tron"):
        raise IdentifierError("invalid_transaction")
    if platform == "ton" and re.fullmatch(r"[A-Za-z0-9_+/-]{43}=?", value):
        return value, platform
    if platform in (None, "other") and OTHER_TRANSACTION.fullmatch(value):
        # A bank's or exchange's own transaction number.
        return value.lower(), platform or "other"
    raise IdentifierError("invalid_transaction")


PARSERS = {
    IdentifierKind.ACCOUNT: _account,
    IdentifierKind.PHONE: _phone,
    IdentifierKind.EMAIL: _email,
    IdentifierKind.IP: _ip,
    IdentifierKind.TRANSACTION: _transaction,
    IdentifierKind.WALLET: _wallet,
    IdentifierKind.DOMAIN: _domain,
}


# --- address checksums ---------------------------------------------------------------------------------------

def _base58check(text: str) -> bytes | None:
    """The payload of a Base58Check string (Bitcoin, Tron), or None if it is malformed or its checksum fails."""
    number = 0
    for char in text:
        digit = BASE58.find(char)
        if digit < 0:
            return None
        number = number * 58 + digit
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    raw = b"\0" * (len(text) - len(text.lstrip("1"))) + raw
    if len(raw) < 5:
        return None
    payload, checksum = raw[:-4], raw[-4:]
    if hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4] != checksum:
        return None
    return payload


def _bech32_valid(text: str) -> bool:
    """A SegWit address (BIP 173 / BIP 350) whose checksum holds."""
    if text.lower() != text and text.upper() != text:
        return False
    text = text.lower()
    hrp, _, data = text.rpartition("1")
    if hrp not in ("bc", "tb") or not 6 + 1 <= len(data) <= 90 - 3 or any(c not in BECH32_CHARSET for c in data):
        return False
    values = [BECH32_CHARSET.index(c) for c in data]
    checksum = _bech32_polymod([ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp] + values)
    witness_version = values[0]
    return checksum == (1 if witness_version == 0 else 0x2BC830A3)


def _bech32_polymod(values: list[int]) -> int:
    generator = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    checksum = 1
    for value in values:
        top = checksum >> 25
        checksum = (checksum & 0x1FFFFFF) << 5 ^ value
        for index, coefficient in enumerate(generator):
            if (top >> index) & 1:
                checksum ^= coefficient
    return checksum


def _ton_raw(text: str) -> str | None:
    """A TON address in raw form "workchain:hex" (both user-friendly variants name the same account)."""
    if raw := re.fullmatch(r"(-1|0):([0-9a-fA-F]{64})", text):
        return f"{raw.group(1)}:{raw.group(2).lower()}"
    if not re.fullmatch(r"[A-Za-z0-9_+/-]{48}", text):
        return None
    try:
        data = binascii.a2b_base64(text.replace("-", "+").replace("_", "/"))
    except binascii.Error:
        return None
    if len(data) != 36 or binascii.crc_hqx(data[:34], 0) != int.from_bytes(data[34:], "big"):
        return None
    workchain = int.from_bytes(data[1:2], "big", signed=True)
    return f"{workchain}:{data[2:34].hex()}"


# --- the same identifier elsewhere -------------------------------------------------------------------------

@dataclass
class IdentifierMatches:
    """The other requests naming an identifier: those the user may open, and how many they may not."""

    requests: list[CooperationRequest] = field(default_factory=list)
    hidden: int = 0

    def __bool__(self) -> bool:
        return bool(self.requests) or self.hidden > 0


def other_requests_with_identifier(session: Session, user: User, kind: IdentifierKind, normalized: str,
                                   exclude_request_id: int | None = None) -> IdentifierMatches:
    """Requests other than `exclude_request_id` naming this identifier: the visible ones, and a count of the rest."""
    found = matches_for_identifiers(session, user, [(kind, normalized)], exclude_request_id)
    return found.get((kind, normalized), IdentifierMatches())


def key_condition(keys) -> ColumnElement[bool]:
    """identifier.(kind, normalized) among the (kind, normalized) `keys`, as two IN lists: SQLite without statistics
    reads those through the index on (kind, normalized), where a row-value IN scans the whole index. The pairs the
    two lists also let through (another kind's value) are for the caller to drop."""
    return and_(Identifier.kind.in_(sorted({kind for kind, _normalized in keys})),
                Identifier.normalized.in_(sorted({normalized for _kind, normalized in keys})))


def matches_for_identifiers(session: Session, user: User, keys: list[tuple[IdentifierKind, str]],
                            exclude_request_id: int | None = None
                            ) -> dict[tuple[IdentifierKind, str], IdentifierMatches]:
    """For each (kind, normalized) key, the other requests naming it: two queries whatever the number of keys."""
    keys = sorted(set(keys))
    if not keys:
        return {}
    # The exact pairs kept here, and no ORDER BY in SQL: without statistics SQLite walked every request in creation
    # order for it (1.2 s on a request page at 1,000,000 requests) instead of reading these identifiers' few rows.
    wanted = set(keys)
    key_filter = key_condition(keys)
    other = Identifier.request_id != exclude_request_id if exclude_request_id is not None else true()
    visible = session.execute(
        visible_requests(user)
        .add_columns(Identifier.kind, Identifier.normalized)
        .join(Identifier, Identifier.request_id == CooperationRequest.id)
        .where(key_filter, other)
    ).all()
    totals = session.execute(
        select(Identifier.kind, Identifier.normalized, func.count(distinct(Identifier.request_id)))
        .where(key_filter, other)
        .group_by(Identifier.kind, Identifier.normalized)
    ).all()
    matches: dict[tuple[IdentifierKind, str], IdentifierMatches] = {}
    newest_first = sorted(visible, key=lambda row: (row[0].created_at, row[0].id), reverse=True)
    for request, kind, normalized in newest_first:
        if (kind, normalized) not in wanted:
            continue
        entry = matches.setdefault((kind, normalized), IdentifierMatches())
        if request not in entry.requests:
            entry.requests.append(request)
    for kind, normalized, total in totals:
        if (kind, normalized) in wanted:
            entry = matches.setdefault((kind, normalized), IdentifierMatches())
            entry.hidden = total - len(entry.requests)
    return matches


def describe(identifier: Identifier | ParsedIdentifier) -> str:
    """One line for the history: the canonical form, and the exact time in UTC when there is one."""
    text = identifier.normalized
    if identifier.observed_at is not None:
        text += f" · {identifier.observed_at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC ({identifier.observed_zone})"
    return text
