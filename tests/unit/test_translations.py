"""The translations are complete and made from the current source: every
string the desktop marks for translation is in the committed .ts, the
committed .qm is what pyside6-lrelease makes of it, and every message has a
finished translation (one test per context, listing what is missing)."""

from __future__ import annotations

import pytest

from desktop.translations import TRANSLATED, messages, stale, ts_file


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
