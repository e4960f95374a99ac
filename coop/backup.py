"""Consistent backups of a running SQLite database and of the attachments, and their restore.

The database is copied with SQLite's online backup API (never `cp`, which can tear a WAL database);
attachments are immutable files named by their SHA-256, so copying them while coop runs is safe.
Every file in the archive is listed with its SHA-256 in manifest.json and checked on restore.
"""

import hashlib
import io
import json
import shutil
import sqlite3
import tarfile
import tempfile
from datetime import datetime
from pathlib import Path

MANIFEST = "manifest.json"
DATABASE = "coop.sqlite"


class BackupError(Exception):
    pass


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def create_backup(database: Path, uploads: Path, destination: Path, now: datetime) -> Path:
    """Write `coop-backup-<timestamp>.tar.gz` into `destination` and return its path."""
    destination.mkdir(parents=True, exist_ok=True)
    archive = destination / f"coop-backup-{now:%Y%m%d-%H%M%S}.tar.gz"
    with tempfile.TemporaryDirectory() as work:
        snapshot = Path(work) / DATABASE
        source = sqlite3.connect(database)
        target = sqlite3.connect(snapshot)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        files = {DATABASE: _sha256(snapshot)}
        attachments = sorted(p for p in uploads.rglob("*") if p.is_file()) if uploads.exists() else []
        for path in attachments:
            files[f"uploads/{path.relative_to(uploads).as_posix()}"] = _sha256(path)
        manifest = {"created": now.isoformat(), "files": files}
        with tarfile.open(archive, "w:gz") as tar:
            tar.add(snapshot, arcname=DATABASE)
            for path in attachments:
                tar.add(path, arcname=f"uploads/{path.relative_to(uploads).as_posix()}")
            data = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return archive


def restore_backup(archive: Path, database: Path, uploads: Path, overwrite: bool = False) -> dict:
    """Check the archive against its manifest, then put its database and attachments in place."""
    if database.exists() and not overwrite:
        raise BackupError(f"{database} exists; stop coop and pass --overwrite to replace it")
    with tempfile.TemporaryDirectory() as work, tarfile.open(archive, "r:gz") as tar:
        tar.extractall(work, filter="data")  # the data filter refuses absolute paths and '..'
        root = Path(work)
        manifest = json.loads((root / MANIFEST).read_text())
        for name, expected in manifest["files"].items():
            if not (root / name).is_file() or _sha256(root / name) != expected:
                raise BackupError(f"{name} is missing or damaged in the archive")
        check = sqlite3.connect(root / DATABASE)
        try:
            if check.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError("the database in the archive fails SQLite's integrity check")
        finally:
            check.close()
        database.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(root / DATABASE, database)
        if (root / "uploads").exists():
            shutil.copytree(root / "uploads", uploads, dirs_exist_ok=True)
    return manifest
