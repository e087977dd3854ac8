"""audit chain version 2: per-event body digests

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07

From `audit_head.digests_from` on, an event's hash covers a digest of its body rather than the body itself
(reviews.audit), so an attestation can prove some events are in the chain without disclosing the others.
A new database hashes every event so (1); one that already has events keeps them as they are, for ever,
and starts version 2 with the next event (head + 1), so its chain and its checkpoints verify unchanged.
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('audit_head', schema=None) as batch_op:
        batch_op.add_column(sa.Column('digests_from', sa.Integer(), server_default='1', nullable=False))
    op.execute("UPDATE audit_head SET digests_from = seq + 1")


def downgrade() -> None:
    # Events hashed as version 2 would no longer verify under version 1: refuse rather than break the chain.
    bind = op.get_bind()
    head = bind.execute(sa.text("SELECT seq, digests_from FROM audit_head WHERE id = 1")).one()
    if head.seq >= head.digests_from:
        raise RuntimeError(
            f"events {head.digests_from}..{head.seq} are hashed as audit chain version 2: downgrading "
            "below 0009 would make them fail verification"
        )
    with op.batch_alter_table('audit_head', schema=None) as batch_op:
        batch_op.drop_column('digests_from')
