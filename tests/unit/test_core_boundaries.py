"""The core knows nothing of platforms, SQL, HTTP or models: only the standard library and numpy."""

import ast
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "core"
ALLOWED_THIRD_PARTY = {"numpy"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_core_imports_only_stdlib_and_numpy() -> None:
    files = sorted(CORE.rglob("*.py"))
    assert len(files) > 10
    offenders = {}
    for path in files:
        foreign = {m for m in _imports(path) if m not in sys.stdlib_module_names and m not in ALLOWED_THIRD_PARTY
                   and m != "__future__"}
        if foreign:
            offenders[str(path.relative_to(CORE))] = foreign
    assert offenders == {}


def test_boundary_check_catches_an_sdk_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import telegram\nfrom sqlalchemy import select\nimport json\n")
    assert _imports(bad) - sys.stdlib_module_names == {"telegram", "sqlalchemy"}
