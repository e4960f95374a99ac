"""Reference data: the partners, legal bases and request types coop starts with, and edits to partners.

Seeding inserts what is missing, matched by code, and never changes a row that exists: once a row is in the
database it belongs to the administrators. Countries come from ISO 3166-1 (pycountry), with their names and
official languages from the locale library (CLDR, through Babel), their zone from the tz database and their
weekend from the `holidays` package. What those cannot know (providers, treaties, request types, a few
countries' authorities) is in coop/seed/reference_data.toml.
"""

import enum
import tomllib
from collections import Counter
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from zoneinfo import available_timezones

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.models.partners import (
    ContactRole,
    Direction,
    LegalBasis,
    LegalBasisKind,
    Partner,
    PartnerContact,
    PartnerInstrument,
    PartnerKind,
    RequestType,
)

SEED_FILE = Path(__file__).resolve().parent.parent / "seed" / "reference_data.toml"
NAME_LANGUAGES = ("ru", "en", "kk")
DEFAULT_WEEKEND = "6,7"  # ISO weekdays: Saturday and Sunday


def name_in(language: str, name_ru: str | None, name_en: str | None = None, name_kk: str | None = None) -> str:
    """The name in `language`, falling back to the Russian one (the department's working language)."""
    return {"en": name_en, "kk": name_kk}.get(language) or name_ru or ""


def name_column(model, language: str):
    """The SQL expression of a row's name in `language`, falling back to Russian: for sorting by name."""
    column = getattr(model, f"name_{language}", None)
    if language == "ru" or column is None:
        return model.name_ru
    return column if language == "en" else func.coalesce(column, model.name_ru)  # name_en is never empty


class Channel(enum.StrEnum):
    """How requests reach a partner (stored comma-separated in `Partner.channels`)."""

    CENTRAL_AUTHORITY = "central_authority"
    DIPLOMATIC = "diplomatic"
    INTERPOL = "interpol"
    DIRECT_24_7 = "direct_24_7"
    LAW_ENFORCEMENT_PORTAL = "law_enforcement_portal"


# What an administrator may change on a partner; kind and code are fixed once the partner exists.
EDITABLE_PARTNER_FIELDS = (
    "name_ru", "name_en", "name_kk", "active", "time_zone", "accepted_languages", "channels", "weekend_days",
    "holiday_calendar", "dual_criminality_notes", "use_limitations", "legal_entity", "governing_law",
    "request_portal", "discloses_directly", "requires_formal_assistance", "preservation_days",
    "preservation_extension", "emergency_channel", "emergency_criteria", "notifies_user", "known_limits", "notes",
)


class EditConflict(Exception):
    """Someone saved the row after the editor opened it; `current` is the row as it is now stored."""

    code = "edit_conflict"

    def __init__(self, current: Partner):
        super().__init__(f"{current!r} is at version {current.version}")
        self.current = current


# --- Seeding -----------------------------------------------------------------------------------------------

@cache
def seed_facts() -> dict:
    """The facts in coop/seed/reference_data.toml."""
    with SEED_FILE.open("rb") as seed_file:
        return tomllib.load(seed_file)


@cache
def main_time_zones() -> dict[str, str]:
    """Country code -> the zone of its capital (or main zone), from the tz database's zone.tab."""
    table = resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text(encoding="utf-8")
    zones: dict[str, str] = {}
    for line in table.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        country, _coordinates, zone = line.split("\t")[:3]
        zones.setdefault(country, zone)  # zone.tab lists the most populous zone first ...
    for country, zone in seed_facts()["capital_time_zone"].items():  # ... which is not always the capital's
        if zone:
            zones[country] = zone
        else:
            zones.pop(country, None)
    return zones


@cache
def holiday_weekends() -> dict[str, str]:
    """Country code -> its weekend as ISO weekdays ("5,6"), for each country the `holidays` package knows."""
    import holidays  # a large import, needed only here

    weekends = {}
    for code in holidays.list_supported_countries():
        if len(code) != 2:
            continue
        calendar = holidays.country_holidays(code)
        weekends[code] = ",".join(str(day + 1) for day in sorted(calendar.weekend))
    return weekends


def official_languages(country_code: str) -> str | None:
    """The country's official languages as ISO 639-1 codes, most spoken first ("de"; "en, fr"), from CLDR.

    A requested state always accepts a request in its official language: the default until an administrator
    records what the state has declared.
    """
    from babel.core import get_global

    spoken = get_global("territory_languages").get(country_code, {})
    official = [(facts.get("population_percent", 0), language) for language, facts in spoken.items()
                if facts.get("official_status") in {"official", "de_facto_official"} and len(language) == 2]
    return ", ".join(language for _share, language in sorted(official, reverse=True)) or None


def country_rows() -> list[dict]:
    """Every ISO 3166-1 country as the attributes of a Partner row (names in ru, en, kk)."""
    import pycountry
    from babel import Locale

    names = {language: Locale(language).territories for language in NAME_LANGUAGES}
    zones = main_time_zones()
    calendars = holiday_weekends()
    overrides = seed_facts()["name_override"]
    rows = []
    for country in pycountry.countries:
        code = country.alpha_2
        row = {
            "kind": PartnerKind.COUNTRY,
            "code": code,
            "name_en": names["en"].get(code) or country.name,
            "name_ru": names["ru"].get(code) or country.name,
            "name_kk": names["kk"].get(code),
            "time_zone": zones.get(code),
            "holiday_calendar": code if code in calendars else None,
            "weekend_days": calendars.get(code) or DEFAULT_WEEKEND,
            "accepted_languages": official_languages(code),
        }
        row.update(overrides.get(code, {}))
        rows.append(row)
    return rows


