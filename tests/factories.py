"""Small factories for test data; each takes the session and returns the object it added."""

from functools import cache
from itertools import count

from sqlalchemy import select

from coop.domain.accounts import hash_password
from coop.models import (
    Case,
    CooperationRequest,
    Direction,
    LegalBasis,
    LegalBasisKind,
    Partner,
    PartnerKind,
    RequestType,
    Role,
    Status,
    User,
)

TEST_PASSWORD = "correct horse battery"
_sequence = count(1)


@cache
def _test_password_hash() -> str:
    # Hashing with argon2 takes tens of milliseconds; one hash serves every test user.
    return hash_password(TEST_PASSWORD)


def make_user(session, username: str | None = None, role: Role = Role.OFFICER, **fields) -> User:
    username = username or f"user{next(_sequence)}"
    user = User(
        username=username,
        full_name=fields.pop("full_name", username.title()),
        role=role,
        password_hash=fields.pop("password_hash", _test_password_hash()),
        **fields,
    )
    session.add(user)
    session.flush()
    return user


def make_partner(session, code: str = "meta", kind: PartnerKind = PartnerKind.PROVIDER, **fields) -> Partner:
    partner = session.scalar(select(Partner).where(Partner.code == code))
    if partner is None:
        partner = Partner(code=code, kind=kind, name_ru=fields.pop("name_ru", code.upper()),
                          name_en=fields.pop("name_en", code.upper()), **fields)
        session.add(partner)
        session.flush()
    return partner


def make_legal_basis(session, code: str = "provider-policy", kind: LegalBasisKind = LegalBasisKind.PROVIDER_POLICY,
                     **fields) -> LegalBasis:
    basis = session.scalar(select(LegalBasis).where(LegalBasis.code == code))
    if basis is None:
        basis = LegalBasis(code=code, kind=kind, name_ru=fields.pop("name_ru", code),
                           name_en=fields.pop("name_en", code), **fields)
        session.add(basis)
        session.flush()
    return basis


def make_request_type(session, code: str = "preservation_provider", direction: Direction = Direction.OUTGOING,
                      **fields) -> RequestType:
    request_type = session.scalar(select(RequestType).where(RequestType.code == code))
    if request_type is None:
        request_type = RequestType(code=code, direction=direction, name_ru=fields.pop("name_ru", code),
                                   name_en=fields.pop("name_en", code), **fields)
        session.add(request_type)
        session.flush()
    return request_type


def make_case(session, number: str | None = None, **fields) -> Case:
    case = Case(number=number or f"2026-{next(_sequence):06d}", title=fields.pop("title", "Мошенничество"), **fields)
    session.add(case)
    session.flush()
    return case


def make_request(session, direction: Direction = Direction.OUTGOING, status: Status | None = None,
                 partner: Partner | None = None, request_type: RequestType | None = None,
                 officers: list[User] = (), **fields) -> CooperationRequest:
    """A request inserted directly (no workflow, no deadlines): for tests of what reads requests."""
    number = next(_sequence)
    request = CooperationRequest(
        reference=fields.pop("reference", f"T-{number:06d}"),
        direction=direction,
        status=status or (Status.DRAFT if direction == Direction.OUTGOING else Status.RECEIVED),
        partner=partner or make_partner(session),
        request_type=request_type or make_request_type(session, direction=direction),
        title=fields.pop("title", f"Request {number}"),
        officers=list(officers),
        **fields,
    )
    session.add(request)
    session.flush()
    return request
