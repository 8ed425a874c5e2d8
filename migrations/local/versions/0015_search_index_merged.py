"""the patient search index merged into one segment per table (FTS5
``optimize``, see ``clinic.patients.search_index.MERGES``): a store filled
in many transactions, by a first sync or the generator, holds each index in
many segments, and every look-up seeks each term in each of them. Nothing to
undo: the rows and what they find are the same.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 03:45:00
"""

from collections.abc import Sequence

from alembic import op

from clinic.patients.search_index import MERGES

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for statement in MERGES:
        op.execute(statement)


def downgrade() -> None:
    pass
