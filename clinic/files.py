"""Files the clinic writes for people and other programs (exports, PDFs):
written whole or not at all.

A file is written to a temporary name in its own folder and renamed over the
target only once complete, so a crash, a full disk or an error half-way
leaves the old file (or none) rather than half a new one; the rename is atomic
on one file system.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def replaced_whole(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to: renamed over ``path`` when
    the block ends, removed (``path`` untouched) when it raises. A folder that
    does not exist or cannot be written raises OSError before the block runs."""
    path = Path(path)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}-", suffix=".part", dir=path.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_whole(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path``, whole or not at all."""
    with replaced_whole(path) as temporary:
        temporary.write_bytes(data)
    return Path(path)
