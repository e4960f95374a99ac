"""Kazakh names, notes, descriptions and advice for the reference data

Revision ID: e7f4a2c9b5d1
Revises: e5c1a7f3b9d2
Create Date: 2026-12-04

Legal bases and request types get a Kazakh name beside the Russian and English ones (partners already have
one), with Kazakh notes and descriptions; deadline rules get Kazakh advice. Rows seeded before this upgrade get
the seed file's Kazakh texts while their Russian text is still the seeded one (coop.domain.reference_translations);
the others stay empty and show in Russian until an administrator writes them.
"""
from alembic import op
import sqlalchemy as sa

revision = 'e7f4a2c9b5d1'
down_revision = "e5c1a7f3b9d2"
branch_labels = None
depends_on = None

NEW_COLUMNS = {
    'legal_basis': (('name_kk', sa.String(length=300)), ('notes_kk', sa.Text())),
    'request_type': (('name_kk', sa.String(length=300)), ('description_kk', sa.Text())),
    'deadline_rule': (('advice_kk', sa.Text()),),
}


def upgrade():
    for table, columns in NEW_COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, type_ in columns:
                batch_op.add_column(sa.Column(name, type_, nullable=True))

    from coop.domain.reference_translations import fill_kazakh_texts

    fill_kazakh_texts(op.get_bind())


def downgrade():
    for table, columns in NEW_COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, _type in reversed(columns):
                batch_op.drop_column(name)
