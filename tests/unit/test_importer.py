"""The paper-register import: names split, ages become estimated dates of birth,
phones normalised, bad values reported and flagged, rows without a name
rejected, and a second import of the same register adding nobody."""

from __future__ import annotations

import shutil
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clinic.actor import Actor
from clinic.db import utcnow
from clinic.enums import ChangeOperation
from clinic.journal.models import AuditEvent, OutboxEntry
from clinic.journal.service import snapshot, verify_chain
from clinic.patients.importer import (
    ImportProblem,
    ImportReport,
    RegisterImport,
    RegisterUnreadable,
    read_paper_register,
)
from clinic.patients.models import Patient
from clinic.patients.service import CheckedDetails, PatientDetails, register_patient
from clinic.store import LocalStore
from tests.conftest import TODAY

SHARED_SAMPLE = Path(__file__).parents[2].parent / "shared" / "samples" / "paper-register.csv"

SAMPLE = """\
NAME,AGE,RESIDENCE,NUMBER,PHONE NUMBER
grace wambui,27yrs,limuru,011/25,722114455
peter kimani njoroge,54yrs,tigoni,012/25,0733 221 908
baby of rose atieno,3days,ngarariga,013/25,+254711908877
samuel otieno,7mhts,manguo,014/25,7139876
halima abdi,,kamandura,015/25,0110456789
,12yrs,ndeiya,016/25,0720123456
james mutua,41 yrs,kwambira,017/25,
"""

PHONE_REASON = (
    "7139876 has 7 digits; a Kenyan number has 9 after the leading 0 (07xx xxx xxx or 01xx xxx xxx)"
)

SAMPLE_LINES = [
    f"line 5: phone '7139876': {PHONE_REASON}; patient imported without it",
    "line 7: name '': no name given; row not imported",
    "7 rows read: 6 imported, 0 already imported (skipped), 1 rejected; 1 value flagged for review",
]

# legacy number, first, middle, last, date of birth, estimated, phone, residence, flagged
SAMPLE_PATIENTS = [
    (
        "011/25",
        "Grace",
        None,
        "Wambui",
        date(1999, 11, 26),
        True,
        "+254722114455",
        "Limuru",
        [],
    ),
    (
        "012/25",
        "Peter",
        "Kimani",
        "Njoroge",
        date(1972, 11, 26),
        True,
        "+254733221908",
        "Tigoni",
        [],
    ),
    (
        "013/25",
        "Baby",
        "Of Rose",
        "Atieno",
        date(2026, 11, 23),
        True,
        "+254711908877",
        "Ngarariga",
        [],
    ),
    ("014/25", "Samuel", None, "Otieno", date(2026, 4, 26), True, None, "Manguo", ["phone"]),
    ("015/25", "Halima", None, "Abdi", None, False, "+254110456789", "Kamandura", []),
    ("017/25", "James", None, "Mutua", date(1985, 11, 26), True, None, "Kwambira", []),
]


@pytest.fixture
def importer(store: LocalStore) -> Actor:
    """The command line's actor: the store's device, no user, no branch."""
    return Actor(device_id=store.device_id)


