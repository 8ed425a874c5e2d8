"""the numbers' search table made again as each number's pieces of four
characters (``clinic.patients.search_index.Numbers.PIECES``) with a prefix
index for three, instead of every ending with a prefix index for 3-5: the
endings were each a term of their own, and filling their table was most of
the end of a first sync (6.8 of 8.8 CPU seconds at 100,000 patients). A
fragment is now a phrase of pieces (0.11-0.16 ms at p95 at 500,000 patients,
against 0.04), and finds the same patients in the same order. The names'
table is kept as it is.

Going down makes the numbers' table of 0015 again, filled the same way.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 19:00:00
"""

from collections.abc import Sequence

from alembic import op

from clinic.patients.search_index import Numbers, remake

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for statement in remake(Numbers.PIECES):
        op.execute(statement)


def downgrade() -> None:
    for statement in remake(Numbers.ENDINGS):
        op.execute(statement)
