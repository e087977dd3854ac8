"""audit checkpoints and retention

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24

Chain heads recorded hourly (audit_checkpoint, with where their write-once copy went) and where the chain
starts once old events have been purged (audit_base: one row, the genesis hash until the first purge).
"""
from alembic import op
import sqlalchemy as sa
import reviews.storage.dbtypes


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_checkpoint',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', reviews.storage.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('written_to', sa.String(), nullable=True),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_checkpoint'))
    )
    audit_base = op.create_table('audit_base',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('purged_at', reviews.storage.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('purged_by', sa.String(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_base'))
    )
    # Nothing purged yet: the chain starts from the genesis hash (reviews.audit).
    op.bulk_insert(audit_base, [{'id': 1, 'seq': 0, 'hash': '0' * 64}])


def downgrade() -> None:
    op.drop_table('audit_base')
    op.drop_table('audit_checkpoint')
