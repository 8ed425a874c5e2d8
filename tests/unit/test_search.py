"""Finding a patient at the desk: ranked tiers, name and number matching, and
the SQLite search index the triggers keep in step with the patients table."""

from __future__ import annotations

import uuid
from contextlib import nullcontext
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text

from clinic.actor import Actor
from clinic.numbering.service import add_lease
from clinic.patients.models import Patient
from clinic.patients.search import list_patients, search_patient_ids, search_patients
from clinic.patients.search_index import (
    HASH_BYTES,
    NAMES,
    NUMBERS,
    entries_held,
    pause_indexing,
    resume_indexing,
)
from clinic.patients.service import PatientDetails, register_patient, update_patient
from clinic.rules.numbers import NumberKind
from clinic.store import LocalStore
from tests.conftest import TODAY

DELETED_AT = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def add(store: LocalStore, actor: Actor, first_name: str, **details: Any) -> Patient:
    with store.write() as session:
        return register_patient(
            PatientDetails(first_name=first_name, **details),
            session=session,
            actor=actor,
            today=TODAY,
        ).patient


def find(store: LocalStore, query: str, limit: int = 20) -> list[str]:
    """First names of the hits, best first."""
    with store.session() as session:
        return [hit.first_name for hit in search_patients(query, session=session, limit=limit)]


def set_column(store: LocalStore, patient: Patient, **values: Any) -> None:
    with store.write() as session:
        row = session.get(Patient, patient.id)
        assert row is not None
        for name, value in values.items():
            setattr(row, name, value)


@pytest.fixture
def leased(store: LocalStore) -> None:
    """OP numbers from a leased block: OP-2026-001001-0, OP-2026-001002-8, ..."""
    with store.write() as session:
        add_lease(session, store.device_id, NumberKind.OP, 2026, 1001, 2000)


# --- exact identifiers first ----------------------------------------------------


@pytest.mark.usefixtures("leased")
@pytest.mark.parametrize(
    "query",
    [
        "OP-2026-001002-8",
        "OP-2026-001002",
        "op 2026 001002",
        "OP20260010028",
        "  op-2026-001002-8  ",
    ],
)
def test_an_exact_op_number_with_or_without_check_digit_comes_first(
    store: LocalStore, receptionist: Actor, query: str
) -> None:
    # Zed, registered first, holds Ben's number inside his legacy number: a
    # fragment hit that would come first if the exact tier did not, and that
    # an exact hit leaves out (the patient at the desk has been found)
    add(store, receptionist, "Zed", legacy_number="OP-2026-001002-8/A")
    add(store, receptionist, "Ben")
    add(store, receptionist, "Cy")
    assert find(store, "OP-2026-001003-6") == ["Cy"]
    assert find(store, query) == ["Ben"]


@pytest.mark.parametrize(
    "query", ["0757143067", "0757 143 067", "757143067", "+254757143067", "254 757 143 067"]
)
def test_an_exact_phone_in_any_typed_form_is_found_first(
    store: LocalStore, receptionist: Actor, query: str
) -> None:
    # Zed, registered first, holds the digits inside his SHA number: found
    # by the fragment alone, and left out once the exact phone matched
    add(store, receptionist, "Zed", sha_number="SHA-0757143067")
    add(store, receptionist, "Ann", phone="0757143067")
    add(store, receptionist, "Ben", phone="0757143068")
    assert find(store, query) == ["Ann"]
    assert find(store, "757143") == ["Zed", "Ann", "Ben"]


def test_exact_identifiers_come_before_names_and_fragments(
    store: LocalStore, receptionist: Actor
) -> None:
    add(store, receptionist, "Wanjiku", last_name="Kamau")
    add(store, receptionist, "Kamau", phone="0711 123 456")
    add(store, receptionist, "Ann", national_id="12345678")
    add(store, receptionist, "Bob", sha_number="SHA-12345678")
    add(store, receptionist, "Cy", legacy_number="12345678")
    # the national id and the legacy number are exact; the SHA number holds the
    # digits only as a fragment, found when nothing matches exactly
    assert sorted(find(store, "12345678")) == ["Ann", "Cy"]
    assert find(store, "2345678") == ["Ann", "Bob", "Cy"]
    assert find(store, "SHA-12345678") == ["Bob"]
    assert find(store, "sha-12345678") == ["Bob"]


def test_a_legacy_number_is_found_exactly(store: LocalStore, receptionist: Actor) -> None:
    add(store, receptionist, "Ann", legacy_number="001/25")
    add(store, receptionist, "Ben", legacy_number="OP-2025-001")
    assert find(store, "001/25") == ["Ann"]
    assert find(store, "OP-2025-001") == ["Ben"]


