"""claims name their patient, invoice and payment (their diagnoses are the visit's); services carry SHA's tariff;
money is found by branch and date for the reports

No claim was written before this revision (nothing created one), so the
claims' new required columns need no default for old rows.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 13:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import clinic.db
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_column('diagnoses')
        batch_op.add_column(sa.Column('patient_id', sa.Uuid(), nullable=False))
        batch_op.add_column(sa.Column('invoice_id', sa.Uuid(), nullable=False))
        batch_op.add_column(sa.Column('sha_principal_number', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('submitted_at', clinic.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('paid_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('payment_reference', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_claims_patient_id', ['patient_id'], unique=False)
        batch_op.create_index('ix_claims_invoice_id', ['invoice_id'], unique=False)
        batch_op.create_index('ix_claims_branch_id_status', ['branch_id', 'status'], unique=False)
        batch_op.create_foreign_key('fk_claims_patient_id_patients', 'patients', ['patient_id'], ['id'])
        batch_op.create_foreign_key('fk_claims_invoice_id_invoices', 'invoices', ['invoice_id'], ['id'])
    with op.batch_alter_table('claim_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('invoice_line_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('tariff_cents', sa.BigInteger(), nullable=True))
        batch_op.create_foreign_key(
            'fk_claim_items_invoice_line_id_invoice_lines', 'invoice_lines', ['invoice_line_id'], ['id']
        )
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sha_tariff_cents', sa.BigInteger(), nullable=True))
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.create_index('ix_invoices_branch_id_issued_at', ['branch_id', 'issued_at'], unique=False)
    with op.batch_alter_table('shifts', schema=None) as batch_op:
        batch_op.create_index('ix_shifts_branch_id_opened_at', ['branch_id', 'opened_at'], unique=False)
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index('ix_payments_branch_id_received_at', ['branch_id', 'received_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index('ix_payments_branch_id_received_at')
    with op.batch_alter_table('shifts', schema=None) as batch_op:
        batch_op.drop_index('ix_shifts_branch_id_opened_at')
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index('ix_invoices_branch_id_issued_at')
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.drop_column('sha_tariff_cents')
    with op.batch_alter_table('claim_items', schema=None) as batch_op:
        batch_op.drop_constraint('fk_claim_items_invoice_line_id_invoice_lines', type_='foreignkey')
        batch_op.drop_column('tariff_cents')
        batch_op.drop_column('invoice_line_id')
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_constraint('fk_claims_invoice_id_invoices', type_='foreignkey')
        batch_op.drop_constraint('fk_claims_patient_id_patients', type_='foreignkey')
        batch_op.drop_index('ix_claims_branch_id_status')
        batch_op.drop_index('ix_claims_invoice_id')
        batch_op.drop_index('ix_claims_patient_id')
        batch_op.drop_column('payment_reference')
        batch_op.drop_column('paid_on')
        batch_op.drop_column('submitted_at')
        batch_op.drop_column('sha_principal_number')
        batch_op.drop_column('invoice_id')
        batch_op.drop_column('patient_id')
        batch_op.add_column(sa.Column('diagnoses', sa.JSON(), nullable=False))
