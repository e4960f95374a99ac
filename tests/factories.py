"""Small factories for test data; each takes the session and returns the object it added."""

from functools import cache
from itertools import count

from coop.domain.accounts import hash_password
from coop.models import Role, User

TEST_PASSWORD = "correct horse battery"
_sequence = count(1)


@cache
def _test_password_hash() -> str:
    # Hashing with argon2 takes tens of milliseconds; one hash serves every test user.
    return hash_password(TEST_PASSWORD)


def make_user(session, username: str | None = None, role: Role = Role.OFFICER, **fields) -> User:
    username = username or f"user{next(_sequence)}"
    user = User(
        username=username,
        full_name=fields.pop("full_name", username.title()),
        role=role,
        password_hash=fields.pop("password_hash", _test_password_hash()),
        **fields,
    )
    session.add(user)
    session.flush()
    return user
