"""Storing attached files: under their SHA-256, checked for size and type, verified when served."""

import hashlib
import io
import zipfile

import pytest

from coop.domain.documents import (
    DocumentError,
    display_name,
    store_upload,
    stored_path,
    verified_path,
)

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
LIMIT = 1024 * 1024


def office_file(member: str, mimetype: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if mimetype:
            archive.writestr("mimetype", mimetype)
        archive.writestr(member, "<xml/>")
    return buffer.getvalue()


def store(tmp_path, content: bytes, name: str, limit: int = LIMIT):
    return store_upload(io.BytesIO(content), name, tmp_path, limit)


def test_a_file_is_stored_under_its_sha256_and_its_name_kept_as_data(tmp_path):
    stored = store(tmp_path, PDF, "Запрос в Meta.pdf")
    sha = hashlib.sha256(PDF).hexdigest()
    assert (stored.sha256, stored.size, stored.content_type, stored.original_name) == (
        sha, len(PDF), "application/pdf", "Запрос в Meta.pdf")
    assert (tmp_path / sha[:2] / sha).read_bytes() == PDF
    assert list((tmp_path / "tmp").iterdir()) == []  # nothing left behind


def test_the_same_content_is_stored_once(tmp_path):
    first, second = store(tmp_path, PDF, "a.pdf"), store(tmp_path, PDF, "b.pdf")
    assert first.sha256 == second.sha256
    assert len([path for path in tmp_path.rglob("*") if path.is_file()]) == 1


@pytest.mark.parametrize("name, content, content_type", [
    ("answer.docx", office_file("word/document.xml"), "application/vnd.openxmlformats-officedocument."
                                                      "wordprocessingml.document"),
    ("table.xlsx", office_file("xl/workbook.xml"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("letter.odt", office_file("content.xml", "application/vnd.oasis.opendocument.text"),
     "application/vnd.oasis.opendocument.text"),
    ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "application/msword"),
    ("notes.txt", "Ответ провайдера: данные отсутствуют".encode(), "text/plain"),
    ("windows.txt", "Ответ провайдера".encode("cp1251"), "text/plain"),
    ("mail.eml", b"From: le@meta.com\r\nSubject: Case 123\r\n\r\nHello", "message/rfc822"),
    ("screen.PNG", PNG, "image/png"),
    ("photo.jpeg", b"\xff\xd8\xff\xe0" + b"\x00" * 20, "image/jpeg"),
    ("bundle.zip", office_file("export/data.csv"), "application/zip"),
])
def test_allowed_types_are_recognised_by_extension_and_content(tmp_path, name, content, content_type):
    assert store(tmp_path, content, name).content_type == content_type


@pytest.mark.parametrize("name, content, code", [
    ("page.html", b"<html><script>alert(1)</script></html>", "type_not_allowed"),
    ("run.exe", b"MZ\x90\x00", "type_not_allowed"),
    ("image.svg", b"<svg onload=alert(1)>", "type_not_allowed"),
    ("no-extension", PDF, "type_not_allowed"),
    ("fake.pdf", b"<html><script>alert(1)</script></html>", "content_mismatch"),
    ("fake.png", PDF, "content_mismatch"),
    ("fake.docx", office_file("something/else.xml"), "content_mismatch"),
    ("fake.odt", office_file("content.xml", "application/vnd.oasis.opendocument.spreadsheet"), "content_mismatch"),
    ("binary.txt", b"text\x00with NUL", "content_mismatch"),
    ("empty.pdf", b"", "empty"),
])
def test_refused_uploads_leave_nothing_behind(tmp_path, name, content, code):
    with pytest.raises(DocumentError) as refusal:
        store(tmp_path, content, name)
    assert refusal.value.code == code
    assert [path for path in tmp_path.rglob("*") if path.is_file()] == []


def test_a_file_over_the_limit_is_refused_while_streaming(tmp_path):
    with pytest.raises(DocumentError, match="too_large"):
        store(tmp_path, PDF + b"x" * 2000, "big.pdf", limit=1000)
    assert [path for path in tmp_path.rglob("*") if path.is_file()] == []
    assert store(tmp_path, PDF, "small.pdf", limit=len(PDF)).size == len(PDF)


@pytest.mark.parametrize("given, shown", [
    ("../../etc/passwd.txt", "passwd.txt"),
    ("C:\\Users\\ivan\\Desktop\\ответ.pdf", "ответ.pdf"),
    ("..", "document"),
    ("", "document"),
    (None, "document"),
    ("  spaced   out .pdf ", "spaced out .pdf"),
    ("bell\x07and\nnewline.pdf", "bellandnewline.pdf"),
    ("a" * 300 + ".pdf", "a" * 251 + ".pdf"),
])
def test_a_file_name_is_made_safe_to_keep_and_show(given, shown):
    assert display_name(given) == shown


def test_a_path_in_the_name_never_decides_where_the_file_goes(tmp_path):
    stored = store(tmp_path / "uploads", PDF, "../../outside.pdf")
    assert stored.original_name == "outside.pdf"
    assert not (tmp_path / "outside.pdf").exists()
    assert stored_path(tmp_path / "uploads", stored.sha256).is_file()


def test_serving_checks_the_content_still_has_its_sha256(tmp_path):
    stored = store(tmp_path, PDF, "a.pdf")
    assert verified_path(tmp_path, stored.sha256).read_bytes() == PDF
    stored_path(tmp_path, stored.sha256).write_bytes(PDF.replace(b"1.7", b"1.6"))
    with pytest.raises(DocumentError, match="corrupted"):
        verified_path(tmp_path, stored.sha256)
    stored_path(tmp_path, stored.sha256).unlink()
    with pytest.raises(DocumentError, match="missing"):
        verified_path(tmp_path, stored.sha256)


@pytest.mark.parametrize("bad", ["../../etc/passwd", "ABC", "g" * 64, "a" * 63])
def test_only_a_sha256_names_a_stored_file(tmp_path, bad):
    with pytest.raises(DocumentError, match="missing"):
        stored_path(tmp_path, bad)
