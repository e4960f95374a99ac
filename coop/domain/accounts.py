"""Passwords, their policy, and the throttling of failed logins."""

from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.models import LoginAttempt, User

# argon2id with the library's defaults (RFC 9106 low-memory profile).
PRODUCTION_HASHER = PasswordHasher()
_hasher = PRODUCTION_HASHER

# The handful of passwords every attacker tries first; length does the rest.
COMMON_PASSWORDS = frozenset(
    {"password", "password1", "password123", "qwerty", "qwertyuiop", "1234567890", "12345678910",
     "123456789", "iloveyou", "admin12345", "parol12345", "qwerty12345", "1q2w3e4r5t"}
)


class PasswordProblem(Exception):
    """A password that the policy refuses; `code` names the rule it breaks."""

    def __init__(self, code: str, minimum_length: int = 0):
        super().__init__(code)
        self.code = code
        self.minimum_length = minimum_length


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def check_password_policy(password: str, username: str, minimum_length: int) -> None:
    """Raise PasswordProblem when `password` is too weak for `username`."""
    if len(password) < minimum_length:
        raise PasswordProblem("too_short", minimum_length)
    lowered = password.lower()
    if username and username.lower() in lowered:
        raise PasswordProblem("contains_username")
    if lowered in COMMON_PASSWORDS or len(set(password)) < 4:
        raise PasswordProblem("too_common")


def recent_failed_logins(session: Session, username: str, now: datetime, window: timedelta) -> int:
    """How many failed logins `username` had in the `window` before `now`."""
    return session.scalar(
        select(func.count(LoginAttempt.id)).where(
            LoginAttempt.username == username,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.attempted_at > now - window,
        )
    )


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with these credentials, or None; the same answer for unknown user and bad password."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        # Spend the same time as a real check so response times do not reveal which usernames exist.
        verify_password(_DUMMY_HASH, password)
        return None
    if not verify_password(user.password_hash, password) or not user.active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


_DUMMY_HASH = _hasher.hash("not a real password")


def use_hasher(hasher: PasswordHasher) -> None:
    """Hash and verify with `hasher` from now on. The tests use cheap parameters: at the production ones every
    login costs tens of milliseconds of CPU (seconds on a loaded machine), thousands of times per run."""
    global _hasher, _DUMMY_HASH
    _hasher = hasher
    _DUMMY_HASH = hasher.hash("not a real password")
