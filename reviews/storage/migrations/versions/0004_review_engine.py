"""review engine

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24

Campaigns, decisions and the outbox get the columns the review engine needs (issue 5); delegation,
notification and scheduler_lease are new. Existing rows (none are written before this version) get defaults.
"""
from alembic import op
import sqlalchemy as sa
import reviews.storage.dbtypes
from sqlalchemy.dialects import postgresql

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('scheduler_lease',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('token', sa.Integer(), nullable=False),
    sa.Column('holder', sa.String(), nullable=False),
    sa.Column('acquired_at', reviews.storage.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_scheduler_lease'))
    )
    op.create_table('delegation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('delegate_person_id', sa.Integer(), nullable=False),
    sa.Column('valid_from', reviews.storage.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('valid_to', reviews.storage.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', reviews.storage.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(), nullable=False),
    sa.Column('revoked_at', reviews.storage.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['delegate_person_id'], ['person.id'], name=op.f('fk_delegation_delegate_person_id_person')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_delegation_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delegation'))
    )
    with op.batch_alter_table('delegation', schema=None) as batch_op:
        batch_op.create_index('ix_delegation_person_period', ['person_id', 'valid_from'], unique=False)

    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('item_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('sent_at', reviews.storage.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('delivered', sa.Boolean(), nullable=False),
    sa.Column('channel', sa.String(), nullable=True),
    sa.Column('message_ts', sa.String(), nullable=True),
    sa.Column('error', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_notification_campaign_id_campaign')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_notification_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification'))
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index('ix_notification_campaign_person', ['campaign_id', 'person_id'], unique=False)

    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), nullable=False, server_default='manual'))
        batch_op.add_column(sa.Column('started_by', sa.String(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('scheduled_for', reviews.storage.dbtypes.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('closed_by', sa.String(), nullable=True))
        batch_op.add_column(sa.Column('notes', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False, server_default='{}'))

    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stage', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('on_behalf_of_person_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('request_key', sa.String(length=200), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_decision_request_key'), ['request_key'])
        batch_op.create_foreign_key(batch_op.f('fk_decision_on_behalf_of_person_id_person'), 'person', ['on_behalf_of_person_id'], ['id'])

    with op.batch_alter_table('review_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('store_id', sa.Integer(), nullable=False))
        batch_op.add_column(sa.Column('principal_id', sa.Integer(), nullable=False))
        batch_op.add_column(sa.Column('holder_person_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reviewer_source', sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column('justification_required', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('reminders_sent', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('escalated_at', reviews.storage.dbtypes.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('human_review_reason', sa.String(), nullable=True))
        batch_op.create_index(batch_op.f('ix_review_item_principal_id'), ['principal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_item_store_id'), ['store_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_review_item_principal_id_principal'), 'principal', ['principal_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_review_item_store_id_store'), 'store', ['store_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_review_item_holder_person_id_person'), 'person', ['holder_person_id'], ['id'])

    with op.batch_alter_table('revocation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('campaign_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('store_id', sa.Integer(), nullable=False))
        batch_op.add_column(sa.Column('principal_id', sa.Integer(), nullable=False))
        batch_op.add_column(sa.Column('system', sa.String(length=16), nullable=False))
        batch_op.add_column(sa.Column('hold_reason', sa.String(), nullable=True))
        batch_op.add_column(sa.Column('approved_by', sa.String(), nullable=True))
        batch_op.add_column(sa.Column('approved_at', reviews.storage.dbtypes.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('dry_run_result', sa.String(length=24), nullable=True))
        batch_op.drop_index(batch_op.f('ix_revocation_review_item_id'))
        batch_op.create_index(batch_op.f('ix_revocation_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_revocation_review_item_id'), ['review_item_id'])
        batch_op.create_foreign_key(batch_op.f('fk_revocation_principal_id_principal'), 'principal', ['principal_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_revocation_store_id_store'), 'store', ['store_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_revocation_campaign_id_campaign'), 'campaign', ['campaign_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('revocation', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_revocation_campaign_id_campaign'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_revocation_store_id_store'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_revocation_principal_id_principal'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_revocation_review_item_id'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_revocation_campaign_id'))
        batch_op.create_index(batch_op.f('ix_revocation_review_item_id'), ['review_item_id'], unique=False)
        batch_op.drop_column('dry_run_result')
        batch_op.drop_column('approved_at')
        batch_op.drop_column('approved_by')
        batch_op.drop_column('hold_reason')
        batch_op.drop_column('system')
        batch_op.drop_column('principal_id')
        batch_op.drop_column('store_id')
        batch_op.drop_column('campaign_id')

    with op.batch_alter_table('review_item', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_review_item_holder_person_id_person'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_review_item_store_id_store'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_review_item_principal_id_principal'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_review_item_store_id'))
        batch_op.drop_index(batch_op.f('ix_review_item_principal_id'))
        batch_op.drop_column('human_review_reason')
        batch_op.drop_column('escalated_at')
        batch_op.drop_column('reminders_sent')
        batch_op.drop_column('justification_required')
        batch_op.drop_column('reviewer_source')
        batch_op.drop_column('holder_person_id')
        batch_op.drop_column('principal_id')
        batch_op.drop_column('store_id')

    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_decision_on_behalf_of_person_id_person'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_decision_request_key'), type_='unique')
        batch_op.drop_column('request_key')
        batch_op.drop_column('on_behalf_of_person_id')
        batch_op.drop_column('stage')

    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_column('notes')
        batch_op.drop_column('closed_by')
        batch_op.drop_column('scheduled_for')
        batch_op.drop_column('started_by')
        batch_op.drop_column('kind')

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_campaign_person')

    op.drop_table('notification')
    with op.batch_alter_table('delegation', schema=None) as batch_op:
        batch_op.drop_index('ix_delegation_person_period')

    op.drop_table('delegation')
    op.drop_table('scheduler_lease')
