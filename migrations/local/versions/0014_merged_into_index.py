"""the records merged into a patient are found by an index holding the
merged rows alone (every visit opened asks, to tell whether it is the
patient's first of the year)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 01:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.create_index(
            'ix_patients_merged_into',
            ['merged_into'],
            unique=False,
            sqlite_where=sa.text('merged_into IS NOT NULL'),
            postgresql_where=sa.text('merged_into IS NOT NULL'),
        )


def downgrade() -> None:
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.drop_index('ix_patients_merged_into')
