"""``seth-clinic report ... --out FILE.pdf``, as a scheduled task runs it: no
screen, no Qt loaded for the other formats, the same A4 PDF as the Reports
screen's, and a one-line reason when the file cannot be written."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from clinic.rules.money import format_kes
from clinic.store import LocalStore
from tests.gui.pdf import pdf_page_size_mm, pdf_text
from tests.reports_data import Expected, generate

ROOT = Path(__file__).resolve().parents[2]
DAY = date(2026, 11, 10)


@pytest.fixture
def month(store: LocalStore) -> Expected:
    with store.write() as session:
        return generate(session)


def report(store: LocalStore, *args: str, probe: str = "") -> subprocess.CompletedProcess[str]:
    """``seth-clinic report`` in a fresh interpreter without a display (as
    Task Scheduler or cron runs it); ``probe`` runs after it there."""
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY")}
    script = (
        "import sys\n"
        "from desktop.cli import main\n"
        f"status = main(['--data-dir', {str(store.path.parent)!r}, 'report', *{list(args)!r}])\n"
        f"{probe}\n"
        "sys.exit(status)\n"
    )
    return subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True, text=True, timeout=300, check=False, cwd=ROOT, env=env,
    )  # fmt: skip


def test_a_daily_cash_pdf_says_the_clinic_the_day_and_the_net(
    month: Expected, store: LocalStore, tmp_path: Path, qapp: QApplication
) -> None:
    out = tmp_path / "cash.pdf"

    done = report(store, "daily-cash", "--from", str(DAY), "--to", str(DAY), "--out", str(out))

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"Wrote Daily cash, {DAY} to {DAY}, to {out}"
    text = pdf_text(out)
    assert "Seth Clinic" in text
    assert "Daily cash" in text
    assert "10 Nov 2026" in text
    assert "All branches" in text
    assert format_kes(sum(month.payments_in[DAY])) in text
    size = pdf_page_size_mm(out)
    assert (round(size.width()), round(size.height())) == (210, 297)


def test_the_moh_705b_pdf_of_one_branch_is_landscape(
    month: Expected, store: LocalStore, tmp_path: Path, qapp: QApplication
) -> None:
    out = tmp_path / "moh705b.pdf"

    done = report(
        store, "moh705b", "--from", "2026-11-01", "--to", "2026-11-30", "--out", str(out),
        "--branch", "MAIN",
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    size = pdf_page_size_mm(out)
    assert (round(size.width()), round(size.height())) == (297, 210)
    lines = pdf_text(out).splitlines()
    assert "Main branch" in lines
    assert "01 Nov 2026 to 30 Nov 2026" in lines
    assert any(line.startswith("1 Diarrhoea ") for line in lines)


def test_a_pdf_into_a_missing_folder_fails_with_one_line_and_writes_nothing(
    month: Expected, store: LocalStore, tmp_path: Path
) -> None:
    out = tmp_path / "gone" / "cash.pdf"

    done = report(store, "daily-cash", "--from", str(DAY), "--to", str(DAY), "--out", str(out))

    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1
    assert done.stderr.startswith(f"seth-clinic: cannot write {out}: ")
    assert not (tmp_path / "gone").exists()


def test_csv_and_excel_reports_do_not_load_qt(
    month: Expected, store: LocalStore, tmp_path: Path
) -> None:
    probe = (
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6'))\n"
        "print('Qt modules:', loaded, file=sys.stderr)"
    )
    for kind in ("csv", "xlsx"):
        out = tmp_path / f"cash.{kind}"

        done = report(
            store, "daily-cash", "--from", str(DAY), "--to", str(DAY), "--out", str(out),
            probe=probe,
        )  # fmt: skip

        assert done.returncode == 0, done.stderr
        assert done.stderr.splitlines()[-1] == "Qt modules: []"
        assert out.stat().st_size > 0
