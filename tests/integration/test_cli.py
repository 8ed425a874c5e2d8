"""The installed ``seth-clinic`` command, run as an admin or a scheduled task
would: import a paper register, then list and search the patients."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
import types
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from clinic.clock import clinic_today
from clinic.patients.service import CheckedDetails
from clinic.rules.ages import estimate_date_of_birth
from desktop.cli import main
from tests.unit.test_importer import PHONE_REASON, SAMPLE

SETH_CLINIC = Path(sys.executable).parent / "seth-clinic"
PATIENT_FIELDS = [
    "id",
    "op_number",
    "legacy_number",
    "first_name",
    "middle_name",
    "last_name",
    "sex",
    "date_of_birth",
    "date_of_birth_estimated",
    "phone",
    "national_id",
    "sha_number",
    "residence",
]

Run = Callable[..., subprocess.CompletedProcess[str]]


def run_in(data_dir: Path) -> Run:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k != "SETH_CLINIC_DATA_DIR"}
        return subprocess.run(
            [str(SETH_CLINIC), "--data-dir", str(data_dir), *args],
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=env,
            timeout=300,
            check=False,
        )

    return run


@pytest.fixture(scope="module")
def imported(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Run, subprocess.CompletedProcess[str], set[date], Path]:
    """A data folder the sample register was imported into, once for the
    module (the tests after it only read); with the days the import may
    have counted ages back from."""
    folder = tmp_path_factory.mktemp("cli")
    register = folder / "paper-register.csv"
    register.write_text(SAMPLE, encoding="utf-8")
    run = run_in(folder / "data")
    days = {clinic_today()}
    result = run("import-patients", str(register))
    days.add(clinic_today())
    return run, result, days, register


def test_import_prints_each_rejected_value_and_a_summary(
    imported: tuple[Run, subprocess.CompletedProcess[str], set[date], Path],
) -> None:
    _, result, _, _ = imported
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"line 5: phone '7139876': {PHONE_REASON}; patient imported without it",
        "line 7: name '': no name given; row not imported",
        "7 rows read: 6 imported, 0 already imported (skipped), 1 rejected;"
        " 1 value flagged for review",
    ]
    assert result.stderr == ""


def test_patients_json_lists_every_imported_patient(
    imported: tuple[Run, subprocess.CompletedProcess[str], set[date], Path],
) -> None:
    run, _, days, _ = imported
    result = run("patients", "--json")

    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assert [list(p) for p in listed] == [PATIENT_FIELDS] * 6
    assert [
        (p["op_number"], p["legacy_number"], p["first_name"], p["middle_name"], p["last_name"])
        for p in listed
    ] == [
        ("TMP-OP-2026-000001-1", "011/25", "Grace", None, "Wambui"),
        ("TMP-OP-2026-000002-9", "012/25", "Peter", "Kimani", "Njoroge"),
        ("TMP-OP-2026-000003-7", "013/25", "Baby", "Of Rose", "Atieno"),
        ("TMP-OP-2026-000004-5", "014/25", "Samuel", None, "Otieno"),
        ("TMP-OP-2026-000005-2", "015/25", "Halima", None, "Abdi"),
        ("TMP-OP-2026-000006-0", "017/25", "James", None, "Mutua"),
    ]
    assert [(p["phone"], p["residence"], p["sex"]) for p in listed] == [
        ("+254722114455", "Limuru", "U"),
        ("+254733221908", "Tigoni", "U"),
        ("+254711908877", "Ngarariga", "U"),
        (None, "Manguo", "U"),
        ("+254110456789", "Kamandura", "U"),
        (None, "Kwambira", "U"),
    ]
    ages = ["27yrs", "54yrs", "3days", "7mhts", None, "41 yrs"]
    assert [p["date_of_birth_estimated"] for p in listed] == [age is not None for age in ages]
    assert [p["date_of_birth"] for p in listed] in [
        [None if age is None else estimate_date_of_birth(age, on=day).isoformat() for age in ages]
        for day in days
    ]
    assert all(p["national_id"] is None and p["sha_number"] is None for p in listed)
    assert len({p["id"] for p in listed}) == 6


def test_patients_query_finds_the_patient(
    imported: tuple[Run, subprocess.CompletedProcess[str], set[date], Path],
) -> None:
    run, _, _, _ = imported
    result = run("patients", "wambui", "--json")

    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert [(p["first_name"], p["last_name"], p["legacy_number"]) for p in found] == [
        ("Grace", "Wambui", "011/25")
    ]


def test_patients_limit_gives_that_many(
    imported: tuple[Run, subprocess.CompletedProcess[str], set[date], Path],
) -> None:
    run, _, _, _ = imported
    result = run("patients", "--limit", "2", "--json")

    assert result.returncode == 0, result.stderr
    assert [p["legacy_number"] for p in json.loads(result.stdout)] == ["011/25", "012/25"]


def test_patients_without_json_prints_a_table(
    imported: tuple[Run, subprocess.CompletedProcess[str], set[date], Path],
) -> None:
    run, _, _, _ = imported
    result = run("patients", "otieno")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == [
        *("OP", "number", "Name", "Sex", "Born", "Phone", "Residence", "Legacy", "no.")
    ]
    assert lines[2].split()[:4] == ["TMP-OP-2026-000004-5", "Samuel", "Otieno", "U"]
    assert lines[2].split()[-2:] == ["Manguo", "014/25"]
    # Atieno is one letter from Otieno: found too, after the exact match.
    assert lines[3].split()[:4] == ["TMP-OP-2026-000003-7", "Baby", "Of", "Rose"]
    assert lines[-1] == "2 patients"


def test_importing_again_adds_nobody(
    imported: tuple[Run, subprocess.CompletedProcess[str], set[date], Path],
) -> None:
    run, _, _, register = imported
    again = run("import-patients", str(register))

    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[-1] == (
        "7 rows read: 0 imported, 6 already imported (skipped), 1 rejected;"
        " 0 values flagged for review"
    )
    assert len(json.loads(run("patients", "--json").stdout)) == 6


def test_a_missing_file_fails_with_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.csv"
    result = run_in(tmp_path / "data")("import-patients", str(missing))

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == f"seth-clinic: cannot import: {missing} does not exist\n"


def test_a_csv_without_the_name_column_fails_with_the_reason(tmp_path: Path) -> None:
    register = tmp_path / "register.csv"
    register.write_text("PATIENT,AGE,RESIDENCE,NUMBER,PHONE NUMBER\ngrace,27,limuru,1,\n")
    run = run_in(tmp_path / "data")

    result = run("import-patients", str(register))

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"seth-clinic: cannot import: {register} has no NAME column (its header"
        " line has PATIENT, AGE, RESIDENCE, NUMBER, PHONE NUMBER; a register needs NAME, AGE,"
        " RESIDENCE, NUMBER, PHONE NUMBER)"
    ]
    assert not (tmp_path / "data").exists()


def test_listing_a_folder_without_clinic_data_fails(tmp_path: Path) -> None:
    result = run_in(tmp_path / "typo")("patients")

    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"seth-clinic: {tmp_path / 'typo'} holds no clinic data"
        " (check --data-dir or seth-clinic import-patients first)"
    ]
    assert not (tmp_path / "typo").exists()


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (
            ["patients", "--limit", "two"],
            "seth-clinic: argument --limit: 'two' is not a whole number of 0 or more"
            " (see seth-clinic --help)",
        ),
        (["patients", "w"], "seth-clinic: a search needs at least 2 characters"),
        (
            ["register"],
            "seth-clinic: argument COMMAND: invalid choice: 'register' (choose from"
            " 'import-patients', 'patients', 'login', 'sync', 'report', 'backup', 'restore',"
            " 'store-key', 'server')"
            " (see seth-clinic --help)",
        ),
    ],
)
def test_a_wrong_command_line_fails_with_one_line(
    tmp_path: Path, args: list[str], reason: str
) -> None:
    result = run_in(tmp_path / "data")(*args)

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [reason]


@pytest.fixture
def desktop_app(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """A stand-in for ``desktop.app`` that records the folder it was started on."""
    started: list[Path] = []

    def start(data_dir: Path) -> int:
        started.append(data_dir)
        return 7

    monkeypatch.setitem(sys.modules, "desktop.app", types.SimpleNamespace(main=start))
    return started


def test_without_a_command_the_desktop_app_starts_on_the_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, desktop_app: list[Path]
) -> None:
    monkeypatch.setenv("SETH_CLINIC_DATA_DIR", str(tmp_path / "from-env"))

    assert main(["--data-dir", str(tmp_path / "given")]) == 7
    assert main([]) == 7
    assert desktop_app == [tmp_path / "given", tmp_path / "from-env"]


def test_the_commands_do_not_load_qt(tmp_path: Path) -> None:
    register = tmp_path / "register.csv"
    register.write_text(SAMPLE, encoding="utf-8")
    script = (
        "import sys\n"
        "from desktop.cli import main\n"
        f"assert main(['--data-dir', {str(tmp_path / 'data')!r}, 'import-patients',"
        f" {str(register)!r}]) == 0\n"
        f"assert main(['--data-dir', {str(tmp_path / 'data')!r}, 'patients', '--json']) == 0\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6'))\n"
        "print('Qt modules:', loaded, file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=False
    )

    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines()[-1] == "Qt modules: []"


def test_an_import_that_stops_keeps_the_parts_before_and_says_how_to_finish(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from clinic.patients import importer

    register = tmp_path / "register.csv"
    register.write_text(SAMPLE, encoding="utf-8")
    data = ["--data-dir", str(tmp_path / "data")]
    register_patients = importer.register_patients

    def failing_for_halima(patients: list[CheckedDetails], **kwargs: Any) -> list[uuid.UUID]:
        if any(p.values["first_name"] == "Halima" for p in patients):
            raise OSError("disk full")
        return register_patients(patients, **kwargs)

    monkeypatch.setattr(importer, "ROWS_PER_PART", 2)
    monkeypatch.setattr(importer, "register_patients", failing_for_halima)

    assert main([*data, "import-patients", str(register)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        "seth-clinic: the import stopped at the rows from line 6 (OSError: disk full);"
        " the 4 patients imported before them are kept: run the same command again to"
        " import the rest"
    ]

    monkeypatch.undo()
    assert main([*data, "import-patients", str(register)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "7 rows read: 2 imported, 4 already imported (skipped), 1 rejected;"
        " 0 values flagged for review"
    )
    assert main([*data, "patients", "--json"]) == 0
    assert [p["legacy_number"] for p in json.loads(capsys.readouterr().out)] == [
        "011/25",
        "012/25",
        "013/25",
        "014/25",
        "015/25",
        "017/25",
    ]


def test_the_version_is_pyproject_s(capsys: pytest.CaptureFixture[str]) -> None:
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    version = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"]

    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"seth-clinic {version}\n"


KILLED_AT_PART = 3
ROWS_PER_PART = 40


def test_an_import_killed_mid_way_keeps_each_part_committed_whole_and_finishes_when_run_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from sqlalchemy import func, select

    from clinic.enums import ChangeOperation
    from clinic.journal.models import AuditEvent, OutboxEntry
    from clinic.journal.service import verify_chain
    from clinic.patients.models import Patient
    from clinic.store import open_local_store

    rows = 5 * ROWS_PER_PART
    register = tmp_path / "register.csv"
    register.write_text(
        "NAME,AGE,RESIDENCE,NUMBER,PHONE NUMBER\n"
        + "".join(
            f"grace {''.join('abcdefghij'[int(d)] for d in f'{i:04d}')},{20 + i % 50}yrs,"
            f"limuru,{i:05d}/25,\n"
            for i in range(rows)
        ),
        encoding="utf-8",
    )
    data = tmp_path / "data"
    # The process is killed (SIGKILL, nothing flushed or rolled back) in its
    # third part, once that part's rows are written but before they commit.
    script = (
        "import os, signal, sys\n"
        "from clinic.patients import importer\n"
        "from desktop.cli import main\n"
        f"importer.ROWS_PER_PART = {ROWS_PER_PART}\n"
        "real, parts = importer.register_patients, []\n"
        "def register_then_die(patients, **kwargs):\n"
        "    ids = real(patients, **kwargs)\n"
        "    kwargs['session'].flush()\n"
        "    parts.append(len(ids))\n"
        f"    if len(parts) == {KILLED_AT_PART}:\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "    return ids\n"
        "importer.register_patients = register_then_die\n"
        f"sys.exit(main(['--data-dir', {str(data)!r}, 'import-patients', {str(register)!r}]))\n"
    )
    killed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=False
    )
    assert killed.returncode == -9, killed.stderr
    assert killed.stdout == ""

    kept = (KILLED_AT_PART - 1) * ROWS_PER_PART
    store = open_local_store(data)
    try:
        with store.session() as session:
            patients = session.execute(
                select(Patient.id, Patient.legacy_number).order_by(Patient.legacy_number)
            ).all()
            entries = session.execute(select(OutboxEntry.row_id, OutboxEntry.operation)).all()
            events = list(session.scalars(select(AuditEvent).order_by(AuditEvent.device_sequence)))
        assert [number for _, number in patients] == [f"{i:05d}/25" for i in range(kept)]
        assert sorted(entries) == sorted((p, ChangeOperation.INSERT) for p, _ in patients)
        assert sorted(e.entity_id for e in events) == sorted(p for p, _ in patients)
        assert verify_chain(events) is None
    finally:
        store.close()

    assert main(["--data-dir", str(data), "import-patients", str(register)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{rows} rows read: {rows - kept} imported, {kept} already imported (skipped),"
        " 0 rejected; 0 values flagged for review"
    ]
    store = open_local_store(data)
    try:
        with store.session() as session:
            assert session.scalar(select(func.count()).select_from(Patient)) == rows
            assert session.scalar(select(func.count()).select_from(OutboxEntry)) == rows
            events = list(session.scalars(select(AuditEvent).order_by(AuditEvent.device_sequence)))
        assert len(events) == rows
        assert verify_chain(events) is None
    finally:
        store.close()
