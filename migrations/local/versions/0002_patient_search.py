"""patient search index (SQLite FTS5)

Two full-text tables kept by triggers, from the statements in
``clinic.patients.search_index`` (which says what they hold).

Revision ID: 0002
Revises: 0001
"""
from collections.abc import Sequence

from alembic import op

from clinic.patients.search_index import NAMES, NUMBERS, inserts, triggers

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        f"CREATE VIRTUAL TABLE {NAMES} USING fts5("
        "patient_id UNINDEXED, names, "
        "tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4')"
    )
    op.execute(
        f"CREATE VIRTUAL TABLE {NUMBERS} USING fts5("
        "patient_id UNINDEXED, numbers, tokenize = 'trigram')"
    )
    for statement in triggers():
        op.execute(statement)
    for statement in inserts("patients", source="FROM patients"):
        op.execute(statement)


def downgrade() -> None:
    for trigger in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER patients_search_{trigger}")
    op.execute(f"DROP TABLE {NUMBERS}")
    op.execute(f"DROP TABLE {NAMES}")
