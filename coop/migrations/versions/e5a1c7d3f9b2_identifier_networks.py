"""Identifiers marked as the same person's, and the networks of cases connected by shared identifiers.

Revision ID: e5a1c7d3f9b2
Revises: e7f4a2c9b5d1
Create Date: 2026-12-04

The networks are counted from the identifiers already stored, so the head's list of networks is complete right
after the upgrade.
"""
from alembic import op
import sqlalchemy as sa

import coop.models.base

revision = 'e5a1c7d3f9b2'
down_revision = "e7f4a2c9b5d1"
branch_labels = None
depends_on = None

KINDS = ('account', 'phone', 'email', 'ip', 'transaction', 'wallet', 'domain')


def _kind():
    return sa.Enum(*KINDS, name='identifierkind', native_enum=False, length=32)


def upgrade():
    op.create_table('identifier_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind_a', _kind(), nullable=False),
    sa.Column('normalized_a', sa.String(length=500), nullable=False),
    sa.Column('kind_b', _kind(), nullable=False),
    sa.Column('normalized_b', sa.String(length=500), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', coop.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'],
                            name=op.f('fk_identifier_link_created_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identifier_link')),
    sa.UniqueConstraint('kind_a', 'normalized_a', 'kind_b', 'normalized_b',
                        name=op.f('uq_identifier_link_kind_a_normalized_a_kind_b_normalized_b'))
    )
    op.create_index('ix_identifier_link_b', 'identifier_link', ['kind_b', 'normalized_b'], unique=False)
    op.create_table('network',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('case_count', sa.Integer(), nullable=False),
    sa.Column('request_count', sa.Integer(), nullable=False),
    sa.Column('identifier_count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_network'))
    )
    op.create_index('ix_network_size', 'network', ['case_count', 'request_count', 'id'], unique=False)
    op.create_table('case_network',
    sa.Column('case_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('network_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['criminal_case.id'], name=op.f('fk_case_network_case_id_criminal_case'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_case_network'))
    )
    op.create_index(op.f('ix_case_network_network_id'), 'case_network', ['network_id'], unique=False)
    op.create_index('ix_cooperation_request_case_progress', 'cooperation_request',
                    ['case_id', 'direction', 'status', 'sent_at', 'answered_at', 'partner_id'], unique=False)
    # Counted from the identifiers already stored (columns that exist since the initial schema).
    from coop.domain import networks

    networks.rebuild(op.get_bind())


def downgrade():
    op.drop_index('ix_cooperation_request_case_progress', table_name='cooperation_request')
    op.drop_index(op.f('ix_case_network_network_id'), table_name='case_network')
    op.drop_table('case_network')
    op.drop_index('ix_network_size', table_name='network')
    op.drop_table('network')
    op.drop_index('ix_identifier_link_b', table_name='identifier_link')
    op.drop_table('identifier_link')
