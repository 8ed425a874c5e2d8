"""lab results: one row per result of a lab request, with its unit, the
patient's normal range and its flag; and the clinic's own versions of the
lab catalogue's tests

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 22:50:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import clinic.db

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('lab_test_overrides',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', clinic.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', clinic.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('device_id', sa.Uuid(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('deleted_at', clinic.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lab_test_overrides'))
    )
    with op.batch_alter_table('lab_test_overrides', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lab_test_overrides_code'), ['code'], unique=False)
    op.create_table('lab_results',
    sa.Column('lab_request_id', sa.Uuid(), nullable=False),
    sa.Column('analyte', sa.String(length=40), nullable=False),
    sa.Column('value_number', sa.Float(), nullable=True),
    sa.Column('value_code', sa.String(length=40), nullable=True),
    sa.Column('value_text', sa.Text(), nullable=True),
    sa.Column('unit', sa.String(length=20), nullable=True),
    sa.Column('reference_range', sa.String(length=60), nullable=True),
    sa.Column('flag', sa.String(length=16), nullable=True),
    sa.Column('entered_by', sa.Uuid(), nullable=True),
    sa.Column('entered_at', clinic.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', clinic.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', clinic.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('device_id', sa.Uuid(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('deleted_at', clinic.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['lab_request_id'], ['lab_requests.id'], name=op.f('fk_lab_results_lab_request_id_lab_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lab_results'))
    )
    with op.batch_alter_table('lab_results', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_lab_results_lab_request_id'), ['lab_request_id'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('lab_test_overrides', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lab_test_overrides_code'))
    op.drop_table('lab_test_overrides')
    with op.batch_alter_table('lab_results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lab_results_lab_request_id'))
    op.drop_table('lab_results')
