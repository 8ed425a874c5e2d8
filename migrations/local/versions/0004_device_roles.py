"""device roles; conflict values may be held empty

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 04:20:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('roles', sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.alter_column('roles', server_default=None)


    with op.batch_alter_table('conflicts', schema=None) as batch_op:
        batch_op.alter_column('winning_value', existing_type=sa.JSON(), nullable=True)
        batch_op.alter_column('losing_value', existing_type=sa.JSON(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table('conflicts', schema=None) as batch_op:
        batch_op.alter_column('losing_value', existing_type=sa.JSON(), nullable=False)
        batch_op.alter_column('winning_value', existing_type=sa.JSON(), nullable=False)
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.drop_column('roles')
