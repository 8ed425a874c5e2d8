"""invoices keep why they were cancelled; a cashier's open shift is found by index

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 05:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancel_reason', sa.Text(), nullable=True))
    with op.batch_alter_table('shifts', schema=None) as batch_op:
        batch_op.create_index('ix_shifts_cashier_id_closed_at', ['cashier_id', 'closed_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('shifts', schema=None) as batch_op:
        batch_op.drop_index('ix_shifts_cashier_id_closed_at')
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_column('cancel_reason')
