"""Alembic, run from code: the local SQLite tree and the central Postgres tree.

Both trees describe the same models (``clinic.schema``). Tables marked
``info={"store": "local"}`` exist only on a PC and ``{"store": "central"}``
only on the server; both trees leave out SQLite's search index, which the
local tree creates by hand (FTS5 has no SQLAlchemy model).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
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


class NewerDatabase(Exception):
    """The database is at a revision this version's migrations do not hold:
    a newer version of the app migrated it, and this one cannot read it.
    Nothing was changed."""

    def __init__(self, tree: str, revision: str) -> None:
        whose = "This PC's clinic data" if tree == "local" else "The clinic database"
        super().__init__(
            f"{whose} was last opened by a newer version of Seth Clinic (revision"
            f" {revision}), which this version cannot read: install that version or a"
            " newer one. Nothing was changed."
        )
        self.tree = tree
        self.revision = revision


@cache
def _revisions(tree: str) -> tuple[frozenset[str], frozenset[str]]:
    """The revisions of a tree and those named as a ``down_revision``, read
    from the revision files' own lines: importing Alembic to ask it takes
    longer than the rest of the app's start (tests/integration/
    test_migrations.py holds this to Alembic's answer)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (migrations_dir(tree) / "versions").glob("*.py"):
        for name, value in _REVISION_LINE.findall(path.read_text(encoding="utf-8")):
            if value:
                (revisions if name == "revision" else parents).add(value)
    return frozenset(revisions), frozenset(parents)


def head_revision(tree: str) -> str:
    """The newest revision of a tree (what a store is at once migrated): the
    one no other revision names as its ``down_revision``."""
    revisions, parents = _revisions(tree)
    heads = revisions - parents
    if len(heads) > 1:
        raise RuntimeError(f"the {tree} migrations have several heads: {sorted(heads)}")
    return next(iter(heads)) if heads else "base"


def unknown_revisions(tree: str, versions: Iterable[str]) -> list[str]:
    """Those of ``versions`` (a database's) that this version's migrations
    of ``tree`` do not hold: a newer version's."""
    return [version for version in versions if version not in _revisions(tree)[0]]


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
    it is without running Alembic's environment (a fast start).
    Raises :class:`NewerDatabase`, before anything is written, for a
    database a newer version migrated."""
    with engine.begin() as connection:
        current = current_revision(connection)
        if revision == "head" and current == head_revision(tree):
            return
        unknown = unknown_revisions(tree, current.split(",") if current else [])
        if unknown:
            raise NewerDatabase(tree, ",".join(unknown))
        from alembic import command

        command.upgrade(alembic_config(tree, connection), revision)


def downgrade(engine: Engine, tree: str, revision: str) -> None:
    from alembic import command

    with engine.begin() as connection:
        command.downgrade(alembic_config(tree, connection), revision)
