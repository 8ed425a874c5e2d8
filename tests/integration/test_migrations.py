"""Both Alembic trees against real databases: the local tree on SQLite, the
central tree on PostgreSQL. Each upgrades from empty to head, downgrades to
base and upgrades again, and leaves a database that autogenerate finds equal
to the models (compared exactly as the trees' env.py configures Alembic)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, inspect, text
from sqlalchemy.engine import Engine

from clinic.journal.models import StoreSetting
from clinic.migrate import (
    SEARCH_TABLE_PREFIX,
    NewerDatabase,
    alembic_config,
    downgrade,
    head_revision,
    unknown_revisions,
    upgrade,
)
from clinic.migrate import current_revision as migrate_current_revision
from clinic.patients.search_index import fragment_match
from clinic.store import (
    DEVICE_ID_KEY,
    STORE_FILE,
    create_sqlite_engine,
    open_local_store,
    store_behind,
)
from clinic.store_key import KEY_FILE
from tests.conftest import stamp

LOCAL_ONLY_TABLES = {"outbox", "rejected_changes", "store_settings"}
SHARED_TABLES = {"patients", "visits", "audit_events", "number_leases", "payments", "claims"}
SEARCH_TABLES = {"patient_search_names", "patient_search_numbers"}
SEARCH_TRIGGERS = {"patients_search_insert", "patients_search_update", "patients_search_delete"}


# --- helpers -------------------------------------------------------------------


def head(tree: str) -> str:
    revision = ScriptDirectory.from_config(alembic_config(tree)).get_current_head()
    assert revision is not None
    return revision


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def schema_differences(engine: Engine, tree: str) -> tuple[list[Any], dict[str, Any]]:
    """What autogenerate finds between the models and the database, with the
    MigrationContext the tree's own env.py configures (through
    ``clinic.migrate.run_migrations``); also returns that context's options."""
    found: list[Any] = []
    options: dict[str, Any] = {}

    def compare(_revision: Any, context: MigrationContext) -> list[Any]:
        options.update(context.opts)
        found.extend(compare_metadata(context, context.opts["target_metadata"]))
        return []

    with engine.connect() as connection:
        config = alembic_config(tree, connection)
        script = ScriptDirectory.from_config(config)
        with EnvironmentContext(config, script, fn=compare):
            script.run_env()
    return found, options


def metadata_tables(metadata: MetaData, *, without_store: str) -> set[str]:
    return {name for name, t in metadata.tables.items() if t.info.get("store") != without_store}


def sqlite_objects(engine: Engine, kind: str) -> set[str]:
    with engine.connect() as connection:
        return set(
            connection.execute(
                text("SELECT name FROM sqlite_master WHERE type = :kind"), {"kind": kind}
            ).scalars()
        )


# --- SQLite, local tree ------------------------------------------------------------


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_sqlite_engine(tmp_path / "store.sqlite3")
    yield engine
    engine.dispose()


def check_local_schema(engine: Engine) -> None:
    differences, options = schema_differences(engine, "local")
    assert differences == []
    assert options["render_as_batch"] is True
    assert options["compare_type"] is True
    assert options["include_object"] is not None
    metadata = options["target_metadata"]
    fts_shadow = {t for t in tables(engine) if t.startswith(SEARCH_TABLE_PREFIX)}
    assert fts_shadow >= SEARCH_TABLES
    assert tables(engine) - fts_shadow == metadata_tables(metadata, without_store="central") | {
        "alembic_version"
    }
    assert tables(engine) >= LOCAL_ONLY_TABLES | SHARED_TABLES
    central_only = set(metadata.tables) - metadata_tables(metadata, without_store="central")
    assert not central_only & tables(engine)
    assert sqlite_objects(engine, "trigger") >= SEARCH_TRIGGERS


def test_local_tree_upgrades_an_empty_store_to_head(sqlite_engine: Engine) -> None:
    assert tables(sqlite_engine) == set()
    upgrade(sqlite_engine, "local")
    assert current_revision(sqlite_engine) == head("local")
    check_local_schema(sqlite_engine)


