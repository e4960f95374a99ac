"""The second factor: a TOTP authenticator (RFC 6238) and one-time recovery codes.

Functions that touch the database take a Session and never commit. A code is accepted once: the time step it
matched is stored, and a later login must match a later step (the user's row is locked while this is checked,
so two logins racing with the same code cannot both pass). Recovery codes are long random strings kept only as
their SHA-256 (their entropy, not a slow hash, is what makes them unguessable), each spent by a conditional
UPDATE so that it works exactly once.
"""

import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from coop.models import RecoveryCode, User

STEP_SECONDS = 30
DRIFT_STEPS = 1  # a phone's clock a step early or late still works
RECOVERY_CODE_COUNT = 10
# Lower-case letters and digits that cannot be mistaken for one another (no 0/o, 1/l/i).
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_GROUPS = 3  # xxxx-xxxx-xxxx: 12 characters of 31, about 59 bits


def is_required(role: str, required_roles: tuple[str, ...] | list[str], everyone: bool) -> bool:
    """Whether someone of `role` must have a second factor."""
    return everyone or str(role) in {str(item) for item in required_roles}


def new_secret() -> str:
    """A fresh shared secret: 32 base32 characters (160 bits, as RFC 4226 recommends)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, username: str, issuer: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=issuer)


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing it into an app by hand."""
    return " ".join(secret[index:index + 4] for index in range(0, len(secret), 4))


def _digits(text: str) -> str | None:
    compact = "".join((text or "").split())
    return compact if len(compact) == 6 and compact.isascii() and compact.isdigit() else None


def matching_step(secret: str, code: str, now: datetime, last_step: int | None) -> int | None:
    """The time step `code` is valid for around `now` and later than `last_step`, or None."""
    digits = _digits(code)
    if digits is None:
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // STEP_SECONDS
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), digits):
            return step
    return None


def new_recovery_codes(count: int = RECOVERY_CODE_COUNT) -> list[str]:
    return ["-".join("".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(4)) for _ in range(RECOVERY_GROUPS))
            for _ in range(count)]


def recovery_code_hash(code: str) -> str:
    """The SHA-256 of a recovery code as typed, ignoring case, spaces and dashes."""
    compact = "".join(char for char in (code or "").lower() if char.isalnum())
    return hashlib.sha256(compact.encode()).hexdigest()


# --- with the database ------------------------------------------------------------------------------------------

def _locked(session: Session, user: User) -> User:
    """`user` reloaded with its row locked for this transaction (PostgreSQL; SQLite's writes are serialised by
    BEGIN IMMEDIATE)."""
    return session.execute(select(User).where(User.id == user.id).with_for_update()
                           .execution_options(populate_existing=True)).scalar_one()


def start_enrolment(session: Session, user: User) -> str:
    """The secret to show while enrolling: the pending one if enrolment was started, else a new one."""
    if user.mfa_secret is None or user.mfa_enabled_at is not None:
        user.mfa_secret = new_secret()
        user.mfa_enabled_at = None
        user.mfa_last_step = None
    return user.mfa_secret


def confirm_enrolment(session: Session, user: User, code: str, now: datetime) -> list[str] | None:
    """Confirm the pending secret with a first code: the new recovery codes (shown once), or None if the code
    does not match."""
    user = _locked(session, user)
    if user.mfa_secret is None or user.mfa_enabled_at is not None:
        return None
    step = matching_step(user.mfa_secret, code, now, user.mfa_last_step)
    if step is None:
        return None
    user.mfa_enabled_at, user.mfa_last_step = now, step
    return replace_recovery_codes(session, user, now)


def check_code(session: Session, user: User, code: str, now: datetime) -> str | None:
    """Check a code typed at login: "totp" or "recovery" when it is accepted (and now spent), else None."""
    user = _locked(session, user)
    if not user.has_second_factor:
        return None
    step = matching_step(user.mfa_secret, code, now, user.mfa_last_step)
    if step is not None:
        user.mfa_last_step = step
        return "totp"
    if _digits(code) is not None:
        return None
    spent = session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == recovery_code_hash(code),
               RecoveryCode.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return "recovery" if spent.rowcount == 1 else None


def replace_recovery_codes(session: Session, user: User, now: datetime) -> list[str]:
    """New recovery codes for `user`, the old ones void; the codes themselves are returned, never stored."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = new_recovery_codes()
    session.add_all(RecoveryCode(user_id=user.id, code_hash=recovery_code_hash(code), created_at=now)
                    for code in codes)
    session.flush()
    return codes


def remaining_recovery_codes(session: Session, user: User) -> int:
    return session.scalar(select(func.count(RecoveryCode.id)).where(RecoveryCode.user_id == user.id,
                                                                    RecoveryCode.used_at.is_(None)))


def remove_second_factor(session: Session, user: User) -> None:
    """Forget `user`'s authenticator and recovery codes and end their sessions (an admin's reset, or the user
    replacing a lost phone); they enrol again at their next login if a second factor is required."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    # After the DELETE (which flushes): the user's changes make one audit record.
    user.mfa_secret = None
    user.mfa_enabled_at = None
    user.mfa_last_step = None
    user.revoke_sessions()
