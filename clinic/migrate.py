"""Alembic, run from code: the local SQLite tree and the central Postgres tree.

Both trees describe the same models (``clinic.schema``). Tables marked
``info={"store": "local"}`` exist only on a PC and ``{"store": "central"}``
only on the server; both trees leave out SQLite's search index, which the
local tree creates by hand (FTS5 has no SQLAlchemy model).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.engine import Engine

from clinic.paths import migrations_dir

SEARCH_TABLE_PREFIX = "patient_search"


@cache
def head_revision(tree: str) -> str:
    """The newest revision of a tree (what a store is at once migrated)."""
    head = ScriptDirectory.from_config(alembic_config(tree)).get_current_head()
    return head or "base"


def alembic_config(tree: str, connection: Connection | None = None) -> Config:
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
        current = MigrationContext.configure(connection).get_current_revision()
        if revision == "head" and current == head_revision(tree):
            return
        command.upgrade(alembic_config(tree, connection), revision)


def downgrade(engine: Engine, tree: str, revision: str) -> None:
    with engine.begin() as connection:
        command.downgrade(alembic_config(tree, connection), revision)
