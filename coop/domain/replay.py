"""The rows in the database compared with what the audit trail says they should hold.

The chain proves the history unaltered; it does not prove that the data agrees with it. Replaying, for each
audited row, the values its history recorded last (an insert records every column, an update the ones it
changed) and comparing them with the row names every row changed behind coop's back: a direct SQL update, a
restored old backup, a row deleted or inserted around coop.

It streams: one table at a time, a range of ids at a time, the rows and their history read together through
the trail's (entity, entity_id, id) index, so memory stays flat at any size.
"""

import ast
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Table, cast, func, select
from sqlalchemy.orm import Session

from coop.domain.audit import AUDITED_TABLES, SECRET_FIELDS, _plain
from coop.models import Base
from coop.models.audit import AuditRecord

# Short names for `--entity request:123`.
ENTITY_ALIASES = {
    "request": "cooperation_request", "case": "criminal_case", "user": "user_account", "token": "api_token",
    "rule": "deadline_rule", "basis": "legal_basis", "type": "request_type", "contact": "partner_contact",
    "instrument": "partner_instrument", "reference": "partner_reference", "day": "calendar_day",
}


class UnknownEntity(ValueError):
    """`--entity` names no audited table, or no id."""


def parse_entity(text: str) -> tuple[str, int]:
    """("cooperation_request", 123) from "request:123" (or "cooperation_request:123")."""
    name, _, number = text.partition(":")
    table = ENTITY_ALIASES.get(name.strip(), name.strip())
    if table not in AUDITED_TABLES or not number.strip().isdigit():
        known = ", ".join(sorted({*ENTITY_ALIASES, *AUDITED_TABLES}))
        raise UnknownEntity(f"expected ENTITY:ID with ENTITY one of {known}")
    return table, int(number)


@dataclass(frozen=True)
class Discrepancy:
    """One row that does not agree with its history."""

    table: str
    row_id: int
    kind: str  # changed, deleted (the history says it exists), reappeared (the history says it was deleted)
    fields: dict = field(default_factory=dict)  # {column: (recorded, stored)} for "changed"

    def __str__(self) -> str:
        if self.kind == "changed":
            detail = "; ".join(f"{name}: recorded {recorded!r}, stored {stored!r}"
                               for name, (recorded, stored) in sorted(self.fields.items()))
            return f"{self.table}:{self.row_id} changed outside coop ({detail})"
        if self.kind == "deleted":
            return f"{self.table}:{self.row_id} deleted outside coop (its history says it exists)"
        return f"{self.table}:{self.row_id} present although its history says it was deleted"


@dataclass
class ReplayReport:
    rows: int = 0  # rows compared with their history
    found: int = 0  # discrepancies found (the first ones are kept below)
    discrepancies: list[Discrepancy] = field(default_factory=list)
    unrecorded: dict[str, int] = field(default_factory=dict)  # rows without any history, per table
    unrecorded_examples: dict[str, list[int]] = field(default_factory=dict)

    @property
    def agrees(self) -> bool:
        return self.found == 0


# Columns coop itself changes without recording it, on purpose (coop.domain.tokens.note_use: each API call).
UNRECORDED_COLUMNS = frozenset({("api_token", "last_used_at")})


def compared_columns(table: Table) -> list[str]:
    """Columns whose value the history carries: not the secrets (recorded as ***), not the timestamps the
    database moves on every update (`updated_at`), not those coop moves without a record."""
    return [column.name for column in table.columns if column.name not in SECRET_FIELDS and column.onupdate is None
            and (table.name, column.name) not in UNRECORDED_COLUMNS]


def same_value(recorded, stored) -> bool:
    """Whether a value as the trail recorded it (`_plain`, JSON) is the value stored in the row."""
    if stored is None or recorded is None:
        return stored is None and recorded is None
    if isinstance(stored, datetime):
        try:
            moment = datetime.fromisoformat(recorded)
        except (TypeError, ValueError):
            return False
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        stored = stored if stored.tzinfo else stored.replace(tzinfo=UTC)
        return moment == stored
    if isinstance(stored, date):
        return recorded == stored.isoformat()
    if isinstance(stored, float | Decimal) and isinstance(recorded, int | float | str):
        try:
            return Decimal(str(recorded)) == Decimal(str(stored))
        except ArithmeticError:
            return False
    if isinstance(stored, dict | list):
        if recorded == stored or recorded == str(stored):
            return True
        if isinstance(recorded, str):  # older records kept JSON columns as their Python text
            try:
                return ast.literal_eval(recorded) == stored
            except (ValueError, SyntaxError):
                try:
                    return json.loads(recorded) == stored
                except ValueError:
                    return False
        return False
    return _plain(stored) == recorded


