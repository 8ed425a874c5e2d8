"""The first start after the upgrade to an encrypted store: a plain store
encrypted in place, on a copy of a data set.

    python -m bench.run_encrypt [--data DIR] [--small] [--json FILE]

Copies the data set's store (``bench/data/``: 500,000 patients and 2,000,000
visits by default) into a scratch folder beside it, then times what the
app's first start does to it: ``clinic.store.store_key_for``, which makes
the store's key and encrypts the store in place (``clinic.cipher``:
``sqlcipher_export`` into a copy, row counts checked table by table, fsync,
rename), then the first ``open_local_store`` of the encrypted store. The rows
of every table are counted in the plain copy before and in the encrypted
store after, and must be equal. The scratch folder is removed afterwards.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from bench.run_local import ensure_data, machine
from clinic.cipher import StoreState, store_state, table_rows
from clinic.store import STORE_FILE, connect_raw, open_local_store, store_key_for


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run_encrypt",
        description="Time the in-place encryption of a plain store (bench/README.md).",
    )
    parser.add_argument("--data", type=Path, help="folder holding a plain clinic.sqlite3")
    parser.add_argument("--small", action="store_true", help="the small data set")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(list(argv) if argv is not None else None)

    folder = ensure_data(args)
    if store_state(folder / STORE_FILE) != StoreState.PLAIN:
        raise SystemExit(f"bench.run_encrypt: {folder / STORE_FILE} is not a plain store")
    print(f"machine:  {machine()}")
    scratch = Path(tempfile.mkdtemp(prefix=".bench-encrypt-", dir=folder.parent))
    try:
        started = time.perf_counter()
        for source in sorted(folder.glob(f"{STORE_FILE}*")):
            shutil.copyfile(source, scratch / source.name)
        copied_s = time.perf_counter() - started
        path = scratch / STORE_FILE
        with connect_raw(path) as plain:
            before = table_rows(plain)
        plain.close()
        size = path.stat().st_size + sum(
            p.stat().st_size for p in scratch.glob(f"{STORE_FILE}-wal")
        )
        print(
            f"data set: {folder} ({size / 1e9:.2f} GB, {len(before)} tables,"
            f" {sum(before.values()):,} rows); copied in {copied_s:.1f} s"
        )

        started = time.perf_counter()
        store_key_for(path)
        encrypted_s = time.perf_counter() - started
        with connect_raw(path) as encrypted:
            after = table_rows(encrypted)
        encrypted.close()
        started = time.perf_counter()
        open_local_store(scratch).close()
        opened_s = time.perf_counter() - started
        differ = sorted(n for n in before.keys() | after.keys() if before.get(n) != after.get(n))
        state = store_state(path)
        print(
            f"encrypted in place in {encrypted_s:.1f} s ({size / 1e6 / encrypted_s:.0f} MB/s),"
            f" then opened in {opened_s:.2f} s; {path.stat().st_size / 1e9:.2f} GB, {state.value}"
        )
        print(
            "row counts: "
            + ("every table equal" if not differ else f"DIFFER in {', '.join(differ)}")
        )
        if args.json:
            args.json.write_text(
                json.dumps(
                    {
                        "machine": machine(),
                        "data": str(folder),
                        "bytes": size,
                        "rows": sum(before.values()),
                        "encrypt_s": round(encrypted_s, 1),
                        "first_open_s": round(opened_s, 2),
                        "rows_equal": not differ,
                    },
                    indent=2,
                )
                + "\n"
            )
        return 0 if not differ and state == StoreState.ENCRYPTED else 1
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