def test_an_exact_phone_comes_before_a_name_that_matches(
    store: LocalStore, receptionist: Actor
) -> None:
    add(store, receptionist, "Otieno")
    add(store, receptionist, "Mary", phone="0757143067")
    add(store, receptionist, "Jane", phone="0757143066")
    assert find(store, "0757143067") == ["Mary"]


# --- names ------------------------------------------------------------------


def test_names_match_from_the_start_of_any_name(store: LocalStore, receptionist: Actor) -> None:
    add(store, receptionist, "Mary", middle_name="Wanjiru", last_name="Otieno")
    for query in ("mary", "MAR", "wan", "Wanjiru", "oti", "otieno"):
        assert find(store, query) == ["Mary"], query
    for query in ("ary", "njiru", "ieno"):
        assert find(store, query) == [], query


def test_whole_word_names_come_before_prefix_names(store: LocalStore, receptionist: Actor) -> None:
    add(store, receptionist, "Annabel")
    add(store, receptionist, "Anne")
    add(store, receptionist, "Joy", last_name="Ann")
    add(store, receptionist, "Annah")
    hits = find(store, "ann")
    assert hits[:1] == ["Joy"]
    assert sorted(hits[1:]) == ["Annabel", "Annah", "Anne"]


@pytest.mark.parametrize(
    ("registered", "typed"),
    [
        ("Otieno", "otiyeno"),  # a letter too many
        ("Cheruiyot", "cheruyot"),  # a letter missing
        ("Wanjiku", "wanjiky"),  # a letter wrong
        ("Mohamed", "mohamde"),  # two letters swapped
        ("Zoë", "zoey"),  # accents are ignored before counting
    ],
)
def test_a_name_one_letter_off_is_found(
    store: LocalStore, receptionist: Actor, registered: str, typed: str
) -> None:
    add(store, receptionist, "Amina", last_name=registered)
    add(store, receptionist, "Brian", last_name="Kiprotich")
    assert find(store, typed) == ["Amina"]
    assert find(store, f"AMINA {typed}") == ["Amina"]


def test_misspelt_names_come_after_exact_ones(store: LocalStore, receptionist: Actor) -> None:
    add(store, receptionist, "Wanjiku")
    add(store, receptionist, "Wanjiru")
    add(store, receptionist, "Wanjirugi")
    assert find(store, "wanjiru") == ["Wanjiru", "Wanjirugi", "Wanjiku"]


def test_two_letters_off_or_a_short_word_off_is_not_a_match(
    store: LocalStore, receptionist: Actor
) -> None:
    add(store, receptionist, "Joy", last_name="Otieno")
    assert find(store, "otiyenno") == []
    assert find(store, "jay otieno") == []
    assert find(store, "joy otieno") == ["Joy"]


def test_every_word_must_be_near_a_name(store: LocalStore, receptionist: Actor) -> None:
    add(store, receptionist, "Mary", last_name="Otieno")
    assert find(store, "mary otiyeno") == ["Mary"]
    assert find(store, "marx otiyeno") == ["Mary"]
    assert find(store, "marys otiyeno") == ["Mary"]
    assert find(store, "maryam otiyeno") == []
    assert find(store, "grace otiyeno") == []


def test_a_patient_registered_after_a_search_is_found_misspelt(
    store: LocalStore, receptionist: Actor
) -> None:
    add(store, receptionist, "Brian", last_name="Kiprotich")
    assert find(store, "kiprotic") == ["Brian"]
    add(store, receptionist, "Halima", last_name="Cheruiyot")
    assert find(store, "cheruyot") == ["Halima"]


def test_a_name_registered_after_a_misspelt_search_is_found_by_it_again(
    store: LocalStore, receptionist: Actor
) -> None:
    add(store, receptionist, "Amina", last_name="Otieno")
    assert find(store, "otiyeno") == ["Amina"]
    add(store, receptionist, "Zawadi", last_name="Otiyeni")
    assert find(store, "otiyeno") == ["Amina", "Zawadi"]
    assert find(store, "amina otiyeno") == ["Amina"]


