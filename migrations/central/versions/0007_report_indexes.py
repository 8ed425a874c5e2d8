"""the reports read a branch's month of visits and their diagnoses from
indexes alone, and find a shift's payments by index

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 20:00:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index('ix_payments_shift_id', ['shift_id'], unique=False)
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.create_index(
            'ix_visits_branch_id_visit_date',
            ['branch_id', 'visit_date', 'status', 'deleted_at', 'is_new', 'patient_id', 'id'],
            unique=False,
        )
    with op.batch_alter_table('diagnoses', schema=None) as batch_op:
        batch_op.create_index(
            'ix_diagnoses_visit_id_code', ['visit_id', 'deleted_at', 'code_system', 'code'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('diagnoses', schema=None) as batch_op:
        batch_op.drop_index('ix_diagnoses_visit_id_code')
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_index('ix_visits_branch_id_visit_date')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index('ix_payments_shift_id')
