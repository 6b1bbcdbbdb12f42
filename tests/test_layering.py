"""The core stays pure: knowledge/ never imports Discord, dotenv or the application."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parent.parent / "knowledge"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted(CORE.rglob("*.py")), ids=lambda p: str(p.relative_to(CORE)))
def test_core_module_imports_nothing_from_the_application(path: Path) -> None:
    """No knowledge/ module imports discord, dotenv or bot."""
    bad = {n for n in _imports(path) if n.split(".")[0] in {"discord", "dotenv", "bot"}}
    assert not bad, f"{path.name} imports {sorted(bad)}"


@pytest.mark.parametrize("path", sorted(CORE.rglob("*.py")), ids=lambda p: str(p.relative_to(CORE)))
def test_core_module_reads_no_environment_and_prints_nothing(path: Path) -> None:
    """The core reads no environment variables and never prints."""
    source = path.read_text(encoding="utf-8")
    assert "os.environ" not in source and "getenv" not in source
    calls = [
        node.func.id
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    ]
    assert "print" not in calls
