"""Backups of a running SQLite database restore to the same data, and damaged archives are refused."""

import hashlib
import io
import sqlite3
import tarfile
import threading

import pytest
from sqlalchemy import func, select

from coop.extensions import db
from coop.models import Partner
from tests.conftest import running_app
from tests.factories import make_partner


@pytest.fixture
def sqlite_app(tmp_path):
    (tmp_path / "live").mkdir()
    with running_app(f"sqlite:///{tmp_path / 'live' / 'coop.sqlite'}", tmp_path) as app:
        yield app


@pytest.fixture
def sqlite_runner(sqlite_app):
    return sqlite_app.test_cli_runner()


def table_counts(path) -> dict:
    connection = sqlite3.connect(path)
    try:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {table: connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in tables}
    finally:
        connection.close()


def test_backup_while_writing_then_restore_gives_the_same_data(sqlite_app, sqlite_runner, tmp_path):
    uploads = tmp_path / "uploads" / "ab"
    uploads.mkdir(parents=True)
    (uploads / "ab12").write_bytes(b"%PDF-1.7 answer from the partner")
    for index in range(50):
        make_partner(db.session, f"before{index}")
    db.session.commit()

    stop = threading.Event()

    def keep_writing():
        with sqlite_app.app_context():
            index = 0
            while not stop.is_set():
                make_partner(db.session, f"during{index}")
                db.session.commit()
                index += 1
            db.session.remove()

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        result = sqlite_runner.invoke(args=["backup", "create", str(tmp_path / "backups")])
    finally:
        stop.set()
        writer.join()
    assert result.exit_code == 0, result.output
    archive = next((tmp_path / "backups").glob("coop-backup-*.tar.gz"))

    restored = tmp_path / "restored" / "coop.sqlite"
    restored_uploads = tmp_path / "restored" / "uploads"
    from coop.backup import restore_backup

    restore_backup(archive, restored, restored_uploads)
    counts = table_counts(restored)
    assert counts["partner"] >= 50
    connection = sqlite3.connect(restored)
    assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    names = {row[0] for row in connection.execute("SELECT code FROM partner")}
    connection.close()
    assert {f"before{index}" for index in range(50)} <= names
    restored_file = restored_uploads / "ab" / "ab12"
    assert hashlib.sha256(restored_file.read_bytes()).hexdigest() == hashlib.sha256(
        b"%PDF-1.7 answer from the partner").hexdigest()


def test_restore_refuses_a_damaged_archive_and_an_existing_database(sqlite_app, sqlite_runner, tmp_path):
    make_partner(db.session, "meta")
    db.session.commit()
    sqlite_runner.invoke(args=["backup", "create", str(tmp_path / "backups")])
    archive = next((tmp_path / "backups").glob("*.tar.gz"))

    from coop.backup import BackupError, restore_backup

    target = tmp_path / "again" / "coop.sqlite"
    target.parent.mkdir()
    target.write_bytes(b"precious")
    with pytest.raises(BackupError):
        restore_backup(archive, target, tmp_path / "again" / "uploads")
    assert target.read_bytes() == b"precious"

    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(damaged, "w:gz") as copy:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name == "coop.sqlite":
                data = data[:-100] + b"\0" * 100
            member.size = len(data)
            copy.addfile(member, io.BytesIO(data))
    with pytest.raises(BackupError, match="damaged"):
        restore_backup(damaged, tmp_path / "fresh" / "coop.sqlite", tmp_path / "fresh" / "uploads")
    assert not (tmp_path / "fresh" / "coop.sqlite").exists()
    assert db.session.scalar(select(func.count(Partner.id))) == 1


def test_backup_command_explains_postgresql(postgres_database, tmp_path):
    if postgres_database is None:
        pytest.skip("PostgreSQL is not reachable")
    with running_app(postgres_database, tmp_path) as app:
        result = app.test_cli_runner().invoke(args=["backup", "create", str(tmp_path / "never")])
    assert result.exit_code != 0 and "pg_dump" in result.output
