"""the patient search index made again, each table once: the numbers' table
holds every ending of each number (``clinic.patients.search_index.
Numbers.ENDINGS``) with a prefix index for 3-5 characters, and a fragment is
looked up as the start of an ending (0.02 ms at 500,000 patients where the
trigram index took 0.2-1.3 ms); the names' table has a prefix index for
starts of up to eight letters (it had 2-4: FTS5 answered a longer start by
merging every matching name's list whole). Both are filled from the
patients, with their triggers, and merged into one segment a table (FTS5
``optimize``: a look-up seeks each term in each segment). The same patients
are found, in the same order.

Going down makes the tables and triggers of 0002 again (a trigram index of
each number's search key, names' prefixes of 2-4 letters), filled the same
way.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 04:30:00
"""

from collections.abc import Sequence

from alembic import op

from clinic.patients.search_index import FIRST_NAMES_TABLE, NAMES_TABLE, Numbers, remake

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for statement in remake(Numbers.ENDINGS, NAMES_TABLE):
        op.execute(statement)


def downgrade() -> None:
    for statement in remake(Numbers.TRIGRAMS, FIRST_NAMES_TABLE):
        op.execute(statement)
