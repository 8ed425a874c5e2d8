"""the pharmacy: dispensings against prescription lines, the drug stock
ledger (movements that are only ever added) and reorder levels per branch

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 22:32:02
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import clinic.db

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('reorder_levels',
    sa.Column('service_id', sa.Uuid(), nullable=False),
    sa.Column('branch_id', sa.Uuid(), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', clinic.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', clinic.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('device_id', sa.Uuid(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('deleted_at', clinic.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['branch_id'], ['branches.id'], name=op.f('fk_reorder_levels_branch_id_branches')),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_reorder_levels_service_id_services')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reorder_levels'))
    )
    with op.batch_alter_table('reorder_levels', schema=None) as batch_op:
        batch_op.create_index('ix_reorder_levels_branch_id_service_id', ['branch_id', 'service_id'], unique=False)
    op.create_table('dispensings',
    sa.Column('prescription_id', sa.Uuid(), nullable=False),
    sa.Column('visit_id', sa.Uuid(), nullable=False),
    sa.Column('service_id', sa.Uuid(), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('substitution_reason', sa.Text(), nullable=True),
    sa.Column('counselling', sa.Text(), nullable=True),
    sa.Column('closes_line', sa.Boolean(), nullable=False),
    sa.Column('close_reason', sa.Text(), nullable=True),
    sa.Column('dispensed_by', sa.Uuid(), nullable=False),
    sa.Column('dispensed_at', clinic.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', clinic.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', clinic.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('device_id', sa.Uuid(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('deleted_at', clinic.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['prescription_id'], ['prescriptions.id'], name=op.f('fk_dispensings_prescription_id_prescriptions')),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_dispensings_service_id_services')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_dispensings_visit_id_visits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispensings'))
    )
    with op.batch_alter_table('dispensings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dispensings_prescription_id'), ['prescription_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dispensings_visit_id'), ['visit_id'], unique=False)
    op.create_table('stock_movements',
    sa.Column('service_id', sa.Uuid(), nullable=False),
    sa.Column('branch_id', sa.Uuid(), nullable=False),
    sa.Column('batch', sa.String(length=40), nullable=False),
    sa.Column('expiry', sa.Date(), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('receipt', 'dispense', 'return', 'adjustment', 'expiry', name='stockmovementkind', native_enum=False, length=32), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('dispensing_id', sa.Uuid(), nullable=True),
    sa.Column('moved_by', sa.Uuid(), nullable=False),
    sa.Column('moved_at', clinic.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', clinic.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', clinic.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('device_id', sa.Uuid(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('deleted_at', clinic.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['branch_id'], ['branches.id'], name=op.f('fk_stock_movements_branch_id_branches')),
    sa.ForeignKeyConstraint(['dispensing_id'], ['dispensings.id'], name=op.f('fk_stock_movements_dispensing_id_dispensings')),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_stock_movements_service_id_services')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_movements'))
    )
    with op.batch_alter_table('stock_movements', schema=None) as batch_op:
        batch_op.create_index('ix_stock_movements_branch_id_service_id', ['branch_id', 'service_id', 'deleted_at', 'batch', 'expiry', 'quantity'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_movements_dispensing_id'), ['dispensing_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('stock_movements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stock_movements_dispensing_id'))
        batch_op.drop_index('ix_stock_movements_branch_id_service_id')
    op.drop_table('stock_movements')
    with op.batch_alter_table('dispensings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dispensings_visit_id'))
        batch_op.drop_index(batch_op.f('ix_dispensings_prescription_id'))
    op.drop_table('dispensings')
    with op.batch_alter_table('reorder_levels', schema=None) as batch_op:
        batch_op.drop_index('ix_reorder_levels_branch_id_service_id')
    op.drop_table('reorder_levels')
