"""How the desktop app starts the clinic server (this PC's, the demo's):
``python -m server`` from a checkout, and the bundle's own executable with
its ``server`` command when frozen by PyInstaller, which has no Python to run
``-m``. Each command is run for real, as the app would run it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from desktop.local_server import server_command

ROOT = Path(__file__).resolve().parents[2]
SERVER_COMMANDS = ("serve", "migrate", "seed-demo", "create-user", "backup", "restore")


def _run(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


def _is_server_help(done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: seth-clinic-server")
    for name in SERVER_COMMANDS:
        assert name in done.stdout


def test_from_a_checkout_the_server_runs_as_python_m_server(tmp_path: Path) -> None:
    command = server_command(tmp_path, "--help")

    assert command == [sys.executable, "-m", "server", "--data-dir", str(tmp_path), "--help"]
    _is_server_help(_run(command))


@pytest.mark.skipif(sys.platform == "win32", reason="the stand-in executable is a script")
def test_in_the_bundle_the_server_is_the_executable_s_server_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The bundle's executable is desktop.cli's main, as build.spec makes it;
    # this stand-in runs the checkout's, with no "-m" for a Python to take.
    executable = tmp_path / "seth-clinic"
    executable.write_text(
        f"#!{sys.executable}\n"
        "import sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from desktop.cli import main\n"
        "sys.exit(main())\n",
        encoding="utf-8",
    )
    executable.chmod(0o755)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(executable))

    command = server_command(tmp_path / "server", "--help")

    assert command[:2] == [str(executable), "server"]
    assert "-m" not in command
    _is_server_help(_run(command))


def test_the_desktop_cli_lists_its_server_command(capsys: pytest.CaptureFixture[str]) -> None:
    from desktop.cli import main

    assert main(["--help"]) == 0
    assert "server" in capsys.readouterr().out.split("options:")[0]
    assert main(["server", "no-such-command"]) == 2
    assert "invalid choice: 'no-such-command'" in capsys.readouterr().err