def test_local_tree_downgrades_to_base_and_upgrades_again(sqlite_engine: Engine) -> None:
    upgrade(sqlite_engine, "local")
    downgrade(sqlite_engine, "local", "base")
    assert current_revision(sqlite_engine) is None
    assert tables(sqlite_engine) == {"alembic_version"}
    assert sqlite_objects(sqlite_engine, "trigger") == set()
    upgrade(sqlite_engine, "local")
    assert current_revision(sqlite_engine) == head("local")
    check_local_schema(sqlite_engine)


@pytest.mark.parametrize("tree", ["local", "central"])
def test_the_head_and_revisions_read_from_the_files_are_alembics(tree: str) -> None:
    assert head_revision(tree) == head(tree)
    script = ScriptDirectory.from_config(alembic_config(tree))
    every = [revision.revision for revision in script.walk_revisions()]
    assert len(every) > 1
    assert unknown_revisions(tree, every) == []
    assert unknown_revisions(tree, [*every, "ffff_future"]) == ["ffff_future"]


def test_the_revision_read_from_the_store_is_alembics(sqlite_engine: Engine) -> None:
    """``upgrade`` skips Alembic for a store at the head: it must read the
    same revision Alembic does, before, between and after migrations."""
    with sqlite_engine.connect() as connection:
        assert migrate_current_revision(connection) is None
    upgrade(sqlite_engine, "local", "0002")
    with sqlite_engine.connect() as connection:
        assert migrate_current_revision(connection) == "0002" == current_revision(sqlite_engine)
    upgrade(sqlite_engine, "local")
    with sqlite_engine.connect() as connection:
        assert migrate_current_revision(connection) == head("local")


def test_local_tree_steps_down_and_up_one_revision_at_a_time(sqlite_engine: Engine) -> None:
    script = ScriptDirectory.from_config(alembic_config("local"))
    revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
    for revision in revisions:
        upgrade(sqlite_engine, "local", revision)
        assert current_revision(sqlite_engine) == revision
    for revision in reversed(revisions[:-1]):
        downgrade(sqlite_engine, "local", revision)
        assert current_revision(sqlite_engine) == revision
    upgrade(sqlite_engine, "local")
    check_local_schema(sqlite_engine)


def test_the_comparison_sees_a_database_that_differs_from_the_models(
    sqlite_engine: Engine,
) -> None:
    upgrade(sqlite_engine, "local")
    with sqlite_engine.begin() as connection:
        connection.execute(text("DROP INDEX ix_patients_phone"))
        connection.execute(text("CREATE TABLE stray (id INTEGER PRIMARY KEY)"))
    differences, _ = schema_differences(sqlite_engine, "local")
    kinds = sorted((d[0], getattr(d[1], "name", None)) for d in differences)
    assert kinds == [("add_index", "ix_patients_phone"), ("remove_table", "stray")]


def test_the_search_index_is_filled_with_patients_already_in_the_store(
    sqlite_engine: Engine,
) -> None:
    upgrade(sqlite_engine, "local", "0001")
    with sqlite_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO patients (id, op_number, first_name, last_name, sex, phone,"
                " date_of_birth_estimated, flagged_fields, created_at, updated_at, version)"
                " VALUES ('0123456789abcdef0123456789abcdef', 'OP-2026-000001-1', 'Mary',"
                " 'Otieno', 'F', '+254757143067', 0, '[]', '2026-11-26 08:00:00',"
                " '2026-11-26 08:00:00', 0)"
            )
        )
    upgrade(sqlite_engine, "local")
    with sqlite_engine.connect() as connection:
        names = connection.execute(
            text("SELECT patient_id FROM patient_search_names WHERE names MATCH 'otieno'")
        ).scalars()
        assert list(names) == ["0123456789abcdef0123456789abcdef"]
        numbers = connection.execute(
            text(
                "SELECT numbers FROM patient_search_numbers"
                " WHERE numbers MATCH '\"1430 4306 3067\"'"
            )
        ).scalars()
        assert list(numbers) == [
            "OP20 P202 2026 0260 2600 6000 0000 0000 0001 0011 011"
            " 0757 7571 5714 7143 1430 4306 3067 067"
        ]


