"""A request's open deadlines by (request_id, state, due_at), so that the next-deadline queries have one sensible
plan even on a database that was never analysed.

Revision ID: e3b8c5d2f7a4
Revises: e5f1a7c3b920
Create Date: 2026-12-01

The new index starts with request_id, so it replaces the plain index on deadline.request_id (the foreign key's
lookups use its first column).
"""
from alembic import op

revision = 'e3b8c5d2f7a4'
down_revision = "e5f1a7c3b920"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_deadline_request_state_due_at', 'deadline', ['request_id', 'state', 'due_at'], unique=False)
    op.drop_index('ix_deadline_request_id', table_name='deadline')


def downgrade():
    op.create_index('ix_deadline_request_id', 'deadline', ['request_id'], unique=False)
    op.drop_index('ix_deadline_request_state_due_at', table_name='deadline')
