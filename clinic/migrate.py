"""Alembic, run from code: the local SQLite tree and the central Postgres tree.

Both trees describe the same models (``clinic.schema``). Tables marked
``info={"store": "local"}`` exist only on a PC and ``{"store": "central"}``
only on the server; both trees leave out SQLite's search index, which the
local tree creates by hand (FTS5 has no SQLAlchemy model).
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, inspect, text
from sqlalchemy.engine import Engine

from clinic.paths import migrations_dir

if TYPE_CHECKING:
    from alembic.config import Config

SEARCH_TABLE_PREFIX = "patient_search"
VERSION_TABLE = "alembic_version"
_REVISION_LINE = re.compile(
    r"^(down_revision|revision)\b[^=]*=\s*(?:['\"]([^'\"]+)['\"]|None)", re.MULTILINE
)


@cache
def head_revision(tree: str) -> str:
    """The newest revision of a tree (what a store is at once migrated): the
    one no other revision names as its ``down_revision``. Read from the
    revision files' own lines, because importing Alembic to ask it takes
    longer than the rest of the app's start (tests/integration/
    test_migrations.py holds this to Alembic's answer)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (migrations_dir(tree) / "versions").glob("*.py"):
        for name, value in _REVISION_LINE.findall(path.read_text(encoding="utf-8")):
            if value:
                (revisions if name == "revision" else parents).add(value)
    heads = revisions - parents
    if len(heads) > 1:
        raise RuntimeError(f"the {tree} migrations have several heads: {sorted(heads)}")
    return heads.pop() if heads else "base"


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at (None before its first migration)."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    versions = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars()
    return ",".join(sorted(versions)) or None


def alembic_config(tree: str, connection: Connection | None = None) -> Config:
    from alembic.config import Config  # Alembic loads only when a migration runs

    config = Config()
    config.set_main_option("script_location", str(migrations_dir(tree)))
    config.attributes["tree"] = tree
    config.attributes["connection"] = connection
    return config


def include_object(tree: str) -> Any:
    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        if type_ == "table" and name is not None and name.startswith(SEARCH_TABLE_PREFIX):
            return False
        if type_ == "table":
            info = obj.info if compare_to is None else compare_to.info
            other_store = "central" if tree == "local" else "local"
            return bool(info.get("store") != other_store)
        return True

    return include


def run_migrations(context: Any) -> None:
    """The body of both trees' ``env.py``: migrate the connection the caller
    put in the config (online mode only; there is no offline SQL script)."""
    from clinic.schema import metadata

    config = context.config
    tree = config.attributes["tree"]
    connection = config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=tree == "local",
        include_object=include_object(tree),
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def upgrade(engine: Engine, tree: str, revision: str = "head") -> None:
    """Migrate to ``revision``; a database already at the head is left as
    it is without running Alembic's environment (a fast start)."""
    with engine.begin() as connection:
        if revision == "head" and current_revision(connection) == head_revision(tree):
            return
        from alembic import command

        command.upgrade(alembic_config(tree, connection), revision)


def downgrade(engine: Engine, tree: str, revision: str) -> None:
    from alembic import command

    with engine.begin() as connection:
        command.downgrade(alembic_config(tree, connection), revision)