def search_segments(engine: Engine, table: str) -> int:
    """How many segments ``table``'s FTS5 index is in: its pages' rowids in
    the ``_data`` table are the segment's id shifted left by 37 bits, above
    the averages (1) and structure (10) records (FTS5_SEGMENT_ROWID in
    SQLite's fts5_index.c)."""
    with engine.connect() as connection:
        return int(
            connection.execute(
                text(f"SELECT count(DISTINCT rowid >> 37) FROM {table}_data WHERE rowid > 10")
            ).scalar_one()
        )


FRAGMENTS = ("0757", "143064", "00004", "OP2026", "0000051", "2026")


def trigrams(fragment: str) -> str:
    return f'"{fragment}"'


def endings(fragment: str) -> str:
    return f'"{fragment}"*'


def search_hits(engine: Engine, match: Callable[[str], str] = trigrams) -> list[list[str]]:
    """Patients found by two names and by number fragments, each as the
    numbers' table of the store's revision is asked (``match``: a phrase of
    trigrams before 0015, the start of an ending at 0015, a phrase of
    pieces from 0016)."""
    with engine.connect() as connection:
        return [
            list(
                connection.execute(
                    text(f"SELECT patient_id FROM {table} WHERE {table} MATCH :match"),
                    {"match": match},
                ).scalars()
            )
            for table, match in (
                ("patient_search_names", "otieno"),
                ("patient_search_names", '"wan"*'),
                *(("patient_search_numbers", match(f)) for f in FRAGMENTS),
            )
        ]


def check_search_index(engine: Engine) -> None:
    with engine.begin() as connection:
        for table in SEARCH_TABLES:
            connection.execute(text(f"INSERT INTO {table} ({table}) VALUES ('integrity-check')"))


def add_patients(engine: Engine) -> None:
    """Eight patients, a transaction each as desks register them (a segment
    of each search table each)."""
    for n in range(1, 9):
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO patients (id, op_number, first_name, last_name, sex, phone,"
                    " date_of_birth_estimated, flagged_fields, created_at, updated_at,"
                    " version) VALUES (:id, :op, :first, 'Otieno', 'F', :phone, 0, '[]',"
                    " '2026-11-26 08:00:00', '2026-11-26 08:00:00', 0)"
                ),
                {
                    "id": f"{n:032x}",
                    "op": f"OP-2026-{n:06d}-1",
                    "first": ("Wanjiru", "Akinyi")[n % 2],
                    "phone": f"+25475714306{n}",
                },
            )


ENCRYPTED_OR_NOT = pytest.mark.parametrize(
    "key", [None, bytes(range(32))], ids=["plain", "encrypted"]
)


def search_shape(engine: Engine) -> list[str]:
    """The search tables' and triggers' statements, as SQLite keeps them."""
    with engine.connect() as connection:
        return list(
            connection.execute(
                text(
                    "SELECT sql FROM sqlite_master WHERE name IN (:names, :numbers)"
                    " OR (type = 'trigger' AND tbl_name = 'patients') ORDER BY name"
                ),
                {"names": "patient_search_names", "numbers": "patient_search_numbers"},
            ).scalars()
        )


NAME_STARTS = ("otieno", '"wan"*', '"wanjir"*', '"otien"*', '"akinyi"*', '"wanjiru" "otieno"*')


def name_hits(engine: Engine) -> list[list[str]]:
    with engine.connect() as connection:
        return [
            list(
                connection.execute(
                    text("SELECT patient_id FROM patient_search_names WHERE names MATCH :match"),
                    {"match": match},
                ).scalars()
            )
            for match in NAME_STARTS
        ]


