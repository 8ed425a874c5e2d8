"""patient search index (SQLite FTS5)

Two full-text tables kept by triggers, from the statements in
``clinic.patients.search_index`` (which says what they hold), in their first
shape: names with prefixes of 2-4 letters, each number's search key in a
trigram index (0015 makes both again).

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

from alembic import op

from clinic.patients.search_index import (
    FIRST_NAMES_TABLE,
    NAMES,
    NUMBERS,
    Numbers,
    inserts,
    triggers,
)

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(FIRST_NAMES_TABLE)
    op.execute(Numbers.TRIGRAMS.table)
    for statement in triggers(Numbers.TRIGRAMS):
        op.execute(statement)
    for statement in inserts("patients", source="FROM patients", numbers=Numbers.TRIGRAMS):
        op.execute(statement)


def downgrade() -> None:
    for trigger in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER patients_search_{trigger}")
    op.execute(f"DROP TABLE {NUMBERS}")
    op.execute(f"DROP TABLE {NAMES}")
