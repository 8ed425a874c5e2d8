"""The one registry of synced entities agrees with the models, the
permissions tables and the benchmark's column lists (the migrations agree
with the models: tests/integration/test_migrations.py)."""

from __future__ import annotations

from typing import Any

import pytest

from bench.generate import LOAD_ORDER, TABLES
from clinic.db import Base, SyncColumns
from clinic.enums import Role
from clinic.journal.entities import SYNCED, SyncedEntity
from clinic.journal.models import AuditEvent
from clinic.numbering.models import NumberLease
from clinic.permissions import READ, WRITE
from clinic.schema import metadata

ENTITIES = list(SYNCED.values())
NOT_SYNCED = {AuditEvent.__tablename__, NumberLease.__tablename__}
"""Audit events travel as the devices' hash chains (server/sync/audit.py);
number leases are granted by the server's answer (/api/sync/lease)."""


def columns(entity: SyncedEntity) -> set[str]:
    return {c.name for c in entity.model.__table__.columns}  # type: ignore[attr-defined]


def test_every_shared_table_with_sync_columns_is_in_the_registry() -> None:
    shared = {
        mapper.class_.__tablename__
        for mapper in Base.registry.mappers
        if issubclass(mapper.class_, SyncColumns) and "store" not in mapper.class_.__table__.info
    }
    assert shared - NOT_SYNCED == set(SYNCED)
    for entity in ENTITIES:
        assert metadata.tables[entity.name] is entity.model.__table__  # type: ignore[attr-defined]


@pytest.mark.parametrize("entity", ENTITIES, ids=lambda e: e.name)
def test_the_fields_an_entity_names_are_its_columns(entity: SyncedEntity) -> None:
    named: set[str] = {
        *entity.field_data,
        *entity.written_as,
        *entity.moves,
        *entity.write_once,
        *entity.numbers,
        *entity.authored,
        *entity.server_only,
        *(entity.lock.fields or () if entity.lock else ()),
    }
    assert named <= columns(entity), named - columns(entity)


@pytest.mark.parametrize("entity", ENTITIES, ids=lambda e: e.name)
def test_parents_come_before_their_children(entity: SyncedEntity) -> None:
    order = list(SYNCED)
    table: Any = entity.model.__table__  # type: ignore[attr-defined]
    for key in table.foreign_keys:
        parent = key.column.table.name
        if parent in SYNCED:
            assert order.index(parent) <= order.index(entity.name), (key.parent.name, parent)


@pytest.mark.parametrize("entity", ENTITIES, ids=lambda e: e.name)
def test_rows_of_a_branch_are_written_to_that_branch_only(entity: SyncedEntity) -> None:
    """A table devices write that has a branch, or is a child of one, has
    the rule that finds it; what only a branch's devices pull has one too."""
    table: Any = entity.model.__table__  # type: ignore[attr-defined]
    parents = [SYNCED.get(k.column.table.name) for k in table.foreign_keys]
    of_a_branch = "branch_id" in columns(entity) or any(p and p.branch for p in parents)
    if entity.pushable and of_a_branch:
        assert entity.branch is not None
    if entity.pulled_by_branch:
        assert entity.branch is not None and entity.branch_of is entity.branch


def test_every_kind_of_data_has_its_readers_and_writers() -> None:
    kinds = {e.data for e in ENTITIES}
    kinds |= {d for e in ENTITIES for d in (*e.field_data.values(), *e.written_as.values())}
    assert kinds <= set(READ) and kinds <= set(WRITE)


@pytest.mark.parametrize("name", list(TABLES))
def test_the_benchmarks_column_lists_name_every_column_of_the_model(name: str) -> None:
    table = TABLES[name]
    written = [*table.columns, *table.same, *table.fixed]
    assert len(written) == len(set(written)), name
    assert set(written) == columns(SYNCED[name]) if name in SYNCED else set(written)


def test_the_benchmark_loads_tables_in_the_registrys_order() -> None:
    synced = [name for name in LOAD_ORDER if name in SYNCED]
    assert synced == [name for name in SYNCED if name in synced]


def test_a_claims_pc_pulls_the_diagnoses_and_clinician_but_not_the_notes() -> None:
    claims = [Role.CLAIMS_MANAGER]
    assert SYNCED["diagnoses"].readable_by(claims)
    assert SYNCED["claims"].readable_by(claims) and SYNCED["claims"].readable_by(
        [Role.RECEPTIONIST]
    )
    assert SYNCED["visits"].hidden_from(claims) == {"complaint", "history", "examination", "plan"}
    assert SYNCED["visits"].hidden_from([Role.RECEPTIONIST]) >= {"clinician_id", "plan"}
    assert not SYNCED["diagnoses"].readable_by([Role.RECEPTIONIST, Role.CASHIER])
