"""Smoke test of the built PyInstaller bundle, with its size and start times.

    ./dev bundle --check                       (builds it, then runs this)
    python -m bench.run_bundle [dist/seth-clinic]

Runs the bundle's executable as a clinic PC would, each time from an empty
temporary folder with no Python variables set, on new data folders:

1. ``--help``, timed (the best of a few runs, and the first), and
   ``--version``, which must be pyproject.toml's;
2. ``import-patients`` of a three-row paper register into a new data folder
   (it makes and migrates a new store), then ``patients --json``, which must
   list the three, and ``patients QUERY --json``, which must find one;
3. ``server --help``; on a new server data folder ``server migrate`` (the
   bundled PostgreSQL is made, started and migrated, then stopped) and
   ``server seed-demo`` (the demo clinic's data, as the app's demo makes it);
   then ``server serve --stop-with-stdin``, as the app starts it, must answer
   ``/api/health`` and stop when its standard input closes;
4. the desktop app on a new data folder on a virtual screen (Xvfb): a visible
   window of the app's own process, the first start, must appear (timed from
   the start) and stay; then, driven with keys as a person would, the demo
   clinic is chosen there (the app starts the bundled server), ``reception``
   logs in with the demo password and the main window shows; the first sync
   must bring the demo's patients to the PC (``patients --json``) and one of
   them must be found by name; then the app is closed, and within two minutes
   no process may be left that names its data folder (the demo server, its
   PostgreSQL). Screens in ``build/bundle-check/``.

Each step that fails stops the check with what went wrong (exit status 1).
Linux only: it needs ``Xvfb``, ``xdotool`` and ImageMagick's ``import``
(Debian: ``xvfb xdotool imagemagick``, and Qt's ``libxcb-cursor0``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.request
from collections.abc import Callable
from pathlib import Path

from server.demo import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "build" / "bundle-check"
WINDOW_TIMEOUT = 60.0
SERVER_TIMEOUT = 120.0
HELP_RUNS = 5
REGISTER = (
    "NAME,AGE,RESIDENCE,NUMBER,PHONE NUMBER\n"
    "Wanjiku Kamau,34,Thika,101,0712345678\n"
    "Otieno Ochieng,8,Kisumu,102,\n"
    "Akinyi Atieno,61,Nakuru,103,0722000111\n"
)


class CheckFailed(Exception):
    """A step of the check failed; the message says which and why."""


def environment(home: Path) -> dict[str, str]:
    """The user's environment without Python's or the project's variables,
    with ``home`` as HOME (the app's default folders land there)."""
    drop = ("PYTHON", "VIRTUAL_ENV", "SETH_CLINIC", "DATABASE_URL", "QT_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / "data"), XDG_CONFIG_HOME=str(home))
    # The window titles it waits for are English, whatever the machine speaks.
    env.update(LANG="C.UTF-8", LC_ALL="C.UTF-8", LANGUAGE="en")
    return env


def _run(
    executable: Path, *args: str, work: Path, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(executable), *args],
        cwd=work,
        env=environment(work),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise CheckFailed(
            f"'seth-clinic {' '.join(args)}' exited {done.returncode}:\n{done.stderr.strip()}"
        )
    return done


def check_help(executable: Path, work: Path) -> tuple[float, float]:
    """The first and the best time to ``--help``, in seconds."""
    times = []
    for _ in range(HELP_RUNS):
        start = time.perf_counter()
        done = _run(executable, "--help", work=work)
        times.append(time.perf_counter() - start)
        if not done.stdout.startswith("usage: seth-clinic"):
            raise CheckFailed(f"--help printed no usage:\n{done.stdout[:500]}")
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    version = _run(executable, "--version", work=work).stdout.strip()
    if version != f"seth-clinic {pyproject['project']['version']}":
        raise CheckFailed(f"--version said '{version}', not pyproject.toml's version")
    return times[0], min(times)


def check_patients(executable: Path, work: Path) -> None:
    data = work / "pc"
    register = work / "register.csv"
    register.write_text(REGISTER, encoding="utf-8")
    _run(executable, "--data-dir", str(data), "import-patients", str(register), work=work)
    listed = json.loads(
        _run(executable, "--data-dir", str(data), "patients", "--json", work=work).stdout
    )
    names = sorted(f"{p['first_name']} {p['last_name']}" for p in listed)
    if names != ["Akinyi Atieno", "Otieno Ochieng", "Wanjiku Kamau"]:
        raise CheckFailed(f"patients --json listed {names}, not the three imported")
    found = json.loads(
        _run(executable, "--data-dir", str(data), "patients", "Ochieng", "--json", work=work).stdout
    )
    if [p["residence"] for p in found] != ["Kisumu"]:
        raise CheckFailed(f"patients Ochieng --json found {found}, not Otieno Ochieng")


def check_server(executable: Path, work: Path) -> dict[str, float]:
    """``server --help``; on a new server folder ``server migrate`` and
    ``server seed-demo`` (the demo clinic's data), then ``server serve``
    until it answers, stopped by closing its standard input as the app does.
    The seconds each took (PostgreSQL made and started included)."""
    done = _run(executable, "server", "--help", work=work)
    if "seed-demo" not in done.stdout:
        raise CheckFailed(f"server --help did not list the server's commands:\n{done.stdout}")
    folder = str(work / "server")
    times = {}
    start = time.perf_counter()
    done = _run(executable, "server", "--data-dir", folder, "migrate", work=work)
    if "up to date" not in done.stdout:
        raise CheckFailed(f"server migrate said:\n{done.stdout}{done.stderr}")
    times["migrate"] = time.perf_counter() - start
    start = time.perf_counter()
    done = _run(executable, "server", "--data-dir", folder, "seed-demo", work=work)
    if "reception" not in done.stdout:
        raise CheckFailed(f"server seed-demo showed no demo logins:\n{done.stdout}")
    times["seed-demo"] = time.perf_counter() - start
    times["serve"] = _serve(executable, work, folder)
    return times


def _serve(executable: Path, work: Path, folder: str) -> float:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = ["server", "--data-dir", folder, "serve", "--port", str(port), "--stop-with-stdin"]
    start = time.perf_counter()
    server = subprocess.Popen(
        [str(executable), *command],
        cwd=work,
        env=environment(work),
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while not _answers(f"http://127.0.0.1:{port}/api/health"):
            if server.poll() is not None:
                raise CheckFailed(f"server serve exited {server.returncode} before answering")
            if time.perf_counter() - start > SERVER_TIMEOUT:
                raise CheckFailed(f"server serve did not answer within {SERVER_TIMEOUT:.0f} s")
            time.sleep(0.2)
        elapsed = time.perf_counter() - start
        assert server.stdin is not None
        server.stdin.close()
        try:
            server.wait(timeout=SERVER_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise CheckFailed("server serve did not stop when its standard input closed") from None
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    return elapsed


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1.0) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def virtual_screen(work: Path) -> tuple[subprocess.Popen[bytes], str]:
    for tool in ("Xvfb", "xdotool", "import"):
        if shutil.which(tool) is None:
            raise CheckFailed(f"{tool} is not installed (Debian: xvfb xdotool imagemagick)")
    ready_read, ready_write = os.pipe()
    # -displayfd: Xvfb picks a free display and writes its number when ready.
    # -noreset: by default the server starts over whenever its last client
    # leaves (an app that stopped, each xdotool), and an app connecting
    # meanwhile failed: "could not connect to display" in about one start of
    # ten in bench.run_start (60 of 60 with it).
    command = ["Xvfb", "-displayfd", str(ready_write), "-screen", "0", "1366x768x24"]
    xvfb = subprocess.Popen(
        [*command, "-nolisten", "tcp", "-noreset"],
        pass_fds=(ready_write,),
        cwd=work,
    )
    os.close(ready_write)
    with os.fdopen(ready_read) as ready:
        number = ready.readline().strip()
    if not number:
        xvfb.kill()
        raise CheckFailed("Xvfb did not start")
    return xvfb, f":{number}"


class Screen:
    """The app's windows on the virtual screen, seen and driven with xdotool
    as a person would: the pointer over a window, then keys."""

    def __init__(self, display: str, app: subprocess.Popen[str]) -> None:
        self.env = {**os.environ, "DISPLAY": display}
        self.app = app

    def _xdotool(self, *args: str) -> str:
        return subprocess.run(
            ["xdotool", *args], env=self.env, capture_output=True, text=True, check=False
        ).stdout

    def windows(self) -> dict[str, str]:
        """The app's visible windows: id to title."""
        ids = self._xdotool("search", "--onlyvisible", "--pid", str(self.app.pid)).split()
        return {window: self._xdotool("getwindowname", window).strip() for window in ids}

    def wait_for(
        self, what: str, found: Callable[[str], bool], timeout: float, every: float = 0.1
    ) -> str:
        """The first visible window whose title ``found`` accepts, looked for
        each ``every`` seconds; fails when the app exits or ``timeout``
        seconds pass first."""
        start = time.perf_counter()
        while True:
            for window, title in self.windows().items():
                if found(title):
                    return window
            if self.app.poll() is not None:
                output = self.app.stdout.read() if self.app.stdout else ""
                raise CheckFailed(f"the app exited {self.app.returncode} before {what}:\n{output}")
            if time.perf_counter() - start > timeout:
                raise CheckFailed(f"no {what} within {timeout:.0f} s (windows: {self.windows()})")
            time.sleep(every)

    def geometry(self, window: str) -> str:
        """Where ``window`` is on the screen, as ``x,y wxh``."""
        shell = dict(
            line.split("=", 1)
            for line in self._xdotool("getwindowgeometry", "--shell", window).split()
        )
        return f"{shell['X']},{shell['Y']} {shell['WIDTH']}x{shell['HEIGHT']}"

    def keys(self, window: str, *keys: str, text: str | None = None) -> None:
        """Point at ``window`` (keyboard focus follows the pointer: no window
        manager), then type ``text`` or press ``keys``."""
        self._xdotool("mousemove", "--window", window, "40", "40")
        if text is not None:
            self._xdotool("type", "--delay", "30", text)
        if keys:
            self._xdotool("key", "--delay", "100", *keys)
        time.sleep(0.3)

    def save(self, name: str) -> Path:
        path = SCREENSHOTS / name
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["import", "-window", "root", str(path)], env=self.env, check=True)
        return path


def start_app(executable: Path, data: Path, work: Path, display: str) -> Screen:
    """The desktop app on the data folder ``data``, started on the virtual
    screen ``display`` with the user's environment (:func:`environment`)."""
    app = subprocess.Popen(
        [str(executable), "--data-dir", str(data)],
        cwd=work,
        env={**environment(work), "DISPLAY": display},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return Screen(display, app)


def check_desktop(executable: Path, work: Path) -> dict[str, float]:
    """The desktop app on a new data folder: its first window (timed), then
    the demo clinic chosen there, a demo login and the first sync; closed,
    nothing it started may be left running. Seconds for each."""
    xvfb, display = virtual_screen(work)
    data = work / "gui"
    took = {}
    try:
        start = time.perf_counter()
        screen = start_app(executable, data, work, display)
        app = screen.app
        try:
            first = screen.wait_for("a window", lambda title: True, WINDOW_TIMEOUT)
            took["first window"] = time.perf_counter() - start
            time.sleep(1.0)  # let it paint, and show it still runs
            if "first start" not in screen.windows().get(first, ""):
                raise CheckFailed(f"the first window is not the first start: {screen.windows()}")
            screen.save("first-window.png")
            screen.keys(first, "Down", "Down", "Return")  # "Try a demo clinic", Continue
            start = time.perf_counter()
            login = screen.wait_for("the login", lambda t: t.endswith("log in"), SERVER_TIMEOUT * 2)
            took["demo server"] = time.perf_counter() - start
            screen.keys(login, text="reception")
            screen.keys(login, "Tab")
            screen.keys(login, text=DEMO_PASSWORD)
            screen.keys(login, "Return")
            start = time.perf_counter()
            screen.wait_for("the main window", lambda t: "(Receptionist)" in t, SERVER_TIMEOUT)
            took["login"] = time.perf_counter() - start
            _first_sync(executable, work, data)
            took["first sync"] = time.perf_counter() - start
            screen.save("demo-patients.png")
        finally:
            app.terminate()
            try:
                app.wait(timeout=20)
            except subprocess.TimeoutExpired:
                app.kill()
                app.wait()
    finally:
        xvfb.terminate()
        xvfb.wait()
    took["all stopped"] = _nothing_left(data)
    return took


def _first_sync(executable: Path, work: Path, data: Path) -> None:
    """Wait until the PC's store holds the demo's patients, then search one."""
    start = time.perf_counter()
    while True:
        done = _run(
            executable, "--data-dir", str(data), "patients", "--limit", "1", "--json", work=work
        )
        if listed := json.loads(done.stdout):
            break
        if time.perf_counter() - start > SERVER_TIMEOUT:
            raise CheckFailed("the demo's patients did not reach the PC (no first sync)")
        time.sleep(1.0)
    patient = listed[0]
    done = _run(
        executable, "--data-dir", str(data), "patients", patient["last_name"], "--json", work=work
    )
    if patient["id"] not in {found["id"] for found in json.loads(done.stdout)}:
        raise CheckFailed(f"searching {patient['last_name']} did not find {patient['op_number']}")


def _nothing_left(data: Path) -> float:
    """Seconds until no process names ``data`` (the demo server and its
    PostgreSQL) once the app is closed; fails after SERVER_TIMEOUT."""
    start = time.perf_counter()
    while left := _processes_naming(data):
        if time.perf_counter() - start > SERVER_TIMEOUT:
            raise CheckFailed(f"left running after the app closed: {left}")
        time.sleep(0.5)
    return time.perf_counter() - start


def _processes_naming(folder: Path) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(folder) in command:
            found.append(f"{entry.name}: {command.strip()}")
    return found


def _size(folder: Path) -> str:
    return subprocess.run(
        ["du", "-sh", str(folder)], capture_output=True, text=True, check=True
    ).stdout.split()[0]


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run_bundle", description=__doc__)
    parser.add_argument("bundle", nargs="?", type=Path, default=ROOT / "dist" / "seth-clinic")
    args = parser.parse_args()
    executable = args.bundle.resolve() / "seth-clinic"
    if not executable.is_file():
        print(f"no bundle at {args.bundle}: build it with ./dev bundle", file=sys.stderr)
        return 1
    print(f"bundle {args.bundle}: {_size(args.bundle)}")
    with tempfile.TemporaryDirectory(prefix="seth-clinic-bundle-check-") as temporary:
        work = Path(temporary).resolve()
        try:
            first, best = check_help(executable, work)
            print(f"--help: first {first:.2f} s, best of {HELP_RUNS} {best:.2f} s")
            check_patients(executable, work)
            print(
                "import-patients, patients --json, patients QUERY --json on a new data folder: ok"
            )
            took = check_server(executable, work)
            print(
                "server --help: ok; on a new folder: server migrate"
                f" {took['migrate']:.1f} s, seed-demo {took['seed-demo']:.1f} s,"
                f" serve answering after {took['serve']:.1f} s and stopped with its stdin"
            )
            took = check_desktop(executable, work)
            print(
                f"desktop: first window after {took['first window']:.2f} s;"
                f" demo clinic: server up after {took['demo server']:.1f} s, login"
                f" {took['login']:.1f} s, first sync done {took['first sync']:.1f} s after"
                f" login; closed: its server and PostgreSQL gone {took['all stopped']:.1f} s"
                f" later (screens: {SCREENSHOTS})"
            )
        except CheckFailed as failure:
            print(f"bundle check FAILED: {failure}", file=sys.stderr)
            return 1
    print("bundle check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
