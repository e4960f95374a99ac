"""Personal API tokens: issuing one, finding the token a client presents, revoking it.

A token reads "coop_<prefix>_<secret>". The prefix finds the row and is shown in lists; only the SHA-256
of the secret is stored, so the token itself exists once, in the answer to the person who created it.
The secret carries 256 random bits: a plain hash is enough, there is nothing to guess.
"""

import hashlib
import hmac
import secrets
import string
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from coop.models import ApiToken, TokenScope, User

TOKEN_START = "coop_"  # noqa: S105  (the public start of every token, not a secret)
PREFIX_LENGTH = 10
NAME_MAX_LENGTH = 100
MAX_TOKENS_PER_USER = 20  # usable ones: enough for every system a person connects
# Writing the last use on every call would be one more write per request; a minute is precise enough.
LAST_USED_PRECISION = timedelta(minutes=1)
_PREFIX_ALPHABET = string.ascii_lowercase + string.digits


class TokenProblem(Exception):
    """A token refused; `code` names why (name_required, name_too_long, name_taken, too_many, not_yours...)."""

    def __init__(self, code: str, field: str | None = None):
        super().__init__(code)
        self.code = code
        self.field = field


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def usable_tokens(session: Session, user: User, now: datetime) -> list[ApiToken]:
    """The user's tokens that still work, newest first."""
    tokens = session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.id.desc())
    )
    return [token for token in tokens if token.expires_at is None or token.expires_at > now]


def issue_token(session: Session, user: User, name: str, scope: TokenScope, now: datetime,
                valid_days: int | None) -> tuple[ApiToken, str]:
    """Create a token for `user`; returns it and the full token text, which is never stored and never shown again.

    `valid_days` None means the token does not expire (it can still be revoked).
    """
    name = " ".join((name or "").split())
    if not name:
        raise TokenProblem("name_required", "name")
    if len(name) > NAME_MAX_LENGTH:
        raise TokenProblem("name_too_long", "name")
    usable = usable_tokens(session, user, now)
    if any(token.name.casefold() == name.casefold() for token in usable):
        raise TokenProblem("name_taken", "name")
    if len(usable) >= MAX_TOKENS_PER_USER:
        raise TokenProblem("too_many")
    if valid_days is not None and valid_days < 1:
        raise TokenProblem("invalid_validity", "valid_days")
    prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(PREFIX_LENGTH))
    secret = secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name, prefix=prefix, token_hash=_secret_hash(secret), scope=TokenScope(scope),
                     created_at=now, expires_at=now + timedelta(days=valid_days) if valid_days else None)
    session.add(token)
    session.flush()
    return token, f"{TOKEN_START}{prefix}_{secret}"


def split_token(presented: str) -> tuple[str, str] | None:
    """(prefix, secret) of a token as a client sends it, or None if it cannot be one of ours."""
    if not presented.startswith(TOKEN_START):
        return None
    prefix, separator, secret = presented[len(TOKEN_START):].partition("_")
    if not separator or len(prefix) != PREFIX_LENGTH or not secret or len(secret) > 100:
        return None
    return prefix, secret


def find_token(session: Session, presented: str, now: datetime) -> ApiToken | None:
    """The usable token `presented` is, or None (unknown, wrong secret, revoked, expired, owner deactivated)."""
    parts = split_token(presented.strip())
    if parts is None:
        return None
    prefix, secret = parts
    token = session.scalar(select(ApiToken).where(ApiToken.prefix == prefix).options(joinedload(ApiToken.user)))
    if token is None or not hmac.compare_digest(token.token_hash, _secret_hash(secret)):
        return None
    return token if token.is_usable(now) else None


def note_use(session: Session, token: ApiToken, now: datetime) -> bool:
    """Record that the token was just used; False when it was already noted within the last minute.

    A plain UPDATE, not a change of the ORM object: the audit trail records changes people make, not each call.
    """
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_PRECISION:
        return False
    session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now)
                    .execution_options(synchronize_session=False))
    set_committed_value(token, "last_used_at", now)
    return True


def revoke_token(session: Session, user: User, token_id: int, now: datetime) -> ApiToken:
    """Revoke one of `user`'s own tokens (revoking a revoked token changes nothing)."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise TokenProblem("not_yours")
    if token.revoked_at is None:
        token.revoked_at = now
        session.flush()
    return token
