"""Personal API tokens: a user's named keys to the JSON API, each read-only or read-write."""

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coop.models.base import Base, utcnow
from coop.models.user import User, enum_column


class TokenScope(enum.StrEnum):
    READ = "read"
    WRITE = "write"  # read and write


class ApiToken(Base):
    """One personal token. Only the SHA-256 of its secret is kept: the token itself is shown once."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    # The public part of the token ("coop_<prefix>_<secret>"): finds the row, and tells tokens apart in lists.
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of the secret part, hex
    scope: Mapped[TokenScope] = mapped_column(enum_column(TokenScope))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    def is_usable(self, now: datetime) -> bool:
        """Not revoked, not expired, and its owner may still log in."""
        return (self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
                and self.user.active)

    @property
    def can_write(self) -> bool:
        return self.scope == TokenScope.WRITE

    def __repr__(self) -> str:
        return f"<ApiToken {self.prefix} {self.scope.value}>"