@pytest.fixture(params=["inline", "shared sample"])
def register_file(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """The sample register in a file of its own: written from SAMPLE, or the
    real one from shared/samples (skipped where shared/ is not beside the
    checkout)."""
    path = tmp_path / "paper-register.csv"
    if request.param == "inline":
        path.write_text(SAMPLE, encoding="utf-8")
    else:
        if not SHARED_SAMPLE.exists():
            pytest.skip(f"{SHARED_SAMPLE} is not here")
        shutil.copy(SHARED_SAMPLE, path)
    return path


def import_register(source: Path | list[str], *, session: Session, actor: Actor) -> ImportReport:
    """A register (a CSV file's path or its lines) imported in ``session``'s
    transaction, in one part."""
    job = RegisterImport(actor=actor, today=TODAY)
    job.import_rows(read_paper_register(source).rows, session=session)
    return job.report


def run_import(store: LocalStore, actor: Actor, source: Path | list[str]) -> ImportReport:
    with store.write() as session:
        return import_register(source, session=session, actor=actor)


def import_text(store: LocalStore, actor: Actor, text: str) -> ImportReport:
    return run_import(store, actor, text.splitlines(keepends=True))


def patients(store: LocalStore) -> list[Patient]:
    with store.session() as session:
        return list(session.scalars(select(Patient).order_by(Patient.op_number)))


def patient_rows(store: LocalStore) -> list[tuple[object, ...]]:
    return [
        (
            p.legacy_number,
            p.first_name,
            p.middle_name,
            p.last_name,
            p.date_of_birth,
            p.date_of_birth_estimated,
            p.phone,
            p.residence,
            p.flagged_fields,
        )
        for p in patients(store)
    ]


def count(store: LocalStore, model: type[object]) -> int:
    with store.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


# --- the sample register -----------------------------------------------------


def test_the_sample_register_is_imported_and_reported(
    store: LocalStore, importer: Actor, register_file: Path
) -> None:
    report = run_import(store, importer, register_file)

    assert (
        report.rows_read,
        report.imported,
        report.skipped,
        report.rejected,
        report.flagged_values,
    ) == (7, 6, 0, 1, 1)
    assert report.problems == [
        ImportProblem(5, "phone", "7139876", PHONE_REASON, "patient imported without it"),
        ImportProblem(7, "name", "", "no name given", "row not imported"),
    ]
    assert report.lines() == SAMPLE_LINES
    assert patient_rows(store) == SAMPLE_PATIENTS
    assert [p.op_number for p in patients(store)] == [
        "TMP-OP-2026-000001-1",
        "TMP-OP-2026-000002-9",
        "TMP-OP-2026-000003-7",
        "TMP-OP-2026-000004-5",
        "TMP-OP-2026-000005-2",
        "TMP-OP-2026-000006-0",
    ]


def test_every_imported_patient_has_an_outbox_entry_and_an_audit_event(
    store: LocalStore, importer: Actor
) -> None:
    import_text(store, importer, SAMPLE)

    imported = patients(store)
    with store.session() as session:
        entries = list(session.scalars(select(OutboxEntry).order_by(OutboxEntry.sequence)))
        events = list(session.scalars(select(AuditEvent).order_by(AuditEvent.device_sequence)))
    assert [(e.entity, e.row_id, e.operation) for e in entries] == [
        ("patients", p.id, ChangeOperation.INSERT) for p in imported
    ]
    assert [e.changes["legacy_number"] for e in entries] == [row[0] for row in SAMPLE_PATIENTS]
    assert [(e.action, e.entity, e.entity_id, e.user_id) for e in events] == [
        ("register_patient", "patients", p.id, None) for p in imported
    ]
    assert {e.device_id for e in events} == {store.device_id}
    assert verify_chain(events) is None
    assert {(p.device_id, p.created_by, p.registered_branch_id) for p in imported} == {
        (store.device_id, None, None)
    }


def test_an_imported_patient_is_written_as_register_patient_writes_one(
    store: LocalStore, importer: Actor
) -> None:
    with store.write() as session:
        by_hand = register_patient(
            PatientDetails(
                first_name="Grace",
                last_name="Wambui",
                age="27yrs",
                phone="722114455",
                residence="Limuru",
                legacy_number="011/24",
            ),
            session=session,
            actor=importer,
            today=TODAY,
        ).patient.id
    import_text(
        store,
        importer,
        "NAME,AGE,RESIDENCE,NUMBER,PHONE NUMBER\ngrace wambui,27yrs,limuru,011/25,722114455\n",
    )

    with store.session() as session:
        [imported] = session.scalars(
            select(Patient.id).where(Patient.legacy_number == "011/25")
        ).all()
        rows = {p.id: snapshot(p) for p in session.scalars(select(Patient))}
        entries = {e.row_id: e for e in session.scalars(select(OutboxEntry))}
        events = {e.entity_id: e for e in session.scalars(select(AuditEvent))}
        assert (
            verify_chain(
                list(session.scalars(select(AuditEvent).order_by(AuditEvent.device_sequence)))
            )
            is None
        )
    own = {"id", "created_at", "updated_at", "op_number", "legacy_number"}

    def common(values: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in values.items() if k not in own}

    assert rows[imported]["op_number"] == "TMP-OP-2026-000002-9"
    assert common(rows[imported]) == common(rows[by_hand])
    assert entries[imported].changes == rows[imported]
    assert common(entries[imported].changes) == common(entries[by_hand].changes)
    assert set(entries[imported].changes) == set(entries[by_hand].changes)
    assert (entries[imported].operation, entries[imported].base_version) == (
        ChangeOperation.INSERT,
        0,
    )
    assert events[imported].after == rows[imported]
    assert (events[imported].action, events[imported].before, events[imported].user_id) == (
        "register_patient",
        None,
        None,
    )


def test_importing_the_register_again_adds_nobody(
    store: LocalStore, importer: Actor, register_file: Path
) -> None:
    run_import(store, importer, register_file)
    outbox_before = count(store, OutboxEntry)

    again = run_import(store, importer, register_file)

    assert (again.rows_read, again.imported, again.skipped, again.rejected) == (7, 0, 6, 1)
    assert again.flagged_values == 0
    assert again.lines() == [
        "line 7: name '': no name given; row not imported",
        "7 rows read: 0 imported, 6 already imported (skipped), 1 rejected;"
        " 0 values flagged for review",
    ]
    assert count(store, Patient) == 6
    assert count(store, OutboxEntry) == outbox_before
    assert patient_rows(store) == SAMPLE_PATIENTS


def test_a_register_with_new_rows_imports_only_those(store: LocalStore, importer: Actor) -> None:
    import_text(store, importer, SAMPLE)

    report = import_text(
        store, importer, SAMPLE + "wanjiru kamau,19yrs,limuru,018/25,0712 345 678\n"
    )

    assert (report.imported, report.skipped, report.rejected) == (1, 6, 1)
    newest = patients(store)[-1]
    assert (newest.legacy_number, newest.full_name, newest.phone, newest.op_number) == (
        "018/25",
        "Wanjiru Kamau",
        "+254712345678",
        "TMP-OP-2026-000007-8",
    )


def test_a_deleted_patient_does_not_stop_the_row_being_imported_again(
    store: LocalStore, importer: Actor
) -> None:
    import_text(store, importer, SAMPLE)
    with store.write() as session:
        grace = session.scalars(select(Patient).where(Patient.legacy_number == "011/25")).one()
        grace.deleted_at = utcnow()

    report = import_text(store, importer, SAMPLE)

    assert (report.imported, report.skipped) == (1, 5)
    with store.session() as session:
        graces = session.scalars(
            select(Patient.deleted_at).where(Patient.legacy_number == "011/25")
        ).all()
    assert len(graces) == 2
    assert sum(deleted is None for deleted in graces) == 1


# --- keys --------------------------------------------------------------------


def test_rows_without_a_number_are_known_by_name_and_phone(
    store: LocalStore, importer: Actor
) -> None:
    register = """\
NAME,AGE,RESIDENCE,NUMBER,PHONE NUMBER
mary achieng,30,kisumu,,0722000111
mary achieng,30,kisumu,,0722000222
MARY ACHIENG,31,kisumu,,+254 722 000 111
john otieno,40,kisumu,,
john otieno,40,kisumu,,
"""
    first = import_text(store, importer, register)

    assert (first.rows_read, first.imported, first.skipped, first.rejected) == (5, 3, 2, 0)
    assert first.lines() == [
        "line 4: name 'MARY ACHIENG': no number, and the same name and phone are on line 2"
        " of this file; row skipped as a repeat",
        "line 6: name 'john otieno': no number, and the same name and phone are on line 5"
        " of this file; row skipped as a repeat",
        "5 rows read: 3 imported, 2 already imported (skipped), 0 rejected;"
        " 0 values flagged for review",
    ]
    assert [(p.full_name, p.phone, p.legacy_number) for p in patients(store)] == [
        ("Mary Achieng", "+254722000111", None),
        ("Mary Achieng", "+254722000222", None),
        ("John Otieno", None, None),
    ]

    again = import_text(store, importer, register)

    assert (again.imported, again.skipped, again.problems) == (0, 5, [])
    assert count(store, Patient) == 3


def test_a_row_without_a_number_matches_a_patient_imported_with_one(
    store: LocalStore, importer: Actor
) -> None:
    import_text(store, importer, SAMPLE)

    report = import_text(
        store,
        importer,
        "NAME,AGE,RESIDENCE,NUMBER,PHONE NUMBER\nGrace  Wambui,27yrs,limuru,,0722114455\n",
    )

    assert (report.imported, report.skipped, report.problems) == (0, 1, [])
    assert count(store, Patient) == 6


def test_a_number_repeated_in_the_file_is_imported_once_and_reported(
    store: LocalStore, importer: Actor
) -> None:
    report = import_text(
        store,
        importer,
        "NAME,AGE,RESIDENCE,NUMBER,PHONE NUMBER\n"
        "grace wambui,27yrs,limuru,011/25,722114455\n"
        "grace wambui,27yrs,limuru, 011/25 ,722114455\n",
    )

    assert (report.imported, report.skipped) == (1, 1)
    assert report.problems == [
        ImportProblem(
            3,
            "number",
            "011/25",
            "number 011/25 is also on line 2 of this file",
            "row skipped as a repeat",
        )
    ]
    assert count(store, Patient) == 1


# --- values ------------------------------------------------------------------


def test_a_bad_age_is_reported_and_the_date_of_birth_flagged(
    store: LocalStore, importer: Actor
) -> None:
    report = import_text(
        store,
        importer,
        "NAME,AGE,RESIDENCE,NUMBER,PHONE NUMBER\n"
        "akinyi odhiambo,abc,kibera,020/25,0722114455\n"
        "musa kiprop,130yrs,eldoret,021/25,\n"
        "wairimu kariuki,2yrs 6mths,limuru,022/25,\n",
    )

    assert report.lines() == [
        "line 2: age 'abc': 'abc' is not an age; write it like 33yrs, 9mths, 2wks or 3days;"
        " patient imported without it",
        "line 3: age '130yrs': Age 130yrs is over 120 years; check the number and its unit;"
        " patient imported without it",
        "3 rows read: 3 imported, 0 already imported (skipped), 0 rejected;"
        " 2 values flagged for review",
    ]
    assert [
        (p.full_name, p.date_of_birth, p.date_of_birth_estimated, p.flagged_fields)
        for p in patients(store)
    ] == [
        ("Akinyi Odhiambo", None, False, ["date_of_birth"]),
        ("Musa Kiprop", None, False, ["date_of_birth"]),
        ("Wairimu Kariuki", date(2024, 5, 26), True, []),
    ]


def test_a_row_with_both_values_bad_is_imported_with_both_flagged(
    store: LocalStore, importer: Actor
) -> None:
    report = import_text(
        store,
        importer,
        "NAME,AGE,RESIDENCE,NUMBER,PHONE NUMBER\nakinyi odhiambo,old,kibera,020/25,12\n",
    )

    assert [(p.line, p.field, p.value) for p in report.problems] == [
        (2, "phone", "12"),
        (2, "age", "old"),
    ]
    assert report.flagged_values == 2
    assert [p.flagged_fields for p in patients(store)] == [["phone", "date_of_birth"]]


def test_a_name_that_is_not_a_name_rejects_the_row(store: LocalStore, importer: Actor) -> None:
    report = import_text(
        store,
        importer,
        "NAME,AGE,RESIDENCE,NUMBER,PHONE NUMBER\njohn 2,30,kisumu,030/25,\n   ,30,kisumu,031/25,\n",
    )

    assert (report.rows_read, report.imported, report.rejected) == (2, 0, 2)
    assert report.problems == [
        ImportProblem(
            2,
            "name",
            "john 2",
            "'2' is not a name: use letters, spaces, ' and - only",
            "row not imported",
        ),
        ImportProblem(3, "name", "", "no name given", "row not imported"),
    ]
    assert count(store, Patient) == 0
    assert count(store, OutboxEntry) == 0


@pytest.mark.parametrize(
    ("written", "names"),
    [
        ("grace", ("Grace", None, None)),
        ("GRACE WAMBUI", ("Grace", None, "Wambui")),
        ("mary  o'neil  wa  kamau", ("Mary", "O'Neil Wa", "Kamau")),
        ("McDonald Njeri", ("McDonald", None, "Njeri")),
        ("anne-marie wanjiku njoroge kamau", ("Anne-Marie", "Wanjiku Njoroge", "Kamau")),
    ],
)
def test_names_split_into_first_middle_and_last(
    store: LocalStore, importer: Actor, written: str, names: tuple[str, str | None, str | None]
) -> None:
    import_text(store, importer, f"NAME,AGE,RESIDENCE,NUMBER,PHONE NUMBER\n{written},,,1,\n")

    [patient] = patients(store)
    assert (patient.first_name, patient.middle_name, patient.last_name) == names


# --- reading the file --------------------------------------------------------


def test_columns_match_in_any_case_order_and_spacing(store: LocalStore, importer: Actor) -> None:
    report = import_text(
        store,
        importer,
        " phone  number ,Number,name, Age ,residence,notes\n"
        "0722114455,011/25,grace wambui,27,limuru,x\n",
    )

    assert report.imported == 1
    assert patient_rows(store) == [
        (
            "011/25",
            "Grace",
            None,
            "Wambui",
            date(1999, 11, 26),
            True,
            "+254722114455",
            "Limuru",
            [],
        )
    ]


def test_line_numbers_count_the_file_s_own_lines(store: LocalStore, importer: Actor) -> None:
    report = import_text(
        store,
        importer,
        "NAME,AGE,RESIDENCE,NUMBER,PHONE NUMBER\n"
        "grace wambui,27yrs,limuru,011/25,722114455\n"
        "\n"
        ",,,,\n"
        'peter kimani,54yrs,"tigoni\nnear the church",012/25,0733221908\n'
        "samuel otieno,7mhts,manguo,014/25,7139876\n",
    )

    assert report.rows_read == 3
    assert [(p.line, p.field) for p in report.problems] == [(7, "phone")]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (
            b"NAME,AGE,RESIDENCE,PHONE NUMBER\ngrace,27,limuru,0722114455\n",
            "has no NUMBER column (its header line has NAME, AGE, RESIDENCE, PHONE NUMBER;"
            " a register needs NAME, AGE, RESIDENCE, NUMBER, PHONE NUMBER)",
        ),
        (
            b"FIRST,AGE,RESIDENCE,NUMBER\n",
            "has no NAME, PHONE NUMBER columns (its header line has FIRST, AGE, RESIDENCE,"
            " NUMBER; a register needs NAME, AGE, RESIDENCE, NUMBER, PHONE NUMBER)",
        ),
        (b"", "is empty: no header line with the column names"),
        (b"NAME,NAME,AGE,RESIDENCE,NUMBER,PHONE NUMBER\n", "has the column NAME twice"),
        (b"PK\x03\x04\x14\x00", "is a spreadsheet workbook, not a CSV file; save it as CSV first"),
        (
            "NAME\tAGE\tRESIDENCE\tNUMBER\tPHONE NUMBER\n".encode("utf-16"),
            'is UTF-16 text (as Excel saves "Unicode Text"), not a CSV file; save it from'
            " the spreadsheet as CSV UTF-8",
        ),
        (b"NAME,AGE\x00,RESIDENCE\n", "is not a CSV text file"),
        (b"\x81\x8d\x8f\n", "is neither UTF-8 nor Windows-1252 text;"),
    ],
)
def test_a_file_that_is_not_a_register_cannot_be_imported(
    store: LocalStore, importer: Actor, tmp_path: Path, content: bytes, reason: str
) -> None:
    path = tmp_path / "register.csv"
    path.write_bytes(content)

    with pytest.raises(RegisterUnreadable) as raised:
        run_import(store, importer, path)

    assert str(raised.value).startswith(f"{path} {reason}")
    assert count(store, Patient) == 0


