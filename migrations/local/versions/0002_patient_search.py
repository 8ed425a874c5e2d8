"""patient search index (SQLite FTS5)

Two full-text tables kept by triggers: names (prefix search from the start of
any name) and numbers (trigram: any fragment of an OP, legacy, phone, national
id or SHA number). Rows that are deleted or merged into another patient leave
the index. The ``number_search_key`` SQL function is registered on every
connection by ``clinic.store.create_sqlite_engine``.

Revision ID: 0002
Revises: 0001
"""
from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAMES = "patient_search_names"
NUMBERS = "patient_search_numbers"


def _indexed(row: str) -> str:
    return f"{row}.deleted_at IS NULL AND {row}.merged_into IS NULL"


def _names(row: str) -> str:
    return (
        f"coalesce({row}.first_name, '') || ' ' || coalesce({row}.middle_name, '') || ' ' "
        f"|| coalesce({row}.last_name, '')"
    )


def _numbers(row: str) -> str:
    columns = ["op_number", "legacy_number", "phone", "national_id", "sha_number"]
    return " || ' ' || ".join(f"coalesce(number_search_key({row}.{c}), '')" for c in columns)


def _inserts(row: str, source: str = "") -> list[str]:
    return [
        f"INSERT INTO {NAMES} (rowid, patient_id, names) "
        f"SELECT {row}.rowid, {row}.id, {_names(row)} {source} WHERE {_indexed(row)};",
        f"INSERT INTO {NUMBERS} (rowid, patient_id, numbers) "
        f"SELECT {row}.rowid, {row}.id, {_numbers(row)} {source} WHERE {_indexed(row)};",
    ]


def _delete(row: str) -> str:
    return (
        f"DELETE FROM {NAMES} WHERE rowid = {row}.rowid;\n"
        f"DELETE FROM {NUMBERS} WHERE rowid = {row}.rowid;"
    )


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
    op.execute(f"CREATE TRIGGER patients_search_insert AFTER INSERT ON patients BEGIN\n{' '.join(_inserts('new'))}\nEND")
    op.execute(
        "CREATE TRIGGER patients_search_update AFTER UPDATE OF "
        "first_name, middle_name, last_name, op_number, legacy_number, phone, national_id, "
        "sha_number, deleted_at, merged_into ON patients BEGIN\n"
        f"{_delete('old')}\n{' '.join(_inserts('new'))}\nEND"
    )
    op.execute(f"CREATE TRIGGER patients_search_delete AFTER DELETE ON patients BEGIN\n{_delete('old')}\nEND")
    for statement in _inserts("patients", source="FROM patients"):
        op.execute(statement)


def downgrade() -> None:
    for trigger in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER patients_search_{trigger}")
    op.execute(f"DROP TABLE {NUMBERS}")
    op.execute(f"DROP TABLE {NAMES}")
