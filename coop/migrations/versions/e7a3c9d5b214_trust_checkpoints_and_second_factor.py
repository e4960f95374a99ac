"""trust: signed audit checkpoints, the second factor (TOTP) and its recovery codes

Revision ID: e7a3c9d5b214
Revises: e3b8c5d2f7a4
Create Date: 2026-12-04 19:00:00

Adds the user's TOTP secret, the time of its confirmation and the last time step accepted; one-time recovery
codes (their SHA-256 only); which factor each login attempt tried; the signed checkpoints of the audit trail;
and an index on the trail by entity, for a row's history and for comparing rows with it. Nothing is rewritten:
every user starts without a second factor (those who need one enrol at their next login).
"""
from alembic import op
import sqlalchemy as sa

from coop.models.base import UTCDateTime


# revision identifiers, used by Alembic.
revision = "e7a3c9d5b214"
down_revision = "e3b8c5d2f7a4"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("mfa_secret", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("mfa_enabled_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("mfa_last_step", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("login_attempt") as batch:
        batch.add_column(sa.Column("factor", sa.String(length=16), server_default="password", nullable=False))
    op.create_table(
        "mfa_recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_mfa_recovery_code_user_id_user_account"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mfa_recovery_code")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_mfa_recovery_code_code_hash")),
    )
    op.create_index(op.f("ix_mfa_recovery_code_user_id"), "mfa_recovery_code", ["user_id"], unique=False)
    op.create_table(
        "audit_checkpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_record_id", sa.Integer(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoint")),
    )
    op.create_index("ix_audit_record_entity", "audit_record", ["entity", "entity_id", "id"], unique=False)


def downgrade():
    op.drop_index("ix_audit_record_entity", table_name="audit_record")
    op.drop_table("audit_checkpoint")
    op.drop_index(op.f("ix_mfa_recovery_code_user_id"), table_name="mfa_recovery_code")
    op.drop_table("mfa_recovery_code")
    with op.batch_alter_table("login_attempt") as batch:
        batch.drop_column("factor")
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("mfa_last_step")
        batch.drop_column("mfa_enabled_at")
        batch.drop_column("mfa_secret")
