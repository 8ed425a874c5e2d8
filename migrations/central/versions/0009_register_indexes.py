"""the visit register reads a visit's diagnoses, in their order, and its
invoices' totals from indexes alone

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 20:50:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DIAGNOSES_BEFORE = ['visit_id', 'deleted_at', 'code_system', 'code']


def upgrade() -> None:
    with op.batch_alter_table('diagnoses', schema=None) as batch_op:
        batch_op.drop_index('ix_diagnoses_visit_id_code')
        batch_op.create_index(
            'ix_diagnoses_visit_id_code',
            [*DIAGNOSES_BEFORE, 'is_primary', 'created_at', 'id'],
            unique=False,
        )
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index('ix_invoices_visit_id')
        batch_op.create_index(
            'ix_invoices_visit_id_total',
            ['visit_id', 'deleted_at', 'status', 'total_cents'],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index('ix_invoices_visit_id_total')
        batch_op.create_index('ix_invoices_visit_id', ['visit_id'], unique=False)
    with op.batch_alter_table('diagnoses', schema=None) as batch_op:
        batch_op.drop_index('ix_diagnoses_visit_id_code')
        batch_op.create_index('ix_diagnoses_visit_id_code', DIAGNOSES_BEFORE, unique=False)