def test_a_missing_file_cannot_be_imported(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.csv"

    with pytest.raises(RegisterUnreadable) as raised:
        read_paper_register(missing)

    assert str(raised.value) == f"{missing} does not exist"


@pytest.mark.parametrize(
    ("encoding", "prefix"), [("utf-8", b"\xef\xbb\xbf"), ("utf-8", b""), ("cp1252", b"")]
)
def test_spreadsheet_encodings_are_read(
    store: LocalStore, importer: Actor, tmp_path: Path, encoding: str, prefix: bytes
) -> None:
    path = tmp_path / "register.csv"
    path.write_bytes(
        prefix
        + "NAME,AGE,RESIDENCE,NUMBER,PHONE NUMBER\r\nchébet koech,27yrs,kericho,040/25,\r\n".encode(
            encoding
        )
    )

    report = run_import(store, importer, path)

    assert report.imported == 1
    assert [(p.first_name, p.last_name) for p in patients(store)] == [("Chébet", "Koech")]


def test_an_import_rolled_back_leaves_nothing(store: LocalStore, importer: Actor) -> None:
    with pytest.raises(RuntimeError), store.write() as session:
        report = import_register(SAMPLE.splitlines(keepends=True), session=session, actor=importer)
        assert report.imported == 6
        raise RuntimeError("the admin cancelled")

    assert count(store, Patient) == 0
    assert count(store, OutboxEntry) == 0
    assert count(store, AuditEvent) == 0


def test_patients_the_import_registers_are_found_by_their_legacy_number(
    store: LocalStore, importer: Actor
) -> None:
    from clinic.patients.search import search_patients

    import_text(store, importer, SAMPLE)

    with store.session() as session:
        found = search_patients("013/25", session=session)
    assert [(p.full_name, p.legacy_number) for p in found] == [("Baby Of Rose Atieno", "013/25")]
    assert isinstance(found[0].id, uuid.UUID)


# --- in parts ----------------------------------------------------------------


def test_a_register_imported_in_parts_matches_one_imported_at_once(
    store: LocalStore, importer: Actor
) -> None:
    register = read_paper_register(
        (SAMPLE + "grace wambui,27yrs,limuru,011/25,722114455\n").splitlines(keepends=True)
    )
    job = RegisterImport(actor=importer, today=TODAY)

    for start in range(0, len(register.rows), 3):
        with store.write() as session:
            job.import_rows(register.rows[start : start + 3], session=session)

    assert job.report.lines() == [
        *SAMPLE_LINES[:2],
        "line 9: number '011/25': number 011/25 is also on line 2 of this file;"
        " row skipped as a repeat",
        "8 rows read: 6 imported, 1 already imported (skipped), 1 rejected;"
        " 1 value flagged for review",
    ]
    assert patient_rows(store) == SAMPLE_PATIENTS


def test_a_part_that_fails_is_left_out_and_importing_again_finishes(
    store: LocalStore, importer: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clinic.patients import importer as importer_module

    register = read_paper_register(SAMPLE.splitlines(keepends=True))
    register_patients = importer_module.register_patients

    def failing_for_halima(patients: list[CheckedDetails], **kwargs: Any) -> list[uuid.UUID]:
        if any(p.values["first_name"] == "Halima" for p in patients):
            raise OSError("disk full")
        return register_patients(patients, **kwargs)

    monkeypatch.setattr(importer_module, "register_patients", failing_for_halima)
    job = RegisterImport(actor=importer, today=TODAY)
    with store.write() as session:
        job.import_rows(register.rows[:3], session=session)
    with pytest.raises(OSError, match="disk full"), store.write() as session:
        job.import_rows(register.rows[3:], session=session)

    assert (job.report.rows_read, job.report.imported) == (3, 3)
    assert [p.legacy_number for p in patients(store)] == ["011/25", "012/25", "013/25"]

    monkeypatch.undo()
    again = import_text(store, importer, SAMPLE)

    assert (again.imported, again.skipped, again.rejected) == (3, 3, 1)
    assert patient_rows(store) == SAMPLE_PATIENTS
