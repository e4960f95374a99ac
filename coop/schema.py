"""Is the database's schema the one this code expects? (Upgrades are never run at start-up.)"""

from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def expected_revisions() -> set[str]:
    return set(ScriptDirectory(str(MIGRATIONS)).get_heads())


def current_revisions(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def is_up_to_date(engine: Engine) -> bool:
    return current_revisions(engine) == expected_revisions()
