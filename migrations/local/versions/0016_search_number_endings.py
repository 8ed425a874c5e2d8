"""patient numbers found from an index of their endings: the numbers' search
table holds every ending of each number (``clinic.patients.search_index.
number_suffixes``) with a prefix index for 3-5 characters, and a fragment is
looked up as the start of an ending (0.02 ms at 500,000 patients where the
trigram index took 0.2-1.3 ms, the same patients in the same order). The
table is made again and filled from the patients (about 40 s of CPU at
500,000 patients), and its triggers with it.

Going down makes the trigram table again over the same text: a trigram
search finds a fragment inside an ending as it did inside the number.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 03:55:00
"""

from collections.abc import Sequence

from alembic import op

from clinic.patients.search_index import NUMBERS, NUMBERS_TABLE, remake

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRIGRAM_TABLE = (
    f"CREATE VIRTUAL TABLE {NUMBERS} USING fts5("
    "patient_id UNINDEXED, numbers, tokenize = 'trigram')"
)


def upgrade() -> None:
    for statement in remake(NUMBERS, NUMBERS_TABLE):
        op.execute(statement)


def downgrade() -> None:
    for statement in remake(NUMBERS, TRIGRAM_TABLE):
        op.execute(statement)