def add_later_patients(engine: Engine) -> list[str]:
    """Two patients with a number fragment no one else has and one whose
    names start like others', in one transaction; their ids."""
    later = [f"{n:032x}" for n in range(9, 12)]
    with engine.begin() as connection:
        for id_, first, last, phone in (
            (later[0], "Zawadi", None, "+254757999064"),
            (later[1], "Zawadi", None, "+254757999064"),
            (later[2], "Wanjiru", "Otienoh", None),
        ):
            connection.execute(
                text(
                    "INSERT INTO patients (id, op_number, first_name, last_name, sex, phone,"
                    " date_of_birth_estimated, flagged_fields, created_at, updated_at,"
                    " version) VALUES (:id, 'OP-2026-000900-3', :first, :last, 'F', :phone,"
                    " 0, '[]', '2026-11-26 08:00:00', '2026-11-26 08:00:00', 0)"
                ),
                {"id": id_, "first": first, "last": last, "phone": phone},
            )
    return later


@ENCRYPTED_OR_NOT
def test_0015_rebuilds_the_search_index_finding_the_same_patients_both_ways(
    tmp_path: Path, key: bytes | None
) -> None:
    """Up from a store at 0014 filled in eight transactions: the numbers'
    endings and the names' longer prefixes, one segment a table, the same
    patients found; new patients indexed by the triggers made again; and
    down to 0014's tables and triggers, finding the same."""
    engine = create_sqlite_engine(tmp_path / "store.sqlite3", key)
    try:
        upgrade(engine, "local", "0014")
        add_patients(engine)
        shape = search_shape(engine)
        before = search_hits(engine)
        everyone = [f"{n:032x}" for n in range(1, 9)]
        four, five = [everyone[3]], [everyone[4]]
        assert before == [everyone, everyone[1::2], everyone, four, four, everyone, five, everyone]
        assert all(before)  # every fragment finds someone
        names_before = name_hits(engine)
        evens, odds = everyone[1::2], everyone[0::2]
        assert names_before == [everyone, evens, evens, everyone, odds, evens]
        assert search_segments(engine, "patient_search_numbers") > 1
        assert search_segments(engine, "patient_search_names") > 1

        upgrade(engine, "local", "0015")

        assert search_segments(engine, "patient_search_numbers") == 1
        assert search_segments(engine, "patient_search_names") == 1
        assert search_hits(engine, endings) == before
        assert name_hits(engine) == names_before
        check_search_index(engine)
        later = add_later_patients(engine)  # the triggers made again index new patients
        upgrade(engine, "local", "0015")  # nothing
        with engine.connect() as connection:
            found = connection.execute(
                text(
                    "SELECT patient_id FROM patient_search_numbers WHERE numbers MATCH '\"99906\"*'"
                )
            ).scalars()
            assert list(found) == later[:2]
        after = search_hits(engine, endings)
        names_after = name_hits(engine)
        assert names_after == [everyone, [*evens, later[2]], [*evens, later[2]]] + [
            [*hits, later[2]] if hits != odds else hits for hits in names_before[3:]
        ]

        downgrade(engine, "local", "0014")

        assert search_shape(engine) == shape
        assert search_hits(engine) == after
        assert name_hits(engine) == names_after
        assert search_segments(engine, "patient_search_numbers") == 1
        assert search_segments(engine, "patient_search_names") == 1
        check_search_index(engine)
    finally:
        engine.dispose()


