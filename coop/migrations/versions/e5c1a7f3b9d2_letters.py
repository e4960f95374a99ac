"""Letters: the templates they are drafted from, the outgoing register, its numbering.

Revision ID: e5c1a7f3b9d2
Revises: e7a3c9d5b214
Create Date: 2026-12-04

New tables only; nothing stored is changed. The built-in templates are added by `coop seed`.
"""
from alembic import op
import sqlalchemy as sa

import coop.models.base


# revision identifiers, used by Alembic.
revision = 'e5c1a7f3b9d2'
down_revision = "e7a3c9d5b214"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('letter_numbering',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pattern', sa.String(length=64), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', coop.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_letter_numbering_updated_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_letter_numbering'))
    )
    op.create_table('letter_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope_key', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('preservation', 'assistance', 'emergency', 'status_enquiry', 'extension', 'reply', name='letterkind', native_enum=False, length=32), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('request_type_id', sa.Integer(), nullable=True),
    sa.Column('legal_basis_id', sa.Integer(), nullable=True),
    sa.Column('partner_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('original_name', sa.String(length=255), nullable=True),
    sa.Column('builtin', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', coop.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', coop.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['legal_basis_id'], ['legal_basis.id'], name=op.f('fk_letter_template_legal_basis_id_legal_basis'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partner_id'], ['partner.id'], name=op.f('fk_letter_template_partner_id_partner'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['request_type_id'], ['request_type.id'], name=op.f('fk_letter_template_request_type_id_request_type'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_letter_template_updated_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_letter_template')),
    sa.UniqueConstraint('scope_key', name=op.f('uq_letter_template_scope_key'))
    )
    op.create_table('letter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=64), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('preservation', 'assistance', 'emergency', 'status_enquiry', 'extension', 'reply', name='letterkind', native_enum=False, length=32), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('state', sa.Enum('drafted', 'signed', 'sent', name='letterstate', native_enum=False, length=32), nullable=False),
    sa.Column('dated', sa.Date(), nullable=False),
    sa.Column('addressee', sa.Text(), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=True),
    sa.Column('deadline_id', sa.Integer(), nullable=True),
    sa.Column('missing', sa.Text(), nullable=True),
    sa.Column('draft_document_id', sa.Integer(), nullable=True),
    sa.Column('final_document_id', sa.Integer(), nullable=True),
    sa.Column('sent_event_id', sa.Integer(), nullable=True),
    sa.Column('sent_at', coop.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('drafted_by_id', sa.Integer(), nullable=True),
    sa.Column('drafted_at', coop.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['deadline_id'], ['deadline.id'], name=op.f('fk_letter_deadline_id_deadline'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['draft_document_id'], ['document.id'], name=op.f('fk_letter_draft_document_id_document'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['drafted_by_id'], ['user_account.id'], name=op.f('fk_letter_drafted_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['final_document_id'], ['document.id'], name=op.f('fk_letter_final_document_id_document'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['request_id'], ['cooperation_request.id'], name=op.f('fk_letter_request_id_cooperation_request'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sent_event_id'], ['request_event.id'], name=op.f('fk_letter_sent_event_id_request_event'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['template_id'], ['letter_template.id'], name=op.f('fk_letter_template_id_letter_template'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_letter')),
    sa.UniqueConstraint('number', name=op.f('uq_letter_number'))
    )
    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.create_index('ix_letter_dated', ['dated', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_letter_request_id'), ['request_id'], unique=False)



def downgrade():
    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_letter_request_id'))
        batch_op.drop_index('ix_letter_dated')

    op.drop_table('letter')
    op.drop_table('letter_template')
    op.drop_table('letter_numbering')
