"""revocations: read back, then confirmed or survived at the source

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07

"Verified" now means the access is gone at the source, as the next sync of the store's system reads it, not
that the change read back. `read_back_at`: when the change (or the target's absence) was read back;
`survived_at` and `surviving_path`: when a later sync still found the same access, and through what.
Revocations verified under the old meaning keep their state; their read-back time is their verification time.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
import reviews.storage.dbtypes


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('revocation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('read_back_at', reviews.storage.dbtypes.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('survived_at', reviews.storage.dbtypes.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('surviving_path', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))
    op.execute("UPDATE revocation SET read_back_at = verified_at WHERE verified_at IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table('revocation', schema=None) as batch_op:
        batch_op.drop_column('surviving_path')
        batch_op.drop_column('survived_at')
        batch_op.drop_column('read_back_at')
