"""Demo data: a believable department, so that a first look at coop shows real work."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.domain.accounts import hash_password
from coop.models import Role, User

DEMO_PASSWORD = "Demo-coop-2026"  # noqa: S105  (printed to the user on purpose)
DEMO_LOGINS = [
    ("officer", DEMO_PASSWORD, "liaison officer"),
    ("head", DEMO_PASSWORD, "department head"),
    ("admin", DEMO_PASSWORD, "administrator"),
]

DEMO_PEOPLE = [
    ("officer", "Айдар Сейтказиев", Role.OFFICER),
    ("head", "Гульнара Ахметова", Role.HEAD),
    ("admin", "Ерлан Жумабаев", Role.ADMIN),
    ("d.nurlanov", "Данияр Нурланов", Role.OFFICER),
    ("a.karimova", "Асель Каримова", Role.OFFICER),
    ("m.ivanov", "Максим Иванов", Role.OFFICER),
]


def load_demo_data(session: Session) -> str:
    """Fill an empty database with the demo department; return what was done, in one line."""
    if session.scalar(select(func.count(User.id))):
        return "The database already has users: demo data not loaded."
    password_hash = hash_password(DEMO_PASSWORD)
    for username, full_name, role in DEMO_PEOPLE:
        session.add(User(username=username, full_name=full_name, role=role, password_hash=password_hash,
                         email=f"{username}@cyber.police.kz"))
    session.commit()
    return f"Demo data loaded: {len(DEMO_PEOPLE)} users."
