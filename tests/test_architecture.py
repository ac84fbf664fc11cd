"""The map of rooms as a test: which room may import which, and no room outgrows a module.

docs/adr/0007-layout.md explains the map. A new import across rooms that the map does not
allow, or a module past `MAX_LINES`, fails here rather than waiting for a review.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("domain", "application", "projections", "interfaces")
#: Sub-packages of `application` that are rooms of their own.
APPLICATION_ROOMS = ("store", "accounts", "audit", "demo", "commands", "evidence")
#: Settings and errors are read by every room of the application (they import nothing of ours
#: but the domain), so they count as part of each.
SHARED = {"application.settings", "application.errors"}

#: Room → the rooms it may import (besides itself and `SHARED`).
ALLOWED: dict[str, set[str]] = {
    "domain": set(),
    "application.store": {"domain"},
    "application.commands": {"domain"},
    # who may run a command is declared with the command (`HouseholdCommand.roles`)
    "application.accounts": {"domain", "application.store", "application.commands"},
    # evidence files: checked, stripped and kept beside the log by their digest
    "application.evidence": {"domain", "application.store"},
    # verify checks each evidence file against its digest
    "application.audit": {"domain", "application.store", "application.evidence"},
    "application": {"domain", "application.store", "application.accounts", "application.audit",
                    "application.commands", "application.evidence"},
    "application.demo": {"domain", "application", "application.store", "application.accounts",
                         "application.commands"},
    "projections": {"domain", "application.store"},
    "interfaces": {"domain", "application", "application.store", "application.accounts",
                   "application.audit", "application.demo", "application.commands",
                   "application.evidence", "projections"},
}
MAX_LINES = 500


def room_of(module: str) -> str:
    parts = module.split(".")
    if parts[0] == "application" and len(parts) > 1 and parts[1] in APPLICATION_ROOMS:
        return f"application.{parts[1]}"
    return parts[0]


def modules() -> list[tuple[str, Path]]:
    found = []
    for layer in LAYERS:
        for path in sorted((ROOT / layer).rglob("*.py")):
            if "node_modules" in path.parts:
                continue
            found.append((".".join(path.relative_to(ROOT).with_suffix("").parts), path))
    return found


def imports_of(path: Path) -> list[str]:
    """Every module of ours the file imports, at the top or inside a function."""
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return [name for name in names if name.split(".")[0] in LAYERS]


def forbidden_imports(module: str, imported: list[str]) -> list[str]:
    room = room_of(module)
    allowed = ALLOWED[room] | {room}
    return [name for name in imported
            if name not in SHARED and room_of(name) not in allowed]


MODULES = modules()


@pytest.mark.parametrize(("module", "path"), MODULES, ids=[m for m, _ in MODULES])
def test_imports_follow_the_map(module: str, path: Path):
    assert forbidden_imports(module, imports_of(path)) == [], (
        f"{module} ({room_of(module)}) may import only {sorted(ALLOWED[room_of(module)])}")


@pytest.mark.parametrize(("module", "path"), MODULES, ids=[m for m, _ in MODULES])
def test_no_module_outgrows_its_room(module: str, path: Path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines: split it by concept"


def test_every_room_is_on_the_map():
    assert {room_of(module) for module, _ in MODULES} <= set(ALLOWED)


def test_the_map_catches_an_import_running_back_up():
    assert forbidden_imports("projections.runner", ["application.app"]) == ["application.app"]
    assert forbidden_imports("application.store.log", ["projections.store"]) == ["projections.store"]
    assert forbidden_imports("domain.rules", ["application.settings"]) == []  # SHARED, see below
    assert forbidden_imports("application.reports", ["interfaces.cli"]) == ["interfaces.cli"]
    assert forbidden_imports("interfaces.cli", ["projections.runner", "application.app"]) == []


def test_the_domain_reads_no_settings():
    """`SHARED` is for the application's rooms; the domain's own purity test is stricter."""
    offenders = [module for module, path in MODULES if room_of(module) == "domain"
                 and any(name.startswith("application") for name in imports_of(path))]
    assert offenders == []
