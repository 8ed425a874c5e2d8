"""the names' search table with a prefix index for starts of up to eight
letters (it had 2-4): a name typed whole is also looked up as the start of
longer names, and FTS5 answered a start of five letters or more by merging
every matching name's list whole (0.1-0.4 ms at 500,000 patients); from the
prefix index it reads only as far as the hits asked for (the same patients
in the same order). The table is made again and filled from the patients
(a few seconds at 500,000 patients), and the triggers with it.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 04:15:00
"""

from collections.abc import Sequence

from alembic import op

from clinic.patients.search_index import NAMES, NAMES_TABLE, remake

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SHORT_PREFIXES_TABLE = (
    f"CREATE VIRTUAL TABLE {NAMES} USING fts5("
    "patient_id UNINDEXED, names, "
    "tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4')"
)


def upgrade() -> None:
    for statement in remake(NAMES, NAMES_TABLE):
        op.execute(statement)


def downgrade() -> None:
    for statement in remake(NAMES, SHORT_PREFIXES_TABLE):
        op.execute(statement)
