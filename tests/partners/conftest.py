import pytest

from coop.extensions import db
from tests.factories import make_user


@pytest.fixture
def people(app):
    """An officer, a head and an administrator, committed."""
    users = {role: make_user(db.session, role, role=role) for role in ("officer", "head", "admin")}
    db.session.commit()
    return users
