"""Signed checkpoints of the audit trail: the head of the chain (last id, digest, count) at one moment.

A hash chain proves that nothing inside it was altered, but not that nothing was cut from its end, nor that
it was not rebuilt from scratch by someone able to write the database. A checkpoint is signed with an Ed25519
key kept outside the database (a file in the instance folder) and copies of it live outside coop (printed,
e-mailed every day to the heads and administrators). Later, the chain must still reach every checkpoint:
the record it names must exist, with the same digest, after the same number of records. A cut tail loses the
record, a rewritten or rebuilt chain changes its digest, and nobody without the key can sign a new one.
"""

import base64
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.domain.audit import GENESIS, record_digest
from coop.models.audit import AuditCheckpoint, AuditRecord

FORMAT = "coop-audit-checkpoint/1"
_RECORD_COLUMNS = ("id", "at", "actor_id", "actor_name", "via", "entity", "entity_id", "action", "changes",
                   "previous_digest", "digest")


class CheckpointProblem(Exception):
    """A checkpoint text that cannot be read."""


# --- the signing key --------------------------------------------------------------------------------------------

def load_signing_key(path: Path, create: bool = True) -> Ed25519PrivateKey:
    """The private key in `path`, generated there once (mode 600, atomically) when missing and `create`."""
    if not path.exists():
        if not create:
            raise FileNotFoundError(path)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f"{path.name}.{os.getpid()}")
        draft.write_bytes(pem)
        draft.chmod(0o600)
        try:
            os.link(draft, path)  # the first process wins; the others read its key
        except FileExistsError:
            pass
        finally:
            draft.unlink()
        public_path = public_key_path(path)
        if not public_path.exists():
            public_path.write_bytes(public_pem(load_signing_key(path, create=False).public_key()))
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return key


def public_key_path(private_path: Path) -> Path:
    """Where the public half is written, to be handed to whoever checks checkpoints elsewhere."""
    return private_path.with_name(private_path.name + ".pub")


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def load_public_key(path: Path) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(path.read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{path} does not hold an Ed25519 public key")
    return key


def key_id(key: Ed25519PublicKey) -> str:
    """The SHA-256 of the raw public key: names the key a checkpoint was signed with."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


# --- checkpoints ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Checkpoint:
    """What a checkpoint states, and its signature."""

    at: datetime
    last_id: int
    records: int
    digest: str
    key: str
    signature: str

    def signed_text(self) -> bytes:
        return f"{FORMAT}|{self.at.isoformat()}|{self.last_id}|{self.records}|{self.digest}|{self.key}".encode()

    def to_line(self) -> str:
        """One line of JSON: what is printed, e-mailed and kept in a file for `coop audit verify --checkpoint`."""
        return json.dumps({"format": FORMAT, "at": self.at.isoformat(), "last_id": self.last_id,
                           "records": self.records, "digest": self.digest, "key": self.key,
                           "signature": self.signature}, separators=(",", ":"))

    @classmethod
    def from_row(cls, row: AuditCheckpoint) -> "Checkpoint":
        return cls(row.created_at, row.last_record_id, row.records, row.digest, row.key_id, row.signature)

    def signature_holds(self, public_keys: Iterable[Ed25519PublicKey]) -> bool:
        """Whether one of `public_keys` (the one it names) signed exactly this statement."""
        for public_key in public_keys:
            if key_id(public_key) != self.key:
                continue
            try:
                public_key.verify(base64.b64decode(self.signature), self.signed_text())
                return True
            except (InvalidSignature, ValueError):
                return False
        return False


def parse_checkpoints(text: str) -> list[Checkpoint]:
    """The checkpoints in `text`: one JSON line each, as printed or e-mailed; other lines are ignored, so that
    a whole e-mail can be pasted or saved."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        start = line.find('{"format"')
        if start < 0:
            continue
        try:
            data = json.loads(line[start:line.rindex("}") + 1])
            if data.get("format") != FORMAT:
                raise CheckpointProblem(f"line {number}: not a coop audit checkpoint")
            found.append(Checkpoint(datetime.fromisoformat(data["at"]), int(data["last_id"]), int(data["records"]),
                                    str(data["digest"]), str(data["key"]), str(data["signature"])))
        except (ValueError, KeyError, TypeError) as error:
            raise CheckpointProblem(f"line {number}: unreadable checkpoint ({error})") from error
    return found


def sign(key: Ed25519PrivateKey, at: datetime, last_id: int, records: int, digest: str) -> Checkpoint:
    unsigned = Checkpoint(at, last_id, records, digest, key_id(key.public_key()), "")
    signature = base64.b64encode(key.sign(unsigned.signed_text())).decode()
    return Checkpoint(at, last_id, records, digest, unsigned.key, signature)


def write_checkpoint(session: Session, key: Ed25519PrivateKey, now: datetime, via: str) -> Checkpoint:
    """Sign the trail's current head and store the checkpoint (caller's transaction)."""
    last = session.execute(select(AuditRecord.id, AuditRecord.digest).order_by(AuditRecord.id.desc()).limit(1)).first()
    last_id, digest = (last.id, last.digest) if last else (0, GENESIS)
    records = session.scalar(select(func.count(AuditRecord.id)).where(AuditRecord.id <= last_id))
    checkpoint = sign(key, now, last_id, records, digest)
    session.add(AuditCheckpoint(created_at=now, last_record_id=last_id, records=records, digest=digest,
                                key_id=checkpoint.key, signature=checkpoint.signature, via=via))
    session.flush()
    return checkpoint


def latest_checkpoint(session: Session) -> AuditCheckpoint | None:
    return session.scalar(select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(1))


def checkpoint_written_since(session: Session, since: datetime) -> bool:
    return session.scalar(select(AuditCheckpoint.id).where(AuditCheckpoint.created_at >= since).limit(1)) is not None


def stored_checkpoints(session: Session) -> list[Checkpoint]:
    return [Checkpoint.from_row(row) for row in session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id))]


