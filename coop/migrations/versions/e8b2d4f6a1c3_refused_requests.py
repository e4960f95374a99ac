"""Refused requests with the reason their partner gave, projected beside the tallies, so that a partner's scorecard
counts its refusal reasons without reading the history of each refused request.

Revision ID: e8b2d4f6a1c3
Revises: e5a1c7d3f9b2
Create Date: 2026-12-07

Filled from the requests and histories already stored, so the scorecard shows the same reasons after the upgrade.
"""
from alembic import op
import sqlalchemy as sa

revision = 'e8b2d4f6a1c3'
down_revision = "e5a1c7d3f9b2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('refused_request',
    sa.Column('request_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('request_type_id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.Enum('outgoing', 'incoming', name='direction', native_enum=False, length=32),
              nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['request_id'], ['cooperation_request.id'],
                            name=op.f('fk_refused_request_request_id_cooperation_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('request_id', name=op.f('pk_refused_request'))
    )
    op.create_index(op.f('ix_refused_request_partner_id'), 'refused_request', ['partner_id'], unique=False)
    # Projected from the requests and their histories (columns that exist since the initial schema).
    from coop.domain import figures
    figures.project_refused_requests(op.get_bind())


def downgrade():
    op.drop_index(op.f('ix_refused_request_partner_id'), table_name='refused_request')
    op.drop_table('refused_request')
