"""principals: unique per (system, provider_id), not provider_id alone

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07

Azure names its principals by their Entra object id, as Entra does: the same object is a principal of both
systems, one row each. The old unique key on provider_id becomes (system, provider_id), and provider_id keeps
an index for lookups by id.
"""
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('principal', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_principal_provider_id'), type_='unique')
        batch_op.create_unique_constraint('uq_principal_system_provider_id', ['system', 'provider_id'])
        batch_op.create_index(batch_op.f('ix_principal_provider_id'), ['provider_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('principal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_principal_provider_id'))
        batch_op.drop_constraint('uq_principal_system_provider_id', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_principal_provider_id'), ['provider_id'])
