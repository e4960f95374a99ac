"""Files attached to requests: stored outside the web root under the SHA-256 of their content.

A file is streamed to a temporary file in the upload folder while its SHA-256 and size are computed,
checked (size, extension, and that the content really is of that type), then renamed into
<folder>/<sha[:2]>/<sha>. The rename is atomic, so a reader never sees half a file, and the same content
uploaded twice is stored once. The name the user gave is kept only as data, never as a path.
"""

import hashlib
import os
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK = 64 * 1024
SNIFF_BYTES = 8 * 1024
SHA256_PATTERN = re.compile(r"[0-9a-f]{64}")

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy Office files and Outlook messages
ZIP = (b"PK\x03\x04", b"PK\x05\x06")


@dataclass(frozen=True)
class FileType:
    content_type: str
    magic: tuple[bytes, ...] = ()  # the content starts with one of these
    text: bool = False  # plain text: no NUL bytes, readable as UTF-8 or Windows-1251
    zip_member: str | None = None  # an Office Open XML file: the zip holds this member
    opendocument: str | None = None  # an OpenDocument file: its "mimetype" member says this


ALLOWED_TYPES: dict[str, FileType] = {
    "pdf": FileType("application/pdf", (b"%PDF-",)),
    "doc": FileType("application/msword", (OLE2,)),
    "xls": FileType("application/vnd.ms-excel", (OLE2,)),
    "msg": FileType("application/vnd.ms-outlook", (OLE2,)),
    "docx": FileType("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ZIP,
                     zip_member="word/document.xml"),
    "xlsx": FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ZIP,
                     zip_member="xl/workbook.xml"),
    "odt": FileType("application/vnd.oasis.opendocument.text", ZIP,
                    opendocument="application/vnd.oasis.opendocument.text"),
    "ods": FileType("application/vnd.oasis.opendocument.spreadsheet", ZIP,
                    opendocument="application/vnd.oasis.opendocument.spreadsheet"),
    "rtf": FileType("application/rtf", (b"{\\rtf",)),
    "txt": FileType("text/plain", text=True),
    "csv": FileType("text/csv", text=True),
    "eml": FileType("message/rfc822", text=True),
    "jpg": FileType("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": FileType("image/jpeg", (b"\xff\xd8\xff",)),
    "png": FileType("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "gif": FileType("image/gif", (b"GIF87a", b"GIF89a")),
    "tif": FileType("image/tiff", (b"II*\x00", b"MM\x00*")),
    "tiff": FileType("image/tiff", (b"II*\x00", b"MM\x00*")),
    "zip": FileType("application/zip", ZIP),
}


class DocumentError(Exception):
    """An upload refused or a stored file that cannot be served; `code` names why."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class StoredFile:
    """What was stored: the content's SHA-256, its size, its type and the name to show."""

    sha256: str
    size: int
    content_type: str
    original_name: str


def display_name(name: str | None) -> str:
    """The user's file name made safe to keep and show: no folders, no control characters, at most 255 long."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(char for char in name if unicodedata.category(char)[0] != "C")
    name = " ".join(name.split()).strip(" .")
    if not name:
        return "document"
    stem, dot, extension = name.rpartition(".")
    if len(name) > 255:
        name = stem[: 255 - len(extension) - 1] + dot + extension if dot and len(extension) < 16 else name[:255]
    return name


def extension_of(name: str) -> str:
    _stem, dot, extension = name.rpartition(".")
    return extension.lower() if dot else ""


def store_upload(stream: BinaryIO, original_name: str | None, folder: Path, max_bytes: int) -> StoredFile:
    """Store the content of `stream` under its SHA-256 in `folder`; raise DocumentError when refused.

    Codes: empty, too_large, type_not_allowed (by the name's extension), content_mismatch (the content is
    not what the extension says).
    """
    name = display_name(original_name)
    file_type = ALLOWED_TYPES.get(extension_of(name))
    if file_type is None:
        raise DocumentError("type_not_allowed")
    staging = Path(folder) / "tmp"
    staging.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=staging, prefix="upload-")
    temporary = Path(temporary)
    try:
        digest, size, head = _copy_counting(stream, handle, max_bytes)
        if size == 0:
            raise DocumentError("empty")
        if not _content_matches(file_type, head, temporary):
            raise DocumentError("content_mismatch")
        sha256 = digest.hexdigest()
        final = stored_path(folder, sha256)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(temporary, 0o640)
        os.replace(temporary, final)  # the same content may already be there: it is the same bytes
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return StoredFile(sha256, size, file_type.content_type, name)


def _copy_counting(stream: BinaryIO, handle: int, max_bytes: int):
    digest = hashlib.sha256()
    size = 0
    head = b""
    with os.fdopen(handle, "wb") as target:
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise DocumentError("too_large")
            digest.update(chunk)
            if len(head) < SNIFF_BYTES:
                head += chunk[: SNIFF_BYTES - len(head)]
            target.write(chunk)
        target.flush()
        os.fsync(target.fileno())
    return digest, size, head


def _content_matches(file_type: FileType, head: bytes, path: Path) -> bool:
    if file_type.text:
        return _is_text(head)
    if not head.startswith(file_type.magic):
        return False
    if file_type.zip_member or file_type.opendocument:
        return _office_zip_matches(file_type, path)
    return True


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
        return True
    except UnicodeDecodeError as error:
        if error.start >= len(head) - 3:  # the sample cut a multi-byte character in half
            return True
    try:
        head.decode("cp1251")  # Russian text saved by older Windows programs
        return True
    except UnicodeDecodeError:
        return False


def _office_zip_matches(file_type: FileType, path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            if file_type.zip_member:
                return file_type.zip_member in archive.namelist()
            info = archive.getinfo("mimetype")
            return info.file_size < 200 and archive.read(info).decode("ascii").strip() == file_type.opendocument
    except (zipfile.BadZipFile, KeyError, UnicodeDecodeError, OSError):
        return False


def stored_path(folder: Path, sha256: str) -> Path:
    """Where the content with this SHA-256 lives (the hash is checked, so it can never name another path)."""
    if not SHA256_PATTERN.fullmatch(sha256):
        raise DocumentError("missing")
    return Path(folder) / sha256[:2] / sha256


def verified_path(folder: Path, sha256: str) -> Path:
    """The stored file, after checking that its content still has this SHA-256; raise missing or corrupted."""
    path = stored_path(folder, sha256)
    digest = hashlib.sha256()
    try:
        with path.open("rb") as stored:
            for chunk in _chunks(stored):
                digest.update(chunk)
    except FileNotFoundError:
        raise DocumentError("missing") from None
    if digest.hexdigest() != sha256:
        raise DocumentError("corrupted")
    return path


def _chunks(stream: BinaryIO) -> Iterator[bytes]:
    while chunk := stream.read(CHUNK):
        yield chunk