def test_two_words_must_both_match(store: LocalStore, receptionist: Actor) -> None:
    add(store, receptionist, "Mary", last_name="Otieno")
    add(store, receptionist, "Mary", last_name="Kamau", phone="0711000001")
    add(store, receptionist, "John", last_name="Otieno", phone="0711000002")
    with store.session() as session:
        hits = search_patients("mary oti", session=session)
        assert [(h.first_name, h.last_name) for h in hits] == [("Mary", "Otieno")]
        hits = search_patients("otieno mary", session=session)
        assert [(h.first_name, h.last_name) for h in hits] == [("Mary", "Otieno")]
    assert find(store, "mary wanjiru") == []


def test_names_match_without_accents_and_in_any_case(
    store: LocalStore, receptionist: Actor
) -> None:
    add(store, receptionist, "Zoë", last_name="O'Brien")
    assert find(store, "zoe") == ["Zoë"]
    assert find(store, "BRIEN") == ["Zoë"]


def test_query_characters_that_mean_something_to_fts_are_harmless(
    store: LocalStore, receptionist: Actor
) -> None:
    add(store, receptionist, "Mary", last_name="Otieno")
    for query in ('"mary', "mary*", "mary OR john", "(mary)", "mary AND", "NOT mary", "o'tieno"):
        find(store, query)
    assert find(store, '"mary"') == ["Mary"]
    assert find(store, "mary-otieno") == ["Mary"]


# --- number fragments -------------------------------------------------------


def test_fragments_of_a_phone_match_inside_it(store: LocalStore, receptionist: Actor) -> None:
    add(store, receptionist, "Mary", phone="+254757143067")
    add(store, receptionist, "John", phone="0722000111")
    for query in ("143067", "0757 143", "757-143", "3067", "571"):
        assert find(store, query) == ["Mary"], query
    assert find(store, "999") == []


def test_a_long_fragment_is_found_whole_not_in_pieces(
    store: LocalStore, receptionist: Actor
) -> None:
    # A long fragment is looked up as its first three characters and its
    # tail: Joan's numbers hold both ("757" in the phone, "57143" in the
    # national ID) but not "757143" itself, and she is not found by it.
    add(store, receptionist, "Joan", phone="0711757000", national_id="57143000")
    add(store, receptionist, "Mary", phone="+254757143067")
    add(store, receptionist, "Mark", phone="0700757143")
    for query in ("757143", "0757143", "757 143"):
        assert find(store, query) == ["Mary", "Mark"], query
    assert find(store, "7571430") == ["Mary"]
    assert find(store, "757000") == ["Joan"]


def test_a_fragment_running_from_one_number_into_the_next_is_not_found(
    store: LocalStore, receptionist: Actor
) -> None:
    add(store, receptionist, "Mary", phone="0757143067", national_id="12345678")
    assert find(store, "3067") == ["Mary"]
    assert find(store, "1234") == ["Mary"]
    for query in ("30671234", "0671", "67123"):
        assert find(store, query) == [], query


@pytest.mark.usefixtures("leased")
def test_fragments_of_an_op_number_match_inside_it(store: LocalStore, receptionist: Actor) -> None:
    add(store, receptionist, "Ann")
    add(store, receptionist, "Ben")
    assert find(store, "001002") == ["Ben"]
    assert sorted(find(store, "2026-0010")) == ["Ann", "Ben"]


def test_names_come_before_number_fragments(store: LocalStore, receptionist: Actor) -> None:
    # "cr 123": "cr" starts a name (Crispin) and "CR123" is inside an SHA number
    add(store, receptionist, "Bob", sha_number="CR1234567")
    add(store, receptionist, "Crispin")
    add(store, receptionist, "Carol")
    assert find(store, "cr 123") == ["Crispin", "Bob"]
    assert find(store, "cr123") == ["Bob"]


def test_a_fragment_needs_three_characters(store: LocalStore, receptionist: Actor) -> None:
    add(store, receptionist, "Mary", phone="0757143067")
    assert find(store, "06") == []
    assert find(store, "067") == ["Mary"]


def test_queries_under_two_characters_find_nothing(store: LocalStore, receptionist: Actor) -> None:
    add(store, receptionist, "A", last_name="B", phone="0757143067")
    add(store, receptionist, "Al")
    assert find(store, "") == []
    assert find(store, "a") == []
    assert find(store, " a ") == []
    assert find(store, "7") == []
    assert find(store, "al") == ["Al"]


def test_the_limit_is_respected_in_every_tier(store: LocalStore, receptionist: Actor) -> None:
    for index in range(6):
        add(store, receptionist, "Otieno", phone=f"0711 000 00{index}")
    assert len(find(store, "otieno", limit=4)) == 4
    assert len(find(store, "oti", limit=3)) == 3
    assert len(find(store, "0711 000", limit=5)) == 5
    assert len(find(store, "0711 000")) == 6
    assert find(store, "otieno", limit=0) == []
    with store.session() as session:
        assert (
            search_patient_ids(session, "otieno", limit=2)
            == search_patient_ids(session, "otieno", limit=6)[:2]
        )


