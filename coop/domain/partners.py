"""Finding partners, and counting the requests each one has (in SQL, one query for a whole page)."""

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, case, func, or_
from sqlalchemy.orm import Session

from coop.domain.workflow import FINAL
from coop.models import CooperationRequest, Partner


@dataclass(frozen=True)
class RequestCounts:
    open: int = 0
    total: int = 0


def partner_search(text: str) -> ColumnElement[bool]:
    """A condition matching partners whose code or name in any language contains `text`, ignoring case."""
    # SQLite folds only ASCII case, so Cyrillic is tried as typed, lower-case, upper-case and capitalised.
    variants = {text, text.lower(), text.upper(), text.capitalize(), text.title()}
    columns = (Partner.code, Partner.name_ru, Partner.name_en, Partner.name_kk)
    return or_(*(column.icontains(variant, autoescape=True) for column in columns for variant in variants))


def request_counts(session: Session, requests: Select, partner_ids: Iterable[int]) -> dict[int, RequestCounts]:
    """Open and total requests per partner among those `requests` selects (normally `visible_requests(user)`)."""
    ids = list(partner_ids)
    if not ids:
        return {}
    rows = session.execute(
        requests.where(CooperationRequest.partner_id.in_(ids))
        .with_only_columns(
            CooperationRequest.partner_id,
            func.count(case((CooperationRequest.status.not_in(list(FINAL)), 1))),
            func.count(),
        )
        .group_by(CooperationRequest.partner_id)
    ).all()
    return {partner_id: RequestCounts(open=open_count, total=total) for partner_id, open_count, total in rows}
