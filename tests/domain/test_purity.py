"""The domain does no I/O and reads no clock: only pure imports, no ambient time, randomness,
environment or files."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parents[2] / "domain"
MODULES = sorted(DOMAIN.rglob("*.py"))

PURE_STDLIB = {
    "__future__",
    "calendar",
    "collections.abc",
    "dataclasses",
    "datetime",
    "decimal",
    "enum",
    "functools",  # cache: memoised pure functions
    "re",
    "typing",
    "uuid",
}
ALLOWED_EXACT = PURE_STDLIB | {"eventsourcing.domain", "domain"}

FORBIDDEN_TEXT = ["datetime.now", "date.today", "time.time", "uuid4", "os.environ", "open("]


def imported_modules(tree: ast.Module) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "relative import"
            names.append(node.module or "")
    return names


def allowed(module: str) -> bool:
    return module in ALLOWED_EXACT or module.startswith("domain.")


def test_the_domain_package_has_modules():
    names = {path.relative_to(DOMAIN).as_posix() for path in MODULES}
    assert {
        "codes.py",
        "identity.py",
        "errors.py",
        "values.py",
        "rules.py",
        "corrections.py",
        "household/aggregate.py",
        "policy.py",
    } <= names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(DOMAIN).as_posix())
def test_every_import_is_pure(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    impure = [m for m in imported_modules(tree) if not allowed(m)]
    assert impure == [], f"{path.name} imports {impure}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(DOMAIN).as_posix())
def test_no_clock_randomness_environment_or_files(path: Path):
    text = path.read_text(encoding="utf-8")
    found = [needle for needle in FORBIDDEN_TEXT if needle in text]
    assert found == [], f"{path.name} mentions {found}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(DOMAIN).as_posix())
def test_no_dynamic_import_or_builtin_io(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    calls = {
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    assert not calls & {"open", "__import__", "input", "print", "exec", "eval"}


def test_the_checker_would_catch_an_impure_import():
    tree = ast.parse(
        "import os\nfrom eventsourcing.application import Application\n"
        "from datetime import date\nfrom domain.codes import Role\n"
    )
    assert [m for m in imported_modules(tree) if not allowed(m)] == ["os", "eventsourcing.application"]
