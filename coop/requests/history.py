"""A request's history as people read it: events grouped by edit, values shown by name, not by id."""

from dataclasses import dataclass, field
from datetime import date

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.i18n import format_local_date
from coop.labels import REQUEST_FIELD_LABELS, URGENCY_LABELS
from coop.models import (
    Case,
    CooperationRequest,
    EventKind,
    LegalBasis,
    Partner,
    RequestEvent,
    RequestType,
    Urgency,
    User,
)

# Fields whose stored value is the id of another row, and the model it names.
REFERENCED = {
    "partner_id": Partner,
    "request_type_id": RequestType,
    "legal_basis_id": LegalBasis,
    "case_id": Case,
    "follows_id": CooperationRequest,
}
DATE_FIELDS = frozenset({"data_period_from", "data_period_to", "requested_by"})
BOOLEAN_FIELDS = frozenset({"restricted", "follow_up_promised"})
LONG_TEXT_LIMIT = 160


@dataclass
class Change:
    """One field of an edit: its label, and the old and new value as text."""

    field: str
    label: str
    old: str
    new: str
    long: bool = False  # long texts are shown as blocks, not inline


@dataclass
class Entry:
    """One line of the timeline: an event, or several field changes saved together."""

    event: RequestEvent
    changes: list[Change] = field(default_factory=list)

    @property
    def kind(self) -> EventKind:
        return self.event.kind


class ValueNames:
    """Names for the ids a history mentions, loaded with one query per kind of row."""

    def __init__(self, session: Session, events: list[RequestEvent]):
        wanted: dict[str, set[int]] = {}
        for event in events:
            if event.kind != EventKind.CHANGED:
                continue
            if event.field in REFERENCED or event.field == "officers":
                for raw in (event.old_value, event.new_value):
                    wanted.setdefault(event.field, set()).update(_ids(raw))
        language = str(get_locale())
        self.names: dict[str, dict[int, str]] = {}
        for name, ids in wanted.items():
            if not ids:
                continue
            if name == "officers":
                rows = session.execute(select(User.id, User.full_name).where(User.id.in_(ids)))
                self.names[name] = dict(rows.all())
            elif name == "case_id":
                self.names[name] = dict(session.execute(select(Case.id, Case.number).where(Case.id.in_(ids))).all())
            elif name == "follows_id":
                self.names[name] = dict(session.execute(
                    select(CooperationRequest.id, CooperationRequest.reference)
                    .where(CooperationRequest.id.in_(ids))).all())
            else:
                model = REFERENCED[name]
                self.names[name] = {row.id: row.name(language)
                                    for row in session.scalars(select(model).where(model.id.in_(ids)))}

    def display(self, field_name: str, raw: str | None) -> str:
        """A stored value as a reader wants to see it."""
        if raw is None or raw == "":
            return "—"
        if field_name in REFERENCED or field_name == "officers":
            known = self.names.get(field_name, {})
            return ", ".join(known.get(number, f"#{number}") for number in _ids(raw))
        if field_name in DATE_FIELDS:
            try:
                return format_local_date(date.fromisoformat(raw))
            except ValueError:
                return raw
        if field_name in BOOLEAN_FIELDS:
            return _("Yes") if raw == "true" else _("No")
        if field_name == "urgency":
            try:
                return str(URGENCY_LABELS[Urgency(raw)])
            except ValueError:
                return raw
        return raw


def timeline(session: Session, events: list[RequestEvent]) -> list[Entry]:
    """The events newest first; the field changes of one save (same moment, same person) form one entry."""
    names = ValueNames(session, events)
    entries: list[Entry] = []
    for event in sorted(events, key=lambda item: (item.at, item.id), reverse=True):
        if event.kind == EventKind.CHANGED:
            change = _change(names, event)
            previous = entries[-1] if entries else None
            if (previous is not None and previous.kind == EventKind.CHANGED
                    and (previous.event.at, previous.event.actor_id) == (event.at, event.actor_id)):
                previous.changes.insert(0, change)
                continue
            entries.append(Entry(event, [change]))
        else:
            entries.append(Entry(event))
    return entries


def _change(names: ValueNames, event: RequestEvent) -> Change:
    old, new = names.display(event.field, event.old_value), names.display(event.field, event.new_value)
    label = str(REQUEST_FIELD_LABELS.get(event.field, event.field))
    return Change(event.field, label, old, new, long=max(len(old), len(new)) > LONG_TEXT_LIMIT or "\n" in old + new)


def _ids(raw: str | None) -> list[int]:
    return [int(part) for part in (raw or "").split(",") if part.strip().isdigit()]
