"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-24
"""
from alembic import op
import sqlalchemy as sa
import reviews.storage.dbtypes
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_event',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('occurred_at', reviews.storage.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('subject', sa.String(), nullable=False),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_event')),
    sa.UniqueConstraint('hash', name=op.f('uq_audit_event_hash'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index('ix_audit_event_kind_time', ['kind', 'occurred_at'], unique=False)
        batch_op.create_index('ix_audit_event_subject_seq', ['subject', 'seq'], unique=False)
        batch_op.create_index('ix_audit_event_time', ['occurred_at'], unique=False)

    audit_head = op.create_table('audit_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )
    # The chain starts from the genesis hash; appenders lock this row (reviews.audit).
    op.bulk_insert(audit_head, [{'id': 1, 'seq': 0, 'hash': '0' * 64}])
    op.create_table('person',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('display_name', sa.String(), nullable=False),
    sa.Column('entra_object_id', sa.String(length=64), nullable=True),
    sa.Column('slack_user_id', sa.String(length=32), nullable=True),
    sa.Column('manager_email', sa.String(), nullable=True),
    sa.Column('first_seen_at', reviews.storage.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', reviews.storage.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person')),
    sa.UniqueConstraint('email', name=op.f('uq_person_email')),
    sa.UniqueConstraint('entra_object_id', name=op.f('uq_person_entra_object_id')),
    sa.UniqueConstraint('slack_user_id', name=op.f('uq_person_slack_user_id'))
    )
    op.create_table('review_cycle',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('definition', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('definition_sha256', sa.String(length=64), nullable=False),
    sa.Column('applied_at', reviews.storage.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('applied_by', sa.String(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_cycle')),
    sa.UniqueConstraint('name', 'version', name=op.f('uq_review_cycle_name_version'))
    )
    op.create_table('store',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('system', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('provider_id', sa.String(), nullable=False),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('owners', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('classification', sa.String(), nullable=False),
    sa.Column('tags', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('first_seen_at', reviews.storage.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', reviews.storage.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('removed_at', reviews.storage.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_store')),
    sa.UniqueConstraint('provider_id', name=op.f('uq_store_provider_id'))
    )
    with op.batch_alter_table('store', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_store_system'), ['system'], unique=False)

    op.create_table('sync_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('started_at', reviews.storage.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', reviews.storage.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('counts', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('error', sa.String(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_run'))
    )
    with op.batch_alter_table('sync_run', schema=None) as batch_op:
        batch_op.create_index('ix_sync_run_source_started', ['source', 'started_at'], unique=False)

    op.create_table('campaign',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('cycle_version', sa.Integer(), nullable=False),
    sa.Column('period_key', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('started_at', reviews.storage.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_at', reviews.storage.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', reviews.storage.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sync_run_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('population_count', sa.Integer(), nullable=False),
    sa.Column('population_sha256', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['cycle_id'], ['review_cycle.id'], name=op.f('fk_campaign_cycle_id_review_cycle')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign')),
    sa.UniqueConstraint('cycle_id', 'period_key', name=op.f('uq_campaign_cycle_id_period_key'))
    )
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_status'), ['status'], unique=False)

    op.create_table('principal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('system', sa.String(length=16), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('provider_id', sa.String(), nullable=False),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('email', sa.String(), nullable=True),
    sa.Column('enabled', sa.Boolean(), nullable=True),
    sa.Column('guest', sa.Boolean(), nullable=False),
    sa.Column('created_at', reviews.storage.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_sign_in_at', reviews.storage.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_sign_in_source', sa.String(), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('first_seen_at', reviews.storage.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', reviews.storage.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('removed_at', reviews.storage.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_principal_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_principal')),
    sa.UniqueConstraint('provider_id', name=op.f('uq_principal_provider_id'))
    )
    with op.batch_alter_table('principal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_principal_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_principal_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_principal_system'), ['system'], unique=False)

    op.create_table('access_grant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('principal_id', sa.Integer(), nullable=False),
    sa.Column('access', sa.String(length=8), nullable=False),
    sa.Column('path', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('conditional', sa.Boolean(), nullable=False),
    sa.Column('needs_human_review', sa.Boolean(), nullable=False),
    sa.Column('last_used_at', reviews.storage.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_used_source', sa.String(), nullable=True),
    sa.Column('last_used_window_start', reviews.storage.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_used_window_end', reviews.storage.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('valid_from', reviews.storage.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('valid_to', reviews.storage.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('opened_by_sync_id', sa.Integer(), nullable=True),
    sa.Column('closed_by_sync_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['closed_by_sync_id'], ['sync_run.id'], name=op.f('fk_access_grant_closed_by_sync_id_sync_run')),
    sa.ForeignKeyConstraint(['opened_by_sync_id'], ['sync_run.id'], name=op.f('fk_access_grant_opened_by_sync_id_sync_run')),
    sa.ForeignKeyConstraint(['principal_id'], ['principal.id'], name=op.f('fk_access_grant_principal_id_principal')),
    sa.ForeignKeyConstraint(['store_id'], ['store.id'], name=op.f('fk_access_grant_store_id_store')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_grant'))
    )
    with op.batch_alter_table('access_grant', schema=None) as batch_op:
        batch_op.create_index('ix_access_grant_principal_interval', ['principal_id', 'valid_from', 'valid_to'], unique=False)
        batch_op.create_index('ix_access_grant_store_interval', ['store_id', 'valid_from', 'valid_to'], unique=False)
        batch_op.create_index('uq_access_grant_open', ['store_id', 'principal_id', 'access'], unique=True, sqlite_where=sa.text('valid_to IS NULL'), postgresql_where=sa.text('valid_to IS NULL'))

    op.create_table('review_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('grant_id', sa.Integer(), nullable=False),
    sa.Column('frozen_grant', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('reviewer_person_id', sa.Integer(), nullable=True),
    sa.Column('stage', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('recommendation', sa.String(length=16), nullable=True),
    sa.Column('recommendation_evidence', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('delivery_status', sa.String(length=24), nullable=True),
    sa.Column('delivered_at', reviews.storage.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reminded_at', reviews.storage.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_at', reviews.storage.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_review_item_campaign_id_campaign')),
    sa.ForeignKeyConstraint(['grant_id'], ['access_grant.id'], name=op.f('fk_review_item_grant_id_access_grant')),
    sa.ForeignKeyConstraint(['reviewer_person_id'], ['person.id'], name=op.f('fk_review_item_reviewer_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_item')),
    sa.UniqueConstraint('campaign_id', 'grant_id', name=op.f('uq_review_item_campaign_id_grant_id'))
    )
    with op.batch_alter_table('review_item', schema=None) as batch_op:
        batch_op.create_index('ix_review_item_campaign_status', ['campaign_id', 'status'], unique=False)
        batch_op.create_index('ix_review_item_reviewer_status', ['reviewer_person_id', 'status'], unique=False)

    op.create_table('decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_item_id', sa.Integer(), nullable=False),
    sa.Column('decided_by_person_id', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('decided_at', reviews.storage.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('via', sa.String(length=16), nullable=False),
    sa.Column('justification', sa.String(), nullable=True),
    sa.Column('context', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('superseded', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_person_id'], ['person.id'], name=op.f('fk_decision_decided_by_person_id_person')),
    sa.ForeignKeyConstraint(['review_item_id'], ['review_item.id'], name=op.f('fk_decision_review_item_id_review_item')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decision'))
    )
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_decision_review_item_id'), ['review_item_id'], unique=False)

    op.create_table('revocation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_item_id', sa.Integer(), nullable=True),
    sa.Column('grant_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('inverse', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('state', sa.String(length=24), nullable=False),
    sa.Column('dry_run', sa.Boolean(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', reviews.storage.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(), nullable=True),
    sa.Column('claimed_by', sa.String(), nullable=True),
    sa.Column('planned_at', reviews.storage.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('applied_at', reviews.storage.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('verified_at', reviews.storage.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('undone_at', reviews.storage.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['grant_id'], ['access_grant.id'], name=op.f('fk_revocation_grant_id_access_grant')),
    sa.ForeignKeyConstraint(['review_item_id'], ['review_item.id'], name=op.f('fk_revocation_review_item_id_review_item')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_revocation'))
    )
    with op.batch_alter_table('revocation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_revocation_grant_id'), ['grant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_revocation_review_item_id'), ['review_item_id'], unique=False)
        batch_op.create_index('ix_revocation_state_next', ['state', 'next_attempt_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('revocation', schema=None) as batch_op:
        batch_op.drop_index('ix_revocation_state_next')
        batch_op.drop_index(batch_op.f('ix_revocation_review_item_id'))
        batch_op.drop_index(batch_op.f('ix_revocation_grant_id'))

    op.drop_table('revocation')
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_decision_review_item_id'))

    op.drop_table('decision')
    with op.batch_alter_table('review_item', schema=None) as batch_op:
        batch_op.drop_index('ix_review_item_reviewer_status')
        batch_op.drop_index('ix_review_item_campaign_status')

    op.drop_table('review_item')
    with op.batch_alter_table('access_grant', schema=None) as batch_op:
        batch_op.drop_index('uq_access_grant_open', sqlite_where=sa.text('valid_to IS NULL'), postgresql_where=sa.text('valid_to IS NULL'))
        batch_op.drop_index('ix_access_grant_store_interval')
        batch_op.drop_index('ix_access_grant_principal_interval')

    op.drop_table('access_grant')
    with op.batch_alter_table('principal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_principal_system'))
        batch_op.drop_index(batch_op.f('ix_principal_person_id'))
        batch_op.drop_index(batch_op.f('ix_principal_email'))

    op.drop_table('principal')
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_status'))

    op.drop_table('campaign')
    with op.batch_alter_table('sync_run', schema=None) as batch_op:
        batch_op.drop_index('ix_sync_run_source_started')

    op.drop_table('sync_run')
    with op.batch_alter_table('store', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_store_system'))

    op.drop_table('store')
    op.drop_table('review_cycle')
    op.drop_table('person')
    op.drop_table('audit_head')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_time')
        batch_op.drop_index('ix_audit_event_subject_seq')
        batch_op.drop_index('ix_audit_event_kind_time')

    op.drop_table('audit_event')
