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


# --------------------------------------------------------------------------- bot/ has no circle

APP = CORE.parent / "bot"


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(path: Path, name: str, known: set[str]) -> set[str]:
    """The modules of ``known`` that ``path`` (module ``name``) imports, wherever the import
    stands: relative imports resolved, ``if TYPE_CHECKING:`` and function-level ones counted."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            parts = package.split(".")
            stem = ".".join(parts[: len(parts) - node.level + 1]) if node.level else ""
            module = ".".join(p for p in (stem, node.module or "") if p)
            # ``from . import x`` and ``from .pkg import mod`` may name modules, not objects.
            targets = [module, *(f"{module}.{alias.name}" for alias in node.names)]
        else:
            continue
        found.update(t for t in targets if t in known and t != name)
    return found


def _import_graph(root: Path) -> dict[str, set[str]]:
    """Each module of the package at ``root`` with the package's modules it imports."""
    paths = sorted(root.rglob("*.py"))
    known = {_module_name(p, root) for p in paths}
    return {_module_name(p, root): _imported(p, _module_name(p, root), known) for p in paths}


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle of ``graph`` as a path ``[a, b, ..., a]``, or ``None``."""
    done: set[str] = set()
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        if node in stack:
            return [*stack[stack.index(node) :], node]
        if node in done:
            return None
        stack.append(node)
        for nxt in sorted(graph[node]):
            if (cycle := visit(nxt)) is not None:
                return cycle
        stack.pop()
        done.add(node)
        return None

    for start in sorted(graph):
        if (cycle := visit(start)) is not None:
            return cycle
    return None


def test_bot_modules_import_each_other_in_no_circle() -> None:
    """No bot/ module imports itself back through others, not even under TYPE_CHECKING."""
    cycle = _find_cycle(_import_graph(APP))
    assert cycle is None, "import circle: " + " -> ".join(cycle or [])


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b"}, "b": set()}, None),
        ({"a": {"b"}, "b": {"a"}}, ["a", "b", "a"]),
        ({"a": {"b"}, "b": {"c"}, "c": {"b"}}, ["b", "c", "b"]),
        ({"a": {"a"}}, ["a", "a"]),
    ],
)
def test_find_cycle_names_the_circle(
    graph: dict[str, set[str]], expected: list[str] | None
) -> None:
    """The circle finder returns the modules of the circle in import order."""
    assert _find_cycle(graph) == expected


def test_import_graph_counts_relative_and_type_checking_imports(tmp_path: Path) -> None:
    """``..x`` and ``from . import x`` are resolved; imports under TYPE_CHECKING count."""
    root = tmp_path / "app"
    (root / "sub").mkdir(parents=True)
    files = {
        "__init__.py": "",
        "client.py": "from .sub import cog\nimport app.helpers\n",
        "helpers.py": "",
        "sub/__init__.py": "from . import cog\n",
        "sub/cog.py": (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..client import Bot\n"
        ),
    }
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    graph = _import_graph(root)
    assert graph["app.client"] == {"app.sub", "app.sub.cog", "app.helpers"}
    assert graph["app.sub"] == {"app.sub.cog"}
    assert graph["app.sub.cog"] == {"app.client"}
    assert _find_cycle(graph) == ["app.client", "app.sub", "app.sub.cog", "app.client"]


def test_test_modules_have_unique_basenames() -> None:
    """pytest imports test files by basename (no packages): two alike collide on collection."""
    tests = Path(__file__).resolve().parent
    seen: dict[str, list[str]] = {}
    for path in tests.rglob("test_*.py"):
        seen.setdefault(path.name, []).append(str(path.relative_to(tests)))
    assert not {name: paths for name, paths in seen.items() if len(paths) > 1}
