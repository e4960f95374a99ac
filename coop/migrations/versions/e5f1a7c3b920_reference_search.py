"""partner references found by their exact number, criminal case numbers in the text search

Revision ID: e5f1a7c3b920
Revises: e7a3c5f9b2d4
Create Date: 2026-12-04

The request list's text search finds a request by the number of its criminal case (its register number) and by
a partner's reference typed with other separators or letter case: `partner_reference.reference_key` holds the
reference's letters and digits in lower case (filled here from the rows already there), with an index for the
exact look-up; the case numbers get the same trigram index as the other searched columns (an FTS5 table kept in
step by triggers on SQLite, a pg_trgm GIN index on PostgreSQL).

The SQL is written out here rather than imported from coop.models, so that this migration keeps doing what it
did when the models change.
"""
from alembic import op
import sqlalchemy as sa


revision = "e5f1a7c3b920"
down_revision = "e7a3c5f9b2d4"
branch_labels = None
depends_on = None

BATCH = 5000


def _key(reference: str) -> str:
    return "".join(character for character in (reference or "").casefold() if character.isalnum())[:120]


def _fill_reference_keys() -> None:
    connection = op.get_bind()
    table = sa.table("partner_reference", sa.column("id", sa.Integer), sa.column("reference", sa.String),
                     sa.column("reference_key", sa.String))
    last_id = 0
    while True:
        rows = connection.execute(sa.select(table.c.id, table.c.reference).where(table.c.id > last_id)
                                  .order_by(table.c.id).limit(BATCH)).all()
        if not rows:
            return
        connection.execute(table.update().where(table.c.id == sa.bindparam("row_id"))
                           .values(reference_key=sa.bindparam("key")),
                           [{"row_id": row_id, "key": _key(reference)} for row_id, reference in rows])
        last_id = rows[-1][0]


def upgrade():
    # A plain ADD COLUMN (no table rebuild on SQLite: the FTS triggers of partner_reference stay).
    op.add_column("partner_reference", sa.Column("reference_key", sa.String(length=120), nullable=False,
                                                 server_default=""))
    _fill_reference_keys()
    op.create_index("ix_partner_reference_reference_key", "partner_reference", ["reference_key"])
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        forget = ("INSERT INTO criminal_case_fts(criminal_case_fts, rowid, number) "
                  "VALUES ('delete', old.id, old.number);")
        learn = "INSERT INTO criminal_case_fts(rowid, number) VALUES (new.id, new.number);"
        for statement in (
            "CREATE VIRTUAL TABLE criminal_case_fts USING fts5(number, content='criminal_case', content_rowid='id', "
            "tokenize='trigram')",
            f"CREATE TRIGGER criminal_case_fts_insert AFTER INSERT ON criminal_case BEGIN {learn} END",
            f"CREATE TRIGGER criminal_case_fts_delete AFTER DELETE ON criminal_case BEGIN {forget} END",
            f"CREATE TRIGGER criminal_case_fts_update AFTER UPDATE OF number ON criminal_case BEGIN {forget} {learn} END",
            "INSERT INTO criminal_case_fts(criminal_case_fts) VALUES ('rebuild')",
        ):
            op.execute(statement)
    elif dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_criminal_case_number_trgm ON criminal_case USING gin (lower(number) gin_trgm_ops)")


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS criminal_case_fts_{trigger}")
        op.execute("DROP TABLE IF EXISTS criminal_case_fts")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_criminal_case_number_trgm")
    op.drop_index("ix_partner_reference_reference_key", table_name="partner_reference")
    # SQLite 3.35+ drops a column in place (the FTS triggers of partner_reference do not name it).
    op.drop_column("partner_reference", "reference_key")