# --- verification -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CheckpointFinding:
    checkpoint: Checkpoint
    problem: str | None  # None: the chain reaches it; else one of PROBLEMS

    @property
    def holds(self) -> bool:
        return self.problem is None


# What can be wrong with a checkpoint, in the words the CLI prints (the web page translates them).
PROBLEMS = {
    "bad_signature": "its signature does not hold (forged or edited, or signed with another key)",
    "missing": "the record it names is gone: the trail was cut short or rebuilt",
    "digest": "the record it names has another digest: the trail was rewritten or rebuilt",
    "count": "another number of records leads to it: records were inserted or removed",
    "broken_before": "the chain is broken before it",
}


@dataclass
class TrailReport:
    records: int = 0
    first_broken_id: int | None = None
    findings: list[CheckpointFinding] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return self.first_broken_id is None and all(finding.holds for finding in self.findings)


def verify_trail(session: Session, checkpoints: Iterable[Checkpoint], public_keys: list[Ed25519PublicKey],
                 batch: int = 5000) -> TrailReport:
    """Walk the whole chain once; say where it breaks and whether it still reaches each checkpoint."""
    checkpoints = list(checkpoints)
    waiting: dict[int, list[Checkpoint]] = {}
    report = TrailReport()
    for checkpoint in checkpoints:
        if not checkpoint.signature_holds(public_keys):
            report.findings.append(CheckpointFinding(checkpoint, "bad_signature"))
        elif checkpoint.last_id == 0:
            report.findings.append(CheckpointFinding(checkpoint, None if checkpoint.digest == GENESIS else "digest"))
        else:
            waiting.setdefault(checkpoint.last_id, []).append(checkpoint)
    previous, last_id = GENESIS, 0
    broken = False
    while waiting or not broken:
        # Columns, not entities: the caller's session (and its identity map) stays as it was.
        rows = session.execute(
            select(*[AuditRecord.__table__.c[name] for name in _RECORD_COLUMNS])
            .where(AuditRecord.id > last_id).order_by(AuditRecord.id).limit(batch)
        ).all()
        if not rows:
            break
        for row in rows:
            last_id = row.id
            if not broken and (row.previous_digest != previous or record_digest(row, previous) != row.digest):
                broken = True
                report.first_broken_id = row.id
            if not broken:
                report.records += 1
            for checkpoint in waiting.pop(row.id, ()):
                if row.digest != checkpoint.digest:
                    problem = "digest"
                elif broken:
                    problem = "broken_before"
                elif report.records != checkpoint.records:
                    problem = "count"
                else:
                    problem = None
                report.findings.append(CheckpointFinding(checkpoint, problem))
            previous = row.digest
        if broken and not waiting:
            break
    for checkpoints_left in waiting.values():
        report.findings.extend(CheckpointFinding(checkpoint, "missing") for checkpoint in checkpoints_left)
    report.findings.sort(key=lambda finding: (finding.checkpoint.at, finding.checkpoint.last_id))
    return report