@ENCRYPTED_OR_NOT
def test_0016_makes_the_numbers_table_of_pieces_finding_the_same_patients_both_ways(
    tmp_path: Path, key: bytes | None
) -> None:
    """Up from a store at 0015 filled in eight transactions: the numbers'
    table of pieces in one segment, each fragment finding the same
    patients in the same order, the names' table left as it was; new
    patients indexed by the triggers made again; and down to 0015's
    table and triggers, finding the same."""
    engine = create_sqlite_engine(tmp_path / "store.sqlite3", key)
    try:
        upgrade(engine, "local", "0015")
        add_patients(engine)
        shape = search_shape(engine)
        before = search_hits(engine, endings)
        everyone = [f"{n:032x}" for n in range(1, 9)]
        four, five = [everyone[3]], [everyone[4]]
        assert before == [everyone, everyone[1::2], everyone, four, four, everyone, five, everyone]
        names_before = name_hits(engine)
        names_segments = search_segments(engine, "patient_search_names")
        assert names_segments > 1
        assert search_segments(engine, "patient_search_numbers") > 1

        upgrade(engine, "local", "0016")

        assert search_segments(engine, "patient_search_numbers") == 1
        assert search_segments(engine, "patient_search_names") == names_segments
        assert search_hits(engine, fragment_match) == before
        assert name_hits(engine) == names_before
        check_search_index(engine)
        later = add_later_patients(engine)  # the triggers made again index new patients
        with engine.connect() as connection:
            found = connection.execute(
                text("SELECT patient_id FROM patient_search_numbers WHERE numbers MATCH :match"),
                {"match": fragment_match("99906")},
            ).scalars()
            assert list(found) == later[:2]
        after = search_hits(engine, fragment_match)
        assert after != before

        downgrade(engine, "local", "0015")

        assert search_shape(engine) == shape
        assert search_hits(engine, endings) == after
        assert search_segments(engine, "patient_search_numbers") == 1
        check_search_index(engine)
    finally:
        engine.dispose()


def test_a_store_at_0014_indexes_each_numbers_search_key_for_its_trigram_table(
    sqlite_engine: Engine,
) -> None:
    """0002 makes the triggers of its own tables (not those of 0015): a
    patient there before and one added after are found by a fragment as a
    phrase of trigrams, each number's search key whole."""
    upgrade(sqlite_engine, "local", "0001")
    add_patients(sqlite_engine)
    upgrade(sqlite_engine, "local", "0014")
    later = add_later_patients(sqlite_engine)
    with sqlite_engine.connect() as connection:
        found = connection.execute(
            text(
                "SELECT patient_id, numbers FROM patient_search_numbers"
                " WHERE numbers MATCH '\"57999064\"' OR numbers MATCH '\"7143064\"'"
            )
        ).all()
    assert sorted(found) == [
        (f"{4:032x}", "OP20260000041  0757143064  "),
        (later[0], "OP20260009003  0757999064  "),
        (later[1], "OP20260009003  0757999064  "),
    ]
    check_search_index(sqlite_engine)


