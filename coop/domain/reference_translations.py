"""Kazakh texts for seeded reference rows that were stored before coop had Kazakh columns.

New rows get their Kazakh names, notes, descriptions and advice when they are seeded. A row seeded earlier gets
them here, but only while its Russian text is still the seeded one: a row an administrator reworded is left for
the administrator, since a Kazakh text of the old wording would contradict the new one. Nothing is overwritten.
Written with plain tables rather than the models so that the migration adding the columns can run it.
"""

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from coop.domain.deadlines import DEFAULT_RULES
from coop.domain.reference_data import seed_facts

_LEGAL_BASIS = sa.table("legal_basis", sa.column("code"), sa.column("name_ru"), sa.column("name_kk"),
                        sa.column("notes"), sa.column("notes_kk"))
_REQUEST_TYPE = sa.table("request_type", sa.column("code"), sa.column("name_ru"), sa.column("name_kk"),
                         sa.column("description"), sa.column("description_kk"))
_DEADLINE_RULE = sa.table("deadline_rule", sa.column("advice_ru"), sa.column("advice_kk"))


def _fill(connection: Connection, table: sa.TableClause, code: str | None, russian: str, kazakh: str,
          source: str | None, target: str) -> int:
    """Set `target` to `kazakh` where it is empty and `russian` still reads as seeded; return the rows changed."""
    if not kazakh or not source:
        return 0
    condition = sa.and_(table.c[russian] == source, table.c[target].is_(None))
    if code is not None:
        condition = sa.and_(condition, table.c.code == code)
    return connection.execute(sa.update(table).where(condition).values({target: kazakh})).rowcount


def fill_kazakh_texts(connection: Connection) -> int:
    """Give seeded legal bases, request types and deadline rules their missing Kazakh texts; return how many."""
    facts = seed_facts()
    filled = 0
    for row in facts["legal_basis"]:
        filled += _fill(connection, _LEGAL_BASIS, row["code"], "name_ru", row.get("name_kk"), row["name_ru"],
                        "name_kk")
        filled += _fill(connection, _LEGAL_BASIS, row["code"], "notes", row.get("notes_kk"), row.get("notes"),
                        "notes_kk")
    for row in facts["request_type"]:
        filled += _fill(connection, _REQUEST_TYPE, row["code"], "name_ru", row.get("name_kk"), row["name_ru"],
                        "name_kk")
        filled += _fill(connection, _REQUEST_TYPE, row["code"], "description", row.get("description_kk"),
                        row.get("description"), "description_kk")
    for rule in DEFAULT_RULES:
        filled += _fill(connection, _DEADLINE_RULE, None, "advice_ru", rule.advice_kk, rule.advice_ru,
                        "advice_kk")
    return filled
