"""conflicts name both sides: who made the winning and the losing change,
and when the losing one reached the server

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 22:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import clinic.db

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('conflicts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('winning_user_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('losing_user_id', sa.Uuid(), nullable=True))
        batch_op.add_column(
            sa.Column('losing_at', clinic.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table('conflicts', schema=None) as batch_op:
        batch_op.drop_column('losing_at')
        batch_op.drop_column('losing_user_id')
        batch_op.drop_column('winning_user_id')