def _latest_states(session: Session, table: str, ids: list[str]) -> dict[str, tuple[str, dict]]:
    """For each id with a history: its last action (insert, update, delete) and the values recorded last."""
    states: dict[str, tuple[str, dict]] = {}
    rows = session.execute(
        select(AuditRecord.entity_id, AuditRecord.action, AuditRecord.changes)
        .where(AuditRecord.entity == table, AuditRecord.entity_id.in_(ids), AuditRecord.action != "read")
        .order_by(AuditRecord.entity_id, AuditRecord.id)
    )
    for entity_id, action, changes in rows:
        if isinstance(changes, str):
            changes = json.loads(changes)
        latest = {name: change[1] for name, change in (changes or {}).items() if len(change) == 2}
        if action != "insert" and entity_id in states:
            values = states[entity_id][1]
            values.update(latest)
            latest = values
        states[entity_id] = (action, latest)
    return states


def _compare_range(session: Session, table: Table, columns: list[str], low: int, high: int,
                   report: ReplayReport) -> Iterator[Discrepancy]:
    """Compare the rows with ids in [low, high) with their histories."""
    primary = table.c.id
    stored_rows = {row.id: row for row in session.execute(
        select(*[table.c[name] for name in columns]).where(primary >= low, primary < high))}
    states = _latest_states(session, table.name, [str(number) for number in range(low, high)])
    for row_id in sorted({*stored_rows, *(int(key) for key in states)}):
        stored = stored_rows.get(row_id)
        state = states.get(str(row_id))
        if state is None:
            report.unrecorded[table.name] = report.unrecorded.get(table.name, 0) + 1
            examples = report.unrecorded_examples.setdefault(table.name, [])
            if len(examples) < 10:
                examples.append(row_id)
            continue
        action, values = state
        if stored is None:
            if action != "delete":
                yield Discrepancy(table.name, row_id, "deleted")
            continue
        report.rows += 1
        if action == "delete":
            yield Discrepancy(table.name, row_id, "reappeared")
            continue
        differences = {}
        for name, value in zip(columns, stored, strict=True):
            if name not in values:
                continue
            recorded, plain = values[name], _plain(value)
            # Most values are recorded exactly as `_plain` renders them: compare those first, cheaply.
            if recorded != plain and not same_value(recorded, value):
                differences[name] = (recorded, plain)
        if differences:
            yield Discrepancy(table.name, row_id, "changed", differences)


def _highest_id(session: Session, table: Table) -> int:
    """The highest id in the table or in its history (a row deleted behind coop's back is only there)."""
    in_table = session.scalar(select(func.max(table.c.id))) or 0
    # entity_id is text: its numeric maximum, read from the trail's index alone.
    recorded = session.scalar(select(func.max(cast(AuditRecord.entity_id, BigInteger)))
                              .where(AuditRecord.entity == table.name)) or 0
    return max(in_table, recorded)


def check_state(session: Session, entity: tuple[str, int] | None = None, batch: int = 2000,
                keep: int = 1000, on_discrepancy: Callable[[Discrepancy], None] | None = None) -> ReplayReport:
    """Compare every audited row (only `entity` when given) with its history, table by table; the report keeps
    the first `keep` discrepancies and counts them all; `on_discrepancy` sees each one as it is found."""
    report = ReplayReport()
    tables = [entity[0]] if entity else sorted(AUDITED_TABLES)
    for name in tables:
        table = Base.metadata.tables[name]
        columns = compared_columns(table)
        ranges = [(entity[1], entity[1] + 1)] if entity else [
            (low, low + batch) for low in range(1, _highest_id(session, table) + 1, batch)]
        for low, high in ranges:
            for discrepancy in _compare_range(session, table, columns, low, high, report):
                report.found += 1
                if len(report.discrepancies) < keep:
                    report.discrepancies.append(discrepancy)
                if on_discrepancy is not None:
                    on_discrepancy(discrepancy)
    return report
