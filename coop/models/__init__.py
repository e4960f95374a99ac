"""All models, imported here so that metadata and Alembic see every table."""

from coop.models.base import Base, UTCDateTime, utcnow
from coop.models.user import LoginAttempt, Role, User

__all__ = ["Base", "LoginAttempt", "Role", "UTCDateTime", "User", "utcnow"]
