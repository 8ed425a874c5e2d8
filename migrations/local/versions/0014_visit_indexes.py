"""opening a visit reads indexes alone: the records merged into a patient
from an index holding the merged rows alone, the patient's visits today and
earlier in the year from (patient_id, visit_date, status, deleted_at), which
replaces the index on patient_id alone, and the day's last place in the
queue from the branch's visits index, which gains queue_position

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

BRANCH_VISITS = ['branch_id', 'visit_date', 'status', 'deleted_at', 'is_new', 'patient_id', 'id']


def upgrade() -> None:
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.create_index(
            'ix_patients_merged_into',
            ['merged_into'],
            unique=False,
            sqlite_where=sa.text('merged_into IS NOT NULL'),
            postgresql_where=sa.text('merged_into IS NOT NULL'),
        )
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_index('ix_visits_patient_id')
        batch_op.create_index(
            'ix_visits_patient_id_visit_date',
            ['patient_id', 'visit_date', 'status', 'deleted_at'],
            unique=False,
        )
        batch_op.drop_index('ix_visits_branch_id_visit_date')
        batch_op.create_index(
            'ix_visits_branch_id_visit_date',
            BRANCH_VISITS + ['queue_position'],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_index('ix_visits_branch_id_visit_date')
        batch_op.create_index('ix_visits_branch_id_visit_date', BRANCH_VISITS, unique=False)
        batch_op.drop_index('ix_visits_patient_id_visit_date')
        batch_op.create_index('ix_visits_patient_id', ['patient_id'], unique=False)
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.drop_index('ix_patients_merged_into')
