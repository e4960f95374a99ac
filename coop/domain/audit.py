"""Recording every change to requests, partners, rules and users in a hash-chained trail.

A listener on the ORM session writes one AuditRecord per changed row, in the same transaction as the
change. Each record's digest covers its content and the digest of the record before it, so altering,
inserting or deleting a record by hand breaks the chain at that point, and `verify_chain` names it.
"""

import contextvars
import hashlib
import json
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import event, insert, inspect, select
from sqlalchemy.orm import Session

from coop.models.audit import AuditRecord
from coop.models.base import utcnow

# Tables whose rows are audited. Bookkeeping (reminders, outbox, counters, login attempts) is not.
AUDITED_TABLES = frozenset({
    "cooperation_request", "identifier", "partner_reference", "document", "criminal_case", "partner",
    "partner_contact", "partner_instrument", "legal_basis", "request_type", "user_account", "deadline_rule",
    "calendar_day", "api_token", "identifier_link",
})
# Recorded as changed, never with their values.
SECRET_FIELDS = frozenset({"password_hash", "session_token", "token_hash", "feed_token", "mfa_secret"})
GENESIS = "0" * 64
_CHAIN_LOCK_KEY = zlib.crc32(b"coop-audit-chain")


@dataclass(frozen=True)
class Actor:
    """Who is acting, and through what: the web pages, the API (with the token's name) or the CLI."""

    user_id: int | None
    name: str | None
    via: str


COMMAND_LINE = Actor(None, None, "cli")
# Outside a web or API request (a CLI command, a script) the actor is the command line.
_current_actor: contextvars.ContextVar[Actor] = contextvars.ContextVar("coop_actor", default=COMMAND_LINE)  # noqa: B039


def set_actor(actor: Actor) -> contextvars.Token:
    return _current_actor.set(actor)


@contextmanager
def acting_as(actor: Actor) -> Iterator[None]:
    token = _current_actor.set(actor)
    try:
        yield
    finally:
        _current_actor.reset(token)


def _plain(value):
    """A JSON-safe rendering of a column value."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "value"):  # enums
        return value.value
    if hasattr(value, "id"):  # a related object
        return value.id
    return str(value)


def digest_of(record: dict, previous_digest: str) -> str:
    """The SHA-256 that chains `record` (its audited content) to the record before it."""
    content = {key: record[key] for key in ("at", "actor_id", "actor_name", "via", "entity", "entity_id", "action",
                                            "changes")}
    content["at"] = _plain(content["at"].replace(tzinfo=None) if content["at"].tzinfo else content["at"])
    payload = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256((previous_digest + payload).encode()).hexdigest()


def record_digest(row: AuditRecord, previous_digest: str) -> str:
    """The digest a stored record should carry after `previous_digest`."""
    return digest_of({"at": row.at, "actor_id": row.actor_id, "actor_name": row.actor_name, "via": row.via,
                      "entity": row.entity, "entity_id": row.entity_id, "action": row.action,
                      "changes": row.changes}, previous_digest)


def _row_changes(obj, action: str, stored: dict) -> dict:
    state = inspect(obj)
    changes = {}
    for attribute in state.mapper.column_attrs:
        key = attribute.key
        history = state.attrs[key].history
        if action == "update" and not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else stored.get(key)
        new = getattr(obj, key) if action != "delete" else None
        if action == "delete":
            old = getattr(obj, key)
        if key in SECRET_FIELDS:
            changes[key] = ["***", "***"]
        else:
            changes[key] = [_plain(old), _plain(new)]
    for relation in state.mapper.relationships:
        if not relation.uselist or relation.secondary is None:
            continue  # many-to-many sets (e.g. assigned officers) only: the rest are rows of their own
        history = state.attrs[relation.key].history
        if history.has_changes():
            changes[relation.key] = [[_plain(o) for o in history.deleted], [_plain(o) for o in history.added]]
    return changes


def _pending_records(session: Session) -> list[dict]:
    actor = _current_actor.get()
    now = utcnow()
    records = []
    for action, objects in (("insert", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in objects:
            table = getattr(obj, "__tablename__", None)
            if table not in AUDITED_TABLES:
                continue
            if action == "update" and not session.is_modified(obj, include_collections=True):
                continue
            changes = _row_changes(obj, action, session.info.get("coop_audit_stored", {}).get(id(obj), {}))
            if action == "update" and not changes:
                continue
            primary_key = inspect(obj).mapper.primary_key_from_instance(obj)
            records.append({
                "at": now, "actor_id": actor.user_id, "actor_name": actor.name, "via": actor.via,
                "entity": table, "entity_id": ",".join(str(part) for part in primary_key),
                "action": action, "changes": changes,
            })
    return records


def append_records(connection, records: list[dict]) -> None:
    """Chain `records` after the current last record and insert them (caller's transaction)."""
    if not records:
        return
    # Two transactions must not both chain onto the same last record.
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_CHAIN_LOCK_KEY})")
    else:
        # A reading page's SQLite transaction takes the write lock only at its first write (coop.database): write
        # (nothing) before reading the last record, so that the record read is the last one when this one lands.
        connection.exec_driver_sql("UPDATE audit_record SET id = id WHERE 0")
    previous = connection.scalar(select(AuditRecord.digest).order_by(AuditRecord.id.desc()).limit(1)) or GENESIS
    for record in records:
        record["previous_digest"] = previous
        record["digest"] = previous = digest_of(record, previous)
    connection.execute(insert(AuditRecord), records)


