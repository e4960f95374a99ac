"""A version number on user accounts, so that an administrator's edit cannot silently overwrite another's.

Revision ID: e7a3c5f9b2d4
Revises: d9e4b6a1c8f2
Create Date: 2026-12-04

Existing accounts start at version 1 (the column's server default), as new ones do; nothing else changes.
"""
from alembic import op
import sqlalchemy as sa

revision = 'e7a3c5f9b2d4'
down_revision = 'd9e4b6a1c8f2'
branch_labels = None
depends_on = None


def upgrade():
    # ADD COLUMN with a constant default needs no table rebuild, on SQLite as on PostgreSQL.
    op.add_column('user_account', sa.Column('version', sa.Integer(), server_default='1', nullable=False))


def downgrade():
    with op.batch_alter_table('user_account') as batch_op:
        batch_op.drop_column('version')