def test_opening_a_store_twice_keeps_its_device_id_and_data(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = open_local_store(data_dir)
    device_id = first.device_id
    with first.write() as session:
        session.add(StoreSetting(key="server_url", value="http://127.0.0.1:8750"))
    first.close()

    second = open_local_store(data_dir)
    try:
        assert second.path == data_dir / STORE_FILE
        assert second.device_id == device_id
        assert second.get_setting("server_url") == "http://127.0.0.1:8750"
        assert current_revision(second.engine) == head("local")
        with second.session() as session:
            keys = session.execute(text("SELECT key FROM store_settings")).scalars().all()
        assert sorted(keys) == sorted([DEVICE_ID_KEY, "server_url"])
        check_local_schema(second.engine)
    finally:
        second.close()


def test_the_app_opens_a_current_store_and_logs_in_without_loading_alembic(
    tmp_path: Path,
) -> None:
    """Importing Alembic takes longer than the rest of the app's start: a
    store at the head opens without it (``upgrade`` reads the revision
    itself), and the logged-in session's modules (its daily backup among
    them) do not load it either."""
    open_local_store(tmp_path).close()
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from clinic.store import open_local_store\n"
        "import desktop.session\n"
        f"open_local_store(Path({str(tmp_path)!r})).close()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_a_copied_store_file_keeps_the_device_id_it_was_made_with(tmp_path: Path) -> None:
    # the test fixtures rely on this: a copied template keeps its device id
    template = open_local_store(tmp_path / "a")
    template.close()
    (tmp_path / "b").mkdir()
    for name in (STORE_FILE, KEY_FILE):  # the folder copied: the store and its key
        shutil.copy(tmp_path / "a" / name, tmp_path / "b" / name)
    copy = open_local_store(tmp_path / "b")
    fresh = open_local_store(tmp_path / "c")
    try:
        assert copy.device_id == template.device_id
        assert fresh.device_id != template.device_id
    finally:
        copy.close()
        fresh.close()


def test_a_store_a_newer_version_made_is_refused_unchanged(tmp_path: Path) -> None:
    """An older app opening a store a newer one migrated says so, naming the
    revision, and writes nothing (Alembic's own answer was "Can't locate
    revision", a traceback at the desktop's start)."""
    store = open_local_store(tmp_path)
    with store.write() as session:
        session.add(StoreSetting(key="server_url", value="http://127.0.0.1:8750"))
    stamp(store.engine, "0999")
    store.close()
    before = (tmp_path / STORE_FILE).read_bytes()

    assert not store_behind(tmp_path)  # no "Updating…" dialog before the refusal
    with pytest.raises(NewerDatabase) as refused:
        open_local_store(tmp_path)

    assert refused.value.revision == "0999"
    assert str(refused.value).startswith(
        "This PC's clinic data was last opened by a newer version of Seth Clinic (revision 0999)"
    )
    assert (tmp_path / STORE_FILE).read_bytes() == before


# --- PostgreSQL, central tree ---------------------------------------------------


def check_central_schema(engine: Engine) -> None:
    differences, options = schema_differences(engine, "central")
    assert differences == []
    assert options["render_as_batch"] is False
    assert options["compare_type"] is True
    metadata = options["target_metadata"]
    assert tables(engine) == metadata_tables(metadata, without_store="local") | {"alembic_version"}
    assert tables(engine) >= SHARED_TABLES
    assert not LOCAL_ONLY_TABLES & tables(engine)
    assert not {t for t in tables(engine) if t.startswith(SEARCH_TABLE_PREFIX)}
    with engine.connect() as connection:
        triggers = connection.execute(
            text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        ).scalars()
        assert not SEARCH_TRIGGERS & set(triggers)


@pytest.mark.postgres
def test_central_tree_upgrades_an_empty_database_to_head(postgres_engine: Engine) -> None:
    assert tables(postgres_engine) == set()
    upgrade(postgres_engine, "central")
    assert current_revision(postgres_engine) == head("central")
    check_central_schema(postgres_engine)


@pytest.mark.postgres
def test_central_tree_downgrades_to_base_and_upgrades_again(postgres_engine: Engine) -> None:
    upgrade(postgres_engine, "central")
    downgrade(postgres_engine, "central", "base")
    assert current_revision(postgres_engine) is None
    assert tables(postgres_engine) == {"alembic_version"}
    upgrade(postgres_engine, "central")
    assert current_revision(postgres_engine) == head("central")
    check_central_schema(postgres_engine)


@pytest.mark.postgres
def test_the_comparison_sees_a_postgres_database_that_differs_from_the_models(
    postgres_engine: Engine,
) -> None:
    upgrade(postgres_engine, "central")
    with postgres_engine.begin() as connection:
        connection.execute(text("DROP INDEX ix_patients_phone"))
        connection.execute(text("ALTER TABLE patients ALTER COLUMN residence TYPE text"))
    differences, _ = schema_differences(postgres_engine, "central")
    flat = [d[0] if isinstance(d, tuple) else d[0][0] for d in differences]
    assert sorted(flat) == ["add_index", "modify_type"]


@pytest.mark.postgres
def test_a_database_a_newer_server_migrated_is_refused_unchanged(postgres_engine: Engine) -> None:
    upgrade(postgres_engine, "central")
    stamp(postgres_engine, "0999")

    with pytest.raises(NewerDatabase, match=r"^The clinic database .* \(revision 0999\)"):
        upgrade(postgres_engine, "central")

    assert current_revision(postgres_engine) == "0999"
