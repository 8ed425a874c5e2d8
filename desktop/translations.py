"""The translation files, made from the desktop's source (a developer's tool:
``./dev translations``, or ``python -m desktop.translations [--check]``).

``resources/translations/seth_clinic_sw.ts`` is what translators edit (Qt
Linguist, or by hand): ``pyside6-lupdate`` brings it up to date with every
string the desktop marks for translation, without source locations (so a
moved line changes nothing) and without the messages no longer used.
``seth_clinic_sw.qm`` beside it is what the app loads: ``pyside6-lrelease``
compiles it, and it is committed (the app and ``build.spec`` need no build
step); ``tests/unit/test_translations.py`` fails when either is stale or a
message is untranslated.

When a string moves to another context (a label moved to
``desktop.display``), lupdate sees a new message and drops the old one: its
translation is carried over, as finished, when the dropped messages with the
same English had one translation. ``--merge TS`` takes another copy's finished
translations the same way for messages untranslated here (a translator's
copy made from an older source, whatever git made of the two).
"""

from __future__ import annotations

import argparse
import copy
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from desktop.language import CATALOGUE, SOURCE_LANGUAGE

ROOT = Path(__file__).resolve().parent.parent
TRANSLATED = ("sw",)
"""The languages with a translation (besides the English source)."""


def ts_file(language: str) -> Path:
    return ROOT / "resources" / "translations" / f"{CATALOGUE}_{language}.ts"


def qm_file(language: str) -> Path:
    return ts_file(language).with_suffix(".qm")


def sources() -> list[Path]:
    """Every Python file of the desktop app (the only code that shows text)."""
    return sorted((ROOT / "desktop").rglob("*.py"))


def _tool(name: str) -> str:
    """A PySide6 tool from the running Python's environment (or PATH)."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} not found: install PySide6 (pip install -e .)")
    return found


def lupdate(ts: Path, language: str) -> None:
    """Bring ``ts`` up to date with the source (made when missing)."""
    subprocess.run(
        [
            _tool("pyside6-lupdate"),
            "-silent",
            "-locations",
            "none",
            "-no-obsolete",
            "-source-language",
            SOURCE_LANGUAGE,
            "-target-language",
            language,
            *[str(path.relative_to(ROOT)) for path in sources()],
            "-ts",
            str(ts),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )


def lrelease(ts: Path, qm: Path) -> None:
    subprocess.run(
        [_tool("pyside6-lrelease"), "-silent", str(ts), "-qm", str(qm)],
        check=True,
        capture_output=True,
    )


@dataclass(frozen=True)
class Message:
    context: str
    source: str
    translation: str
    finished: bool


def messages(ts: Path) -> list[Message]:
    """The file's messages (a plural's first form stands for its translation)."""
    found = []
    for context in ET.parse(ts).getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            translation = message.find("translation")
            assert translation is not None
            text = (translation.text or "").strip() or "".join(
                form.text or "" for form in translation.iter("numerusform")
            )
            finished = translation.get("type") is None and bool(text.strip())
            found.append(Message(name, message.findtext("source") or "", text, finished))
    return found


def ts_language(ts: Path) -> str | None:
    return ET.parse(ts).getroot().get("language")


def unfinished(ts: Path) -> list[Message]:
    return [message for message in messages(ts) if not message.finished]


def _finished(roots: list[ET.Element]) -> dict[tuple[str, str], ET.Element]:
    """The finished translations (the ``<translation>`` elements, plural forms
    included) of .ts files, by context and source; a later file wins."""
    found = {}
    for root in roots:
        for context in root.iter("context"):
            name = context.findtext("name") or ""
            for message in context.iter("message"):
                translation = message.find("translation")
                if translation is None or translation.get("type") is not None:
                    continue
                texts = [translation.text or "", *(f.text or "" for f in translation)]
                if any(text.strip() for text in texts):
                    found[(name, message.findtext("source") or "")] = translation
    return found


def carry_over(before: list[ET.Element], ts: Path) -> int:
    """Fill the untranslated messages of the updated ``ts`` from the .ts
    files ``before`` (see the module's docstring); how many were filled."""
    finished = _finished(before)
    now = {(m.context, m.source) for m in messages(ts)}
    dropped: dict[str, dict[str, ET.Element]] = {}
    for (name, source), translation in finished.items():
        if (name, source) not in now and not len(translation):
            dropped.setdefault(source, {})[translation.text or ""] = translation
    tree = ET.parse(ts)
    filled = 0
    for context in tree.getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            source = message.findtext("source") or ""
            current = message.find("translation")
            if current is None or current.get("type") != "unfinished":
                continue
            found: ET.Element | None = finished.get((name, source))
            if found is None and message.get("numerus") != "yes":
                same = dropped.get(source, {})
                found = next(iter(same.values())) if len(same) == 1 else None
            if found is None:
                continue
            message.remove(current)
            message.append(copy.deepcopy(found))
            filled += 1
    if filled:
        tree.write(ts, encoding="utf-8", xml_declaration=True)
    return filled


def update(language: str, merge: list[Path] | None = None) -> int:
    """Update the language's .ts (carrying translations over, also from the
    ``merge`` files: other copies of it, such as a translator's branch) and
    compile its .qm; how many messages are left untranslated."""
    ts = ts_file(language)
    before = [ET.parse(path).getroot() for path in [*(merge or []), ts] if path.exists()]
    lupdate(ts, language)
    if carry_over(before, ts):
        lupdate(ts, language)  # back to lupdate's own layout
    lrelease(ts, qm_file(language))
    return len(unfinished(ts))


def stale(language: str) -> list[str]:
    """What is out of date for ``language``: the .ts against the source, the
    .qm against the .ts (empty when both are current)."""
    ts, qm = ts_file(language), qm_file(language)
    problems = []
    with tempfile.TemporaryDirectory() as folder:
        fresh_ts = Path(folder) / ts.name
        shutil.copy(ts, fresh_ts)
        lupdate(fresh_ts, language)
        if fresh_ts.read_bytes() != ts.read_bytes():
            committed = {(m.context, m.source) for m in messages(ts)}
            source = {(m.context, m.source) for m in messages(fresh_ts)}
            changes = [f"new [{c}] {s!r}" for c, s in sorted(source - committed)]
            changes += [f"gone [{c}] {s!r}" for c, s in sorted(committed - source)]
            problems.append(
                f"{ts.name} is not what pyside6-lupdate makes from the source"
                + (": " + "; ".join(changes) if changes else "")
            )
        fresh_qm = Path(folder) / qm.name
        lrelease(ts, fresh_qm)
        if not qm.exists() or fresh_qm.read_bytes() != qm.read_bytes():
            problems.append(f"{qm.name} is not what pyside6-lrelease makes from {ts.name}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m desktop.translations", description=__doc__)
    parser.add_argument(
        "--check",
        action="store_true",
        help="change nothing; fail when a file is stale or a message untranslated",
    )
    parser.add_argument(
        "--merge",
        type=Path,
        action="append",
        default=[],
        metavar="TS",
        help="also take the finished translations of TS (e.g. a translator's copy) for "
        "messages untranslated here",
    )
    args = parser.parse_args(argv)
    failed = False
    for language in TRANSLATED:
        if args.check:
            for problem in stale(language):
                print(problem)
                failed = True
        else:
            update(language, [path for path in args.merge if ts_language(path) == language])
        for message in unfinished(ts_file(language)):
            print(f"untranslated ({language}) [{message.context}] {message.source!r}")
            failed = True
    return 1 if failed and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
