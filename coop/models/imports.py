"""Spreadsheets of existing requests being imported: the file (kept only until it is imported) and the result."""

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coop.models.base import Base, utcnow
from coop.models.user import User, enum_column


class ImportState(enum.StrEnum):
    UPLOADED = "uploaded"  # waiting for its columns to be mapped and its preview to be checked
    IMPORTED = "imported"
    CANCELLED = "cancelled"  # given up by the user, or left too long: the file is deleted either way


class ImportBatch(Base):
    """One uploaded spreadsheet. The file lives under a generated name outside the web root, never served."""

    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    original_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    file_format: Mapped[str] = mapped_column(String(8))  # csv, xlsx
    stored_name: Mapped[str | None] = mapped_column(String(80))  # None once the file is deleted
    row_count: Mapped[int] = mapped_column(default=0)
    # {"columns": {"<column index>": "<import field>"}, "default_request_type": "<code>" | None}
    mapping: Mapped[dict | None] = mapped_column(JSON)
    state: Mapped[ImportState] = mapped_column(enum_column(ImportState), default=ImportState.UPLOADED)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    imported_count: Mapped[int] = mapped_column(default=0)
    duplicate_count: Mapped[int] = mapped_column(default=0)
    problem_count: Mapped[int] = mapped_column(default=0)
    # What happened to each row: {"imported": [[row, request id, reference]], "already": [[row, reference]],
    # "duplicates": [[row, earlier row]], "problems": [[row, [message, ...]]]}
    report: Mapped[dict | None] = mapped_column(JSON)

    user: Mapped[User] = relationship()