def test_hits_carry_the_patients_details(store: LocalStore, receptionist: Actor) -> None:
    patient = add(store, receptionist, "Mary", last_name="Otieno", phone="0757143067", age="33yrs")
    with store.session() as session:
        [hit] = search_patients("mary", session=session)
    assert hit.id == patient.id
    assert hit.op_number == "TMP-OP-2026-000001-1"
    assert hit.full_name == "Mary Otieno"
    assert hit.phone == "+254757143067"
    assert hit.date_of_birth_estimated is True
    assert hit.sex == "U"


# --- merged, deleted, and the index kept in step ----------------------------


def test_merged_and_deleted_patients_are_not_found(store: LocalStore, receptionist: Actor) -> None:
    kept = add(store, receptionist, "Mary", last_name="Otieno", phone="0757143067")
    merged = add(store, receptionist, "Mary", last_name="Otieno", phone="0757143068")
    deleted = add(store, receptionist, "Mary", last_name="Otieno", phone="0757143069")
    set_column(store, merged, merged_into=kept.id)
    set_column(store, deleted, deleted_at=DELETED_AT)
    with store.session() as session:
        for query in ("mary", "oti", "0757143", "0757143068", "0757143069", merged.op_number):
            ids = [h.id for h in search_patients(query, session=session)]
            assert merged.id not in ids, query
            assert deleted.id not in ids, query
        assert [h.id for h in search_patients("mary", session=session)] == [kept.id]
        assert [p.id for p in list_patients(session=session)] == [kept.id]


def test_an_unmerged_patient_is_found_again(store: LocalStore, receptionist: Actor) -> None:
    kept = add(store, receptionist, "Ann")
    merged = add(store, receptionist, "Mary")
    set_column(store, merged, merged_into=kept.id)
    assert find(store, "mary") == []
    set_column(store, merged, merged_into=None)
    assert find(store, "mary") == ["Mary"]


def test_updating_a_name_or_phone_updates_the_index(store: LocalStore, receptionist: Actor) -> None:
    patient = add(store, receptionist, "Mary", last_name="Otieno", phone="0757143067")
    with store.write() as session:
        update_patient(
            patient.id,
            {"last_name": "Kamau", "phone": "0722 000 111"},
            session=session,
            actor=receptionist,
            today=TODAY,
        )
    assert find(store, "kamau") == ["Mary"]
    assert find(store, "0722000111") == ["Mary"]
    assert find(store, "000111") == ["Mary"]
    assert find(store, "otieno") == []
    assert find(store, "143067") == []
    assert find(store, "0757143067") == []
    assert find(store, "mary") == ["Mary"]


def test_the_index_holds_one_row_per_indexed_patient(
    store: LocalStore, receptionist: Actor
) -> None:
    patients = [add(store, receptionist, name) for name in ("Ann", "Ben", "Cy")]
    for name in ("Anna", "Annette"):
        set_column(store, patients[0], first_name=name)
    set_column(store, patients[1], deleted_at=DELETED_AT)
    set_column(store, patients[2], merged_into=patients[0].id)
    set_column(store, patients[2], merged_into=None)

    def indexed(table: str) -> list[str]:
        with store.session() as session:
            return sorted(session.execute(text(f"SELECT patient_id FROM {table}")).scalars().all())

    expected = sorted(p.id.hex for p in (patients[0], patients[2]))
    assert indexed("patient_search_names") == expected
    assert indexed("patient_search_numbers") == expected
    assert find(store, "anna") == []
    assert find(store, "annette") == ["Annette"]
    assert find(store, "ben") == []
    assert find(store, "cy") == ["Cy"]


def test_a_row_deleted_from_the_table_leaves_the_index(
    store: LocalStore, receptionist: Actor
) -> None:
    patient = add(store, receptionist, "Mary", phone="0757143067")
    with store.write() as session:
        session.execute(text("DELETE FROM outbox"))
        session.execute(text("DELETE FROM audit_events"))
        session.execute(text("DELETE FROM patients WHERE id = :id"), {"id": patient.id.hex})
    assert find(store, "mary") == []
    assert find(store, "143067") == []
    with store.session() as session:
        assert session.execute(text("SELECT count(*) FROM patient_search_names")).scalar() == 0
        assert session.execute(text("SELECT count(*) FROM patient_search_numbers")).scalar() == 0


