"""the MOH 705 reads patients' dates of birth from an index on (id,
date_of_birth) alone

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 20:45:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.create_index('ix_patients_id_date_of_birth', ['id', 'date_of_birth'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.drop_index('ix_patients_id_date_of_birth')
