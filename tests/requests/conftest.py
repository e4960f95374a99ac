"""A small department for the request tests: people, partners, request types, a legal basis, a case."""

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from coop.domain.requests import create_request
from coop.extensions import db
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
    User,
)
from tests.factories import make_case, make_legal_basis, make_partner, make_request_type, make_user

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)


@dataclass
class Department:
    officer: User
    colleague: User
    head: User
    admin: User
    meta: Partner
    germany: Partner
    preservation: RequestType
    disclosure: RequestType
    mla: RequestType
    incoming_mla: RequestType
    policy: LegalBasis
    budapest: LegalBasis
    case: Case

    def fields(self, **overrides) -> dict:
        """The fields of a plain outgoing disclosure request to Meta, as the domain takes them."""
        fields = {"direction": Direction.OUTGOING, "title": "Subscriber data of @fake_shop_kz",
                  "request_type_id": self.disclosure.id, "partner_id": self.meta.id,
                  "legal_basis_id": self.policy.id, "case_id": self.case.id}
        fields.update(overrides)
        return fields

    def new_request(self, actor: User | None = None, now: datetime = NOW, **overrides) -> CooperationRequest:
        return create_request(db.session, actor or self.officer, self.fields(**overrides), now)


@pytest.fixture
def dept(app) -> Department:
    session = db.session
    department = Department(
        officer=make_user(session, "officer", Role.OFFICER, full_name="Айдар Сейтказиев"),
        colleague=make_user(session, "colleague", Role.OFFICER, full_name="Асель Каримова"),
        head=make_user(session, "head", Role.HEAD, full_name="Гульнара Ахметова"),
        admin=make_user(session, "admin", Role.ADMIN, full_name="Ерлан Жумабаев"),
        meta=make_partner(session, "meta", PartnerKind.PROVIDER, name_ru="Meta Platforms", name_en="Meta Platforms"),
        germany=make_partner(session, "DE", PartnerKind.COUNTRY, name_ru="Германия", name_en="Germany",
                             time_zone="Europe/Berlin"),
        preservation=make_request_type(session, "preservation_provider", Direction.OUTGOING,
                                       partner_kind=PartnerKind.PROVIDER, is_preservation=True,
                                       name_ru="Сохранение данных провайдером", name_en="Preservation by a provider"),
        disclosure=make_request_type(session, "disclosure_provider", Direction.OUTGOING,
                                     partner_kind=PartnerKind.PROVIDER, name_ru="Раскрытие данных провайдером",
                                     name_en="Direct disclosure by a provider"),
        mla=make_request_type(session, "mla_outgoing", Direction.OUTGOING, partner_kind=PartnerKind.COUNTRY,
                              name_ru="Запрос о правовой помощи", name_en="Mutual legal assistance"),
        incoming_mla=make_request_type(session, "mla_incoming", Direction.INCOMING,
                                       partner_kind=PartnerKind.COUNTRY, name_ru="Входящий запрос о правовой помощи",
                                       name_en="Incoming mutual legal assistance"),
        policy=make_legal_basis(session, "provider-policy", LegalBasisKind.PROVIDER_POLICY,
                                name_ru="Политика провайдера", name_en="Provider policy"),
        budapest=make_legal_basis(session, "budapest", LegalBasisKind.MULTILATERAL,
                                  name_ru="Будапештская конвенция", name_en="Budapest Convention"),
        case=make_case(session, "252500031000123", title="Мошенничество в Instagram", offence="ст. 190 ч. 4 УК РК"),
    )
    session.commit()
    return department