def test_search_ids_are_stored_hex_ids(store: LocalStore, receptionist: Actor) -> None:
    patient = add(store, receptionist, "Mary", phone="0757143067")
    with store.session() as session:
        assert search_patient_ids(session, "mary") == [patient.id.hex]
        assert search_patient_ids(session, "0757143067") == [patient.id.hex]
        assert search_patient_ids(session, "143067") == [patient.id.hex]
        assert uuid.UUID(hex=search_patient_ids(session, "mary")[0]) == patient.id


# --- a bulk load's entries ------------------------------------------------------

MANY = 12_000
"""Patients whose numbers' entries are over FTS5's 1 MiB held in memory."""


def segments(cursor: Any, table: str) -> int:
    """The segments of an FTS5 table's index, from its structure record
    (``%_data`` row 10: a 4-byte cookie, SQLite 3.44's 4-byte mark of its
    second version if there, then the levels and segments as varints,
    single bytes here)."""
    (record,) = cursor.execute(f"SELECT block FROM {table}_data WHERE id = 10").fetchone()
    start = 8 if record[4:8] == b"\xff\x00\x00\x01" else 4
    levels, count = record[start], record[start + 1]
    assert levels < 0x80 and count < 0x80
    return int(count)


def blocks(cursor: Any, table: str) -> int:
    """The rows of an FTS5 table's index written to the store so far."""
    (count,) = cursor.execute(f"SELECT count(*) FROM {table}_data").fetchone()
    return int(count)


def index_many(store: LocalStore, receptionist: Actor, held: bool) -> dict[str, Any]:
    """:data:`MANY` copies of one patient added with indexing paused, then
    indexed together (inside ``entries_held`` when ``held``): the numbers'
    index rows written before leaving it, the segments that added to each
    table, its ``hashsize`` setting after, and what a fragment and a name
    find."""
    add(store, receptionist, "Wanjiru", last_name="Kamau", phone="0722100000")
    with store.write() as session:
        cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
        paused = pause_indexing(cursor)
        columns = [name for (_, name, *_rest) in cursor.execute("PRAGMA table_info(patients)")]
        made = {
            "id": "lower(hex(randomblob(16)))",
            "op_number": "'OP-2026-' || printf('%06d', n)",
            "phone": "'0733' || printf('%06d', n)",
        }
        chosen = ", ".join(made.get(name, name) for name in columns)
        cursor.execute(
            f"WITH RECURSIVE n(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM n WHERE n < {MANY})"
            f" INSERT INTO patients ({', '.join(columns)}) SELECT {chosen} FROM patients, n"
        )
        before = {
            table: (segments(cursor, table), blocks(cursor, table)) for table in (NAMES, NUMBERS)
        }
        with entries_held(cursor) if held else nullcontext():
            resume_indexing(cursor, paused)
            written_inside = blocks(cursor, NUMBERS) - before[NUMBERS][1]
        shape = {
            table: (
                segments(cursor, table) - before[table][0],
                cursor.execute(f"SELECT v FROM {table}_config WHERE k = 'hashsize'").fetchall(),
            )
            for table in (NAMES, NUMBERS)
        }
    return {
        "written inside": written_inside,
        "shape": shape,
        "found": len(find(store, "073300599", limit=100)),
        "wanjiru": len(find(store, "wanjiru", limit=MANY + 10)),
    }


def test_a_bulk_loads_entries_go_to_each_table_as_one_segment(
    store: LocalStore, receptionist: Actor
) -> None:
    """``entries_held`` (the end of a first sync): FTS5 holds the new
    entries in memory and writes each table's as one segment on leaving,
    instead of one a MiB, merged again and again as they come; then it
    holds no more than its default."""
    result = index_many(store, receptionist, held=True)

    assert result["written inside"] == 0
    assert result["shape"] == {table: (1, [(HASH_BYTES,)]) for table in (NAMES, NUMBERS)}
    assert result["found"] == 10  # 0733005990-0733005999
    assert result["wanjiru"] == MANY + 1


def test_without_holding_them_the_same_entries_are_written_as_they_come(
    store: LocalStore, receptionist: Actor
) -> None:
    """What the test above holds ``entries_held`` to: the same patients,
    indexed as before it, have their entries written while they are
    indexed, in several segments."""
    result = index_many(store, receptionist, held=False)

    assert result["written inside"] > 0
    assert result["shape"][NUMBERS][0] > 1
    assert result["found"] == 10
    assert result["wanjiru"] == MANY + 1
