"""revocations: one row per provider change, linked to every review item it ends

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07

Read and write on one store from one group membership are one change: one revocation, two items. The link
table `revocation_item` lists them; `review_item_id` unique there keeps "one revocation per reviewed item".
Existing revocations each become one link to their own item.
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'revocation_item',
        sa.Column('revocation_id', sa.Integer(), nullable=False),
        sa.Column('review_item_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['review_item_id'], ['review_item.id'], name=op.f('fk_revocation_item_review_item_id_review_item')),
        sa.ForeignKeyConstraint(['revocation_id'], ['revocation.id'], name=op.f('fk_revocation_item_revocation_id_revocation')),
        sa.PrimaryKeyConstraint('review_item_id', name=op.f('pk_revocation_item')),
    )
    op.create_index(op.f('ix_revocation_item_revocation_id'), 'revocation_item', ['revocation_id'], unique=False)
    op.execute(
        "INSERT INTO revocation_item (revocation_id, review_item_id) "
        "SELECT id, review_item_id FROM revocation WHERE review_item_id IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_index(op.f('ix_revocation_item_revocation_id'), table_name='revocation_item')
    op.drop_table('revocation_item')
