"""People who use coop, their roles, and the record of login attempts."""

import enum
import secrets
from datetime import datetime

from sqlalchemy import BigInteger, Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from coop.models.base import Base, utcnow


class Role(enum.StrEnum):
    OFFICER = "officer"
    HEAD = "head"
    ADMIN = "admin"


def enum_column(enum_class: type[enum.Enum]) -> Enum:
    """A portable enum column that stores the members' values (not names) as strings."""
    return Enum(
        enum_class,
        native_enum=False,
        length=32,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    role: Mapped[Role] = mapped_column(enum_column(Role), default=Role.OFFICER)
    active: Mapped[bool] = mapped_column(default=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    # Part of the login cookie; replacing it signs out every session of this user at once.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    locale: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # Optimistic locking: an administrator's edit names the version it started from.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    # The second factor (TOTP, RFC 6238): the shared secret (base32), set when enrolment starts and confirmed
    # by a first valid code (mfa_enabled_at); the last time step accepted, so that a code works only once.
    mfa_secret: Mapped[str | None] = mapped_column(String(64))
    mfa_enabled_at: Mapped[datetime | None]
    mfa_last_step: Mapped[int | None] = mapped_column(BigInteger)

    # Flask-Login's protocol.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def revoke_sessions(self) -> None:
        """Sign this user out everywhere (logout, password change, deactivation)."""
        self.session_token = new_session_token()

    @property
    def has_second_factor(self) -> bool:
        """Whether this user has a confirmed authenticator."""
        return self.mfa_secret is not None and self.mfa_enabled_at is not None

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_head(self) -> bool:
        return self.role == Role.HEAD

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role.value}>"


class LoginAttempt(Base):
    """One login attempt; failures are counted here so every worker sees the same number."""

    __tablename__ = "login_attempt"
    __table_args__ = (Index("ix_login_attempt_username_at", "username", "attempted_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    succeeded: Mapped[bool]
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    # "password" or "second_factor": failures of both count towards the same lock-out.
    factor: Mapped[str] = mapped_column(String(16), default="password", server_default="password")


class RecoveryCode(Base):
    """A one-time code that stands in for the authenticator once (a lost phone); only its SHA-256 is kept."""

    __tablename__ = "mfa_recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]
