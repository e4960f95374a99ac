"""Dashboard tallies (counts by status and by month), open deadlines and officers' queues, kept in step with
every change.

Revision ID: d9e4b6a1c8f2
Revises: c2a7e51f0d3b
Create Date: 2026-11-29

The tallies are filled from the requests already stored, so the dashboard shows the same figures after the
upgrade as before it.
"""
from alembic import op
from flask import current_app
import sqlalchemy as sa

import coop.models.base

revision = 'd9e4b6a1c8f2'
down_revision = 'c2a7e51f0d3b'
branch_labels = None
depends_on = None

STATUSES = ('draft', 'legal_check', 'awaiting_approval', 'approved', 'translation', 'sent', 'forwarded',
            'acknowledged', 'additional_info_requested', 'partially_answered', 'evidence_reviewed', 'received',
            'registered', 'assessed', 'consultation', 'in_execution', 'answered', 'closed', 'postponed', 'refused',
            'no_data', 'expired', 'withdrawn')


def _direction():
    return sa.Enum('outgoing', 'incoming', name='direction', native_enum=False, length=32)


def _measure():
    return sa.Enum('sent', 'received', 'replied', 'refused', 'no_data', 'acknowledge', 'answer', name='measure',
                   native_enum=False, length=32)


def upgrade():
    op.create_table('status_tally',
    sa.Column('officer_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('status', sa.Enum(*STATUSES, name='status', native_enum=False, length=32), nullable=False),
    sa.Column('partner_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('request_type_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('direction', _direction(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('officer_id', 'status', 'partner_id', 'request_type_id', 'direction',
                            name=op.f('pk_status_tally')),
    sqlite_with_rowid=False
    )
    op.create_table('monthly_tally',
    sa.Column('officer_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('measure', _measure(), nullable=False),
    sa.Column('month_start', coop.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('partner_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('request_type_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('direction', _direction(), nullable=False),
    sa.Column('days', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('officer_id', 'measure', 'month_start', 'partner_id', 'request_type_id', 'direction',
                            'days', name=op.f('pk_monthly_tally')),
    sqlite_with_rowid=False
    )
    op.create_index('ix_monthly_tally_partner', 'monthly_tally',
                    ['officer_id', 'measure', 'partner_id', 'month_start', 'request_type_id', 'direction', 'days',
                     'count'], unique=False)
    op.create_table('monthly_kind_tally',
    sa.Column('officer_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('measure', _measure(), nullable=False),
    sa.Column('month_start', coop.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('partner_kind', sa.Enum('country', 'provider', name='partnerkind', native_enum=False, length=32),
              nullable=False),
    sa.Column('request_type_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('direction', _direction(), nullable=False),
    sa.Column('days', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('officer_id', 'measure', 'month_start', 'partner_kind', 'request_type_id', 'direction',
                            'days', name=op.f('pk_monthly_kind_tally')),
    sqlite_with_rowid=False
    )
    op.create_table('open_deadline',
    sa.Column('deadline_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('due_at', coop.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('request_type_id', sa.Integer(), nullable=False),
    sa.Column('direction', _direction(), nullable=False),
    sa.Column('request_status', sa.Enum(*STATUSES, name='status', native_enum=False, length=32), nullable=False),
    sa.ForeignKeyConstraint(['deadline_id'], ['deadline.id'], name=op.f('fk_open_deadline_deadline_id_deadline'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('deadline_id', name=op.f('pk_open_deadline'))
    )
    op.create_index('ix_open_deadline_due_at', 'open_deadline', ['due_at', 'deadline_id'], unique=False)
    op.create_index('ix_open_deadline_partner_id', 'open_deadline', ['partner_id', 'due_at'], unique=False)
    op.create_index(op.f('ix_open_deadline_request_id'), 'open_deadline', ['request_id'], unique=False)
    op.create_table('officer_queue',
    sa.Column('officer_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('request_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('urgency_rank', sa.Integer(), nullable=False),
    sa.Column('without_deadline', sa.Boolean(), nullable=False),
    sa.Column('next_due_at', coop.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['request_id'], ['cooperation_request.id'],
                            name=op.f('fk_officer_queue_request_id_cooperation_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('officer_id', 'request_id', name=op.f('pk_officer_queue'))
    )
    op.create_index('ix_officer_queue_order', 'officer_queue',
                    ['officer_id', 'urgency_rank', 'without_deadline', 'next_due_at', 'request_id'], unique=False)
    op.create_index(op.f('ix_officer_queue_request_id'), 'officer_queue', ['request_id'], unique=False)
    # Filled from the rows already stored: the dashboard shows the same figures after the upgrade as before. The
    # rebuild reads only columns that exist since the initial schema.
    from coop.domain import figures

    figures.rebuild(op.get_bind(), current_app.config["COOP_TIMEZONE"])


def downgrade():
    op.drop_table('officer_queue')
    op.drop_table('open_deadline')
    op.drop_table('monthly_kind_tally')
    op.drop_table('monthly_tally')
    op.drop_table('status_tally')