def _before_flush(session: Session, _flush_context, _instances) -> None:
    """Read the stored values that a change overwrote without loading them first (expired attributes)."""
    stored = session.info.setdefault("coop_audit_stored", {})
    for obj in session.dirty:
        if getattr(obj, "__tablename__", None) not in AUDITED_TABLES:
            continue
        state = inspect(obj)
        unknown = [attribute for attribute in state.mapper.column_attrs
                   if state.attrs[attribute.key].history.added and not state.attrs[attribute.key].history.deleted]
        if not unknown or state.key is None:
            continue
        mapper = state.mapper
        where = [column == value for column, value in zip(mapper.primary_key, state.key[1], strict=True)]
        row = session.connection().execute(
            select(*[attribute.columns[0] for attribute in unknown]).where(*where)
        ).first()
        if row is not None:
            stored[id(obj)] = {attribute.key: value for attribute, value in zip(unknown, row, strict=True)}


def _after_flush(session: Session, _flush_context) -> None:
    # After the flush new rows have their ids, while the session still shows what changed.
    append_records(session.connection(), _pending_records(session))
    session.info.pop("coop_audit_stored", None)


def install(session_class) -> None:
    """Audit every flush of sessions of `session_class`."""
    if not event.contains(session_class, "after_flush", _after_flush):
        event.listen(session_class, "before_flush", _before_flush)
        event.listen(session_class, "after_flush", _after_flush)


def record_reading(session: Session, entity: str, entity_id: int, reason: str) -> None:
    """Record that the current actor read a row (an admin opening a restricted request)."""
    actor = _current_actor.get()
    append_records(session.connection(), [{
        "at": utcnow(), "actor_id": actor.user_id, "actor_name": actor.name, "via": actor.via,
        "entity": entity, "entity_id": str(entity_id), "action": "read", "changes": {"reason": reason},
    }])


@dataclass(frozen=True)
class ChainReport:
    records: int
    first_broken_id: int | None

    @property
    def intact(self) -> bool:
        return self.first_broken_id is None


def verify_chain(session: Session, batch: int = 5000) -> ChainReport:
    """Walk the whole trail in order; report the first record whose digest or link does not hold."""
    previous = GENESIS
    count = 0
    last_id = 0
    while True:
        rows = session.execute(
            select(AuditRecord).where(AuditRecord.id > last_id).order_by(AuditRecord.id).limit(batch)
        ).scalars().all()
        if not rows:
            return ChainReport(count, None)
        for row in rows:
            if row.previous_digest != previous or record_digest(row, previous) != row.digest:
                return ChainReport(count, row.id)
            previous = row.digest
            count += 1
            last_id = row.id
        session.expunge_all()
