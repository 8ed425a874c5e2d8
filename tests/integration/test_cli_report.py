"""``seth-clinic report``: a generated month written to CSV and Excel from
the PC's store, and a one-line reason with a non-zero exit for bad input,
leaving no file behind."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import load_workbook

from clinic.store import LocalStore
from desktop.cli import main
from tests.reports_data import MONTH_START, Expected, generate

DAY = MONTH_START.replace(day=9)


@pytest.fixture
def month(store: LocalStore) -> Expected:
    with store.write() as session:
        return generate(session)


def report(store: LocalStore, *args: str) -> int:
    return main(["--data-dir", str(store.path.parent), "report", *args])


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """An empty folder for the reports (the store is in another)."""
    made = tmp_path / "reports"
    made.mkdir()
    return made


def test_daily_cash_to_csv_and_moh705b_to_excel(
    store: LocalStore, month: Expected, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = folder / "cash.csv"
    assert report(store, "daily-cash", "--from", str(DAY), "--to", str(DAY), "--out", str(out)) == 0
    assert f"to {out}" in capsys.readouterr().out
    lines = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert lines[0] == ["Daily cash", f"{DAY} to {DAY}"]
    assert lines[2:4] == [["Payments by method"], ["Method", "Received", "Reversed", "Net"]]
    totals = lines[lines.index(["Payments by method"]) + 8]
    net = sum(month.payments_in[DAY])
    assert totals[0] == "Total" and totals[3] == f"{net // 100}.{net % 100:02d}"

    book_path = folder / "moh705b.xlsx"
    args = ("--from", "2026-11-01", "--to", "2026-11-30", "--branch", "WEST")
    assert report(store, "moh705b", *args, "--out", str(book_path)) == 0
    book = load_workbook(book_path)
    sheet = book.worksheets[0]
    assert sheet["B1"].value == "Disease" and sheet["B1"].font.bold
    assert sheet.cell(sheet.max_row, 2).value == "Total new cases"
    assert sorted(p.name for p in folder.iterdir()) == ["cash.csv", "moh705b.xlsx"]


@pytest.mark.parametrize(
    ("args", "status", "reason"),
    [
        (("cash", "--from", "2026-11-01", "--to", "2026-11-01"), 2, "choose one of daily-cash"),
        (("visits", "--from", "2026-11-05", "--to", "2026-11-01"), 2, "before it starts"),
        (("visits", "--from", "2026-11-31", "--to", "2026-11-01"), 2, "not a date"),
        (
            ("visits", "--from", "2026-11-01", "--to", "2026-11-01", "--branch", "EAST"),
            2,
            "no branch with code EAST (this PC holds: MAIN, WEST)",
        ),
        (("moh705a", "--from", "2026-11-01", "--to", "2026-12-01"), 2, "monthly form"),
    ],
)
def test_bad_input_fails_with_one_line_and_writes_nothing(
    store: LocalStore,
    month: Expected,
    folder: Path,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    status: int,
    reason: str,
) -> None:
    out = folder / "out.csv"
    assert report(store, *args, "--out", str(out)) == status
    error = capsys.readouterr().err
    assert reason in error and error.count("\n") == 1
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize(("name", "reason"), [("r.txt", ".csv, .xlsx or .pdf"), ("r", ".pdf")])
def test_an_output_of_another_kind_is_refused(
    store: LocalStore,
    month: Expected,
    folder: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    reason: str,
) -> None:
    args = ("visits", "--from", "2026-11-01", "--to", "2026-11-01", "--out", str(folder / name))
    assert report(store, *args) == 2
    assert reason in capsys.readouterr().err
    assert list(folder.iterdir()) == []


def test_a_path_that_cannot_be_written_keeps_what_was_there(
    store: LocalStore, month: Expected, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = folder / "no-such-folder" / "r.csv"
    args = ("daily-cash", "--from", str(DAY), "--to", str(DAY))
    assert report(store, *args, "--out", str(missing)) == 1
    assert "cannot write" in capsys.readouterr().err
    taken = folder / "taken.csv"
    taken.mkdir()  # a folder where the file should go: the rename fails
    assert report(store, *args, "--out", str(taken)) == 1
    assert taken.is_dir() and list(taken.iterdir()) == []
    assert sorted(p.name for p in folder.iterdir()) == ["taken.csv"]
