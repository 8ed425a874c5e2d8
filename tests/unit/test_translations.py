"""The translations are complete and made from the current source: every
string the desktop marks for translation is in the committed .ts, the
committed .qm is what pyside6-lrelease makes of it, and every message has a
finished translation (one test per context, listing what is missing). And
``./dev translations`` keeps the work done when strings move or a
translator's copy is merged."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from desktop.translations import TRANSLATED, carry_over, messages, stale, ts_file


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_translation_files_are_made_from_the_current_source(language: str) -> None:
    problems = stale(language)

    assert not problems, "; ".join(problems) + " (run ./dev translations)"


def _contexts() -> list[tuple[str, str]]:
    return sorted(
        {(language, m.context) for language in TRANSLATED for m in messages(ts_file(language))}
    )


@pytest.mark.parametrize(("language", "context"), _contexts())
def test_every_message_is_translated(language: str, context: str) -> None:
    missing = [
        m.source for m in messages(ts_file(language)) if m.context == context and not m.finished
    ]

    assert not missing, (
        f"{len(missing)} message(s) of {context} without a finished {language} translation "
        f"in {ts_file(language).name}: " + " | ".join(missing)
    )


TS = """<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="sw" sourcelanguage="en">
{contexts}
</TS>
"""


def _ts(path: Path, contexts: dict[str, list[tuple[str, str | None]]]) -> Path:
    """A .ts of ``contexts``: (source, translation or None for unfinished)."""
    parts = []
    for name, entries in contexts.items():
        parts.append(f"<context><name>{name}</name>")
        for source, translation in entries:
            kind = ' type="unfinished"' if translation is None else ""
            parts.append(
                f"<message><source>{source}</source>"
                f"<translation{kind}>{translation or ''}</translation></message>"
            )
        parts.append("</context>")
    path.write_text(TS.format(contexts="\n".join(parts)), encoding="utf-8")
    return path


def _translations(path: Path) -> dict[tuple[str, str], str | None]:
    return {(m.context, m.source): m.translation if m.finished else None for m in messages(path)}


def test_a_moved_string_keeps_its_translation_and_a_translators_copy_fills_the_rest(
    tmp_path: Path,
) -> None:
    # Before: "Female" translated in the context it left; after lupdate it is
    # a new, untranslated message of Sex, beside messages a translator did.
    old = _ts(tmp_path / "old.ts", {"Patients": [("Female", "Mwanamke")]})
    translator = _ts(tmp_path / "theirs.ts", {"Queue": [("Open", "Fungua"), ("Next", None)]})
    updated = _ts(
        tmp_path / "seth_clinic_sw.ts",
        {"Sex": [("Female", None)], "Queue": [("Open", None), ("Next", None), ("Male", None)]},
    )

    filled = carry_over([ET.parse(path).getroot() for path in (translator, old)], updated)

    assert filled == 2
    assert _translations(updated) == {
        ("Sex", "Female"): "Mwanamke",
        ("Queue", "Open"): "Fungua",
        ("Queue", "Next"): None,
        ("Queue", "Male"): None,
    }


def test_a_moved_string_translated_two_ways_is_left_to_a_translator(tmp_path: Path) -> None:
    old = _ts(tmp_path / "old.ts", {"A": [("Open", "Fungua")], "B": [("Open", "Fungua sasa")]})
    updated = _ts(tmp_path / "seth_clinic_sw.ts", {"C": [("Open", None)]})

    assert carry_over([ET.parse(old).getroot()], updated) == 0
    assert _translations(updated) == {("C", "Open"): None}
