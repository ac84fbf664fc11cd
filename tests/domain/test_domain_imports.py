"""The domain's modules import one another without a circle: the rules and the correction
converters never reach back into the household case file, not even for type checking."""

from __future__ import annotations

import ast
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[2] / "domain"


def module_name(path: Path) -> str:
    parts = path.relative_to(DOMAIN.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(DOMAIN.rglob("*.py"))}


def domain_imports(path: Path) -> set[str]:
    """Every domain module ``path`` imports anywhere (top level, functions, TYPE_CHECKING)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in MODULES)
        elif isinstance(node, ast.ImportFrom) and node.module in MODULES:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in MODULES else node.module)
    return found


def cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import circle in ``graph``, or [] when there is none."""
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> list[str]:
        if name in path:
            return [*path[path.index(name):], name]
        if name in done:
            return []
        for target in sorted(graph[name]):
            found = visit(target, [*path, name])
            if found:
                return found
        done.add(name)
        return []

    for name in sorted(graph):
        found = visit(name, [])
        if found:
            return found
    return []


def test_the_domain_has_no_import_circle():
    graph = {name: domain_imports(path) - {name} for name, path in MODULES.items()}
    assert cycle(graph) == []


def test_rules_and_corrections_do_not_know_the_household():
    for name in ("domain.rules", "domain.corrections"):
        assert not {m for m in domain_imports(MODULES[name]) if m.startswith("domain.household")}


def test_the_checker_would_catch_a_circle():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) == []
