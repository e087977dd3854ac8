"""chat events

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24

Slack event ids already handled (retries are processed once).
"""
from alembic import op
import sqlalchemy as sa
import reviews.storage.dbtypes


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('chat_event',
    sa.Column('event_id', sa.String(length=100), nullable=False),
    sa.Column('received_at', reviews.storage.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_chat_event'))
    )


def downgrade() -> None:
    op.drop_table('chat_event')