def seed_reference_data(session: Session) -> dict[str, int]:
    """Insert the reference data that is missing (matched by code); return how many rows of each kind were added.

    Existing rows are never changed. Contacts are seeded with a new partner only, and an instrument only when its
    partner or its legal basis is new, so that one an administrator removed does not come back. Does not commit.
    """
    facts = seed_facts()
    added: Counter[str] = Counter()

    bases = {basis.code: basis for basis in session.scalars(select(LegalBasis))}
    new_bases = set()
    for row in facts["legal_basis"]:
        if row["code"] not in bases:
            bases[row["code"]] = LegalBasis(**row | {"kind": LegalBasisKind(row["kind"])})
            session.add(bases[row["code"]])
            new_bases.add(row["code"])
    added["legal_bases"] = len(new_bases)

    type_codes = set(session.scalars(select(RequestType.code)))
    for row in facts["request_type"]:
        if row["code"] not in type_codes:
            kind = row.get("partner_kind")
            session.add(RequestType(**row | {"direction": Direction(row["direction"]),
                                             "partner_kind": PartnerKind(kind) if kind else None}))
            added["request_types"] += 1

    partner_codes = set(session.scalars(select(Partner.code)))
    new_partners: dict[str, Partner] = {}
    countries = seed_facts()["country"]
    for row in country_rows():
        if row["code"] not in partner_codes:
            known = {key: value for key, value in countries.get(row["code"], {}).items() if key != "contacts"}
            new_partners[row["code"]] = Partner(**row | known)
            added["countries"] += 1
    for row in facts["provider"]:
        if row["code"] not in partner_codes:
            new_partners[row["code"]] = Partner(kind=PartnerKind.PROVIDER, **row)
            added["providers"] += 1
    session.add_all(new_partners.values())

    for code, partner in new_partners.items():
        for contact in countries.get(code, {}).get("contacts", []):
            partner.contacts.append(PartnerContact(role=ContactRole(contact["role"]), name=contact["name"]))
            added["contacts"] += 1

    for basis_code, party_codes in facts["parties"].items():
        parties = [code for code in party_codes if code in new_partners or basis_code in new_bases]
        existing = {partner.code: partner for partner in session.scalars(
            select(Partner).where(Partner.code.in_(parties)))} if parties else {}
        for code in parties:
            partner = new_partners.get(code) or existing.get(code)
            if partner is not None:
                partner.instruments.append(PartnerInstrument(legal_basis=bases[basis_code]))
                added["instruments"] += 1

    session.flush()
    return {key: added[key] for key in
            ("countries", "providers", "legal_bases", "request_types", "instruments", "contacts")}


# --- Edits --------------------------------------------------------------------------------------------------

def update_partner(session: Session, partner_id: int, expected_version: int | None,
                   changes: Mapping[str, object]) -> Partner:
    """Apply `changes` to the partner if it is still at `expected_version`; raise EditConflict if it is not.

    The row is re-read under a lock (FOR UPDATE on PostgreSQL; SQLite's write transaction is already exclusive),
    so two editors who loaded the same version cannot both save. Does not commit.
    """
    partner = session.scalars(
        select(Partner).where(Partner.id == partner_id).with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if partner.version != expected_version:
        raise EditConflict(partner)
    for field, value in changes.items():
        if field not in EDITABLE_PARTNER_FIELDS:
            raise ValueError(f"{field} is not an editable attribute of a partner")
        setattr(partner, field, value)
    partner.version += 1
    return partner


# --- Checks the forms use -----------------------------------------------------------------------------------

@cache
def known_time_zones() -> frozenset[str]:
    """Every IANA zone name the tz database knows."""
    return frozenset(available_timezones())


def split_codes(stored: str | None) -> list[str]:
    """The codes in a comma-separated attribute ("central_authority, interpol" -> two codes)."""
    return [part.strip() for part in (stored or "").split(",") if part.strip()]


def parse_weekdays(text: str) -> str:
    """Normalise "7, 6" to "6,7"; raise ValueError unless it lists distinct ISO weekdays and leaves a working day."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts or not all(part.isdigit() and 1 <= int(part) <= 7 for part in parts):
        raise ValueError("weekdays are numbers 1 (Monday) to 7 (Sunday)")
    days = sorted({int(part) for part in parts})
    if len(days) != len(parts) or len(days) == 7:
        raise ValueError("weekdays must be distinct and leave at least one working day")
    return ",".join(str(day) for day in days)


def parse_languages(text: str) -> str:
    """Normalise "EN ,ru" to "en, ru"; raise ValueError unless each is an ISO 639-1 language code."""
    import pycountry

    codes = [part.strip().lower() for part in text.split(",") if part.strip()]
    unknown = [code for code in codes if len(code) != 2 or pycountry.languages.get(alpha_2=code) is None]
    if unknown:
        raise ValueError(", ".join(unknown))
    return ", ".join(dict.fromkeys(codes))
