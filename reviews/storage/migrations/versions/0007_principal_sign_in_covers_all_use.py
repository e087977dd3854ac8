"""principal sign-in covers all use, and until when it was observed

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24

Whether a principal's last sign-in covers every way it can authenticate (Entra signInActivity with
non-interactive sign-ins, cloud-only users), so recommendations may use it as an upper bound on the use of
grants whose own use nobody measures, and until when the source observed (Entra: when sign-ins were read),
the moment that bound holds up to. Existing rows get false and null (no bound) until their source next syncs.
"""
from alembic import op
import sqlalchemy as sa
import reviews.storage.dbtypes


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('principal', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_sign_in_covers_all_use', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('last_sign_in_observed_until', reviews.storage.dbtypes.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('principal', schema=None) as batch_op:
        batch_op.drop_column('last_sign_in_observed_until')
        batch_op.drop_column('last_sign_in_covers_all_use')
