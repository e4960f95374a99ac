"""request text search: trigram indexes, the list's order, follow-ups

Revision ID: c2a7e51f0d3b
Revises: bf4efdf71b70
Create Date: 2026-11-29 09:00:00

Indexes the columns the request list's text search looks in (an FTS5 trigram table kept in step by triggers on
SQLite, pg_trgm GIN indexes on PostgreSQL) and fills them from the rows already there. For the list's pages and
counts: its default order (creation time, id) with what an officer's visibility needs, `restricted` alone, and
an officer's requests (user, request). For a request's page: only the requests that follow another.

The SQL is written out here rather than imported from coop.models, so that this migration keeps doing what it
did when the models change.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "c2a7e51f0d3b"
down_revision = "bf4efdf71b70"
branch_labels = None
depends_on = None

SEARCHED_COLUMNS = {
    "cooperation_request": ("reference", "title"),
    "partner_reference": ("reference",),
    "identifier": ("value", "normalized"),
}
TRIGGERS = ("insert", "delete", "update")


def _sqlite_search_ddl(table: str) -> list[str]:
    fts, columns = f"{table}_fts", SEARCHED_COLUMNS[table]
    names = ", ".join(columns)
    new_values = ", ".join(f"new.{column}" for column in columns)
    old_values = ", ".join(f"old.{column}" for column in columns)
    forget = f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old_values});"
    learn = f"INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new_values});"
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5({names}, content='{table}', content_rowid='id', "
        "tokenize='trigram')",
        f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN {learn} END",
        f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN {forget} END",
        f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {names} ON {table} BEGIN {forget} {learn} END",
        # Index the rows already there.
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
    ]


def upgrade():
    op.drop_index("ix_cooperation_request_created_at", table_name="cooperation_request")
    op.create_index("ix_cooperation_request_created_at", "cooperation_request", ["created_at", "id", "restricted"])
    op.create_index("ix_cooperation_request_restricted", "cooperation_request", ["restricted"])
    op.drop_index("ix_request_officer_user_id", table_name="request_officer")
    op.create_index("ix_request_officer_user_id", "request_officer", ["user_id", "request_id"])
    op.drop_index("ix_cooperation_request_follows_id", table_name="cooperation_request")
    op.create_index("ix_cooperation_request_follows_id", "cooperation_request", ["follows_id"],
                    sqlite_where=sa.text("follows_id IS NOT NULL"), postgresql_where=sa.text("follows_id IS NOT NULL"))
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for table in SEARCHED_COLUMNS:
            for statement in _sqlite_search_ddl(table):
                op.execute(statement)
    elif dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for table, columns in SEARCHED_COLUMNS.items():
            for column in columns:
                op.execute(f"CREATE INDEX ix_{table}_{column}_trgm ON {table} USING gin (lower({column}) gin_trgm_ops)")


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for table in SEARCHED_COLUMNS:
            for trigger in TRIGGERS:
                op.execute(f"DROP TRIGGER IF EXISTS {table}_fts_{trigger}")
            op.execute(f"DROP TABLE IF EXISTS {table}_fts")
    elif dialect == "postgresql":
        # pg_trgm stays installed: it may have been there before, and other objects may use it.
        for table, columns in SEARCHED_COLUMNS.items():
            for column in columns:
                op.execute(f"DROP INDEX IF EXISTS ix_{table}_{column}_trgm")
    op.drop_index("ix_cooperation_request_follows_id", table_name="cooperation_request")
    op.create_index("ix_cooperation_request_follows_id", "cooperation_request", ["follows_id"])
    op.drop_index("ix_request_officer_user_id", table_name="request_officer")
    op.create_index("ix_request_officer_user_id", "request_officer", ["user_id"])
    op.drop_index("ix_cooperation_request_restricted", table_name="cooperation_request")
    op.drop_index("ix_cooperation_request_created_at", table_name="cooperation_request")
    op.create_index("ix_cooperation_request_created_at", "cooperation_request", ["created_at"])
