"""Durability at the entry points: connection settings, schema refusals, no file swaps.

RELIABILITY F1 (the settings of the connection the CLI and the bot really use), F5 (nothing
renames or moves a file over the database: a static check of the code) and F7 at the level a
person sees it: a newer database or a failing migration makes every command exit non-zero
with one line, and leaves the version and the data as they were.
"""

from __future__ import annotations

import ast
import io
import logging
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlite_utils
from clikit import cli, schema_version, set_version, table_rows

import knowledge.store.facts
from bot import runner
from bot.config import Settings
from bot.paths import BUNDLED_SEEDS
from knowledge.desk import open_desk
from knowledge.store.migrations import MIGRATIONS, SCHEMA_VERSION, migrate

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "FAKEx0000000000000000000.AbCdEf.notxaxrealxtokenxjustxforxtestsxxxx"  # shape only


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database built once from the shipped seeds."""
    path = tmp_path_factory.mktemp("template") / "sitrep.db"
    open_desk(path, BUNDLED_SEEDS).close()
    return path


@pytest.fixture
def db(template: Path, tmp_path: Path) -> Path:
    """A copy of the seeded database."""
    path = tmp_path / "sitrep.db"
    source, target = sqlite3.connect(template), sqlite3.connect(path)
    source.backup(target)
    source.close()
    target.close()
    return path


# --------------------------------------------------------------------------- F1


PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": 2,  # FULL: a commit survives power loss
    "foreign_keys": 1,
    "busy_timeout": 5000,
    "trusted_schema": 0,
}


@pytest.mark.parametrize(("pragma", "expected"), PRAGMAS.items(), ids=list(PRAGMAS))
def test_the_desks_connection_is_configured_for_durability(
    db: Path, pragma: str, expected: object
) -> None:
    """F1 on the connection the CLI and the bot's store thread get from open_desk (the unit
    test of open_db is in store/test_db)."""
    desk = open_desk(db, BUNDLED_SEEDS)
    try:
        assert desk.store.db.conn.execute(f"PRAGMA {pragma}").fetchone()[0] == expected
    finally:
        desk.close()


# --------------------------------------------------------------------------- F7 at the CLI

NEWER = (
    f"sitrep: database schema v{SCHEMA_VERSION + 1} is newer than this Sitrep "
    f"(v{SCHEMA_VERSION}); upgrade Sitrep\n"
)
COMMANDS = [
    ("ask", "who leads JNIM"),
    ("ask", "--json", "-"),
    ("topics",),
    ("show", "jnim-leadership"),
    ("load",),
    ("export", "{tmp}/export"),
    ("history", "jnim-leadership"),
    ("digest", "--preview"),
]


@pytest.mark.parametrize("argv", COMMANDS, ids=[" ".join(a) for a in COMMANDS])
def test_newer_database_is_refused_with_one_line(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: tuple[str, ...]
) -> None:
    """F7: every command that opens a database from a newer Sitrep exits 1 with one line,
    writes nothing to it, and prints nothing else."""
    set_version(db, SCHEMA_VERSION + 1)
    before = dump(db)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"who leads JNIM\n")))
    code, out, err = cli(db, *(a.format(tmp=tmp_path) for a in argv))
    assert (code, out, err) == (1, "", NEWER)
    assert dump(db) == before
    assert not (tmp_path / "export").exists()


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """run_bot installs the production logging; put the test's logging back afterwards."""
    root, discord_logger = logging.getLogger(), logging.getLogger("discord")
    saved = list(root.handlers), root.level, discord_logger.level
    yield
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    discord_logger.setLevel(saved[2])


@pytest.mark.usefixtures("restore_logging")
def test_bot_refuses_to_start_on_a_newer_database(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """F7: `sitrep run` on a newer database exits 2 (systemd does not retry it) before it
    connects to Discord, with one error line that says what to do."""
    set_version(db, SCHEMA_VERSION + 1)
    before = dump(db)
    settings = Settings(token=TOKEN, db_path=db, seeds_dir=BUNDLED_SEEDS)
    assert runner.run_bot(settings) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if " ERROR " in line]
    assert len(errors) == 1
    assert errors[0].endswith(f"cannot open the fact store at {db}: {NEWER[8:].strip()}")
    assert dump(db) == before


def _v3_broken(db: sqlite_utils.Database) -> None:
    """A migration that gets halfway, then fails."""
    db.execute("CREATE TABLE half_done (x INTEGER)")
    db.execute("UPDATE facts SET title = 'clobbered'")
    raise sqlite3.OperationalError("disk I/O error (simulated)")


def test_failing_migration_exits_1_and_leaves_version_and_data(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """F7: a migration that fails halfway exits 1 with one line naming it; the schema
    version and every row are as before, and the next (fixed) run works."""
    before = dump(db)
    monkeypatch.setattr(
        knowledge.store.facts, "migrate", lambda d: migrate(d, (*MIGRATIONS, _v3_broken))
    )
    code, out, err = cli(db, "ask", "who leads JNIM")
    assert (code, out) == (1, "")
    assert err == (
        f"sitrep: migration to schema v{SCHEMA_VERSION + 1} (_v3_broken) failed: disk I/O error "
        f"(simulated); the database is unchanged at v{SCHEMA_VERSION}\n"
    )
    assert dump(db) == before
    monkeypatch.undo()
    assert cli(db, "ask", "who leads JNIM")[0] == 0


# --------------------------------------------------------------------------- F5


RENAMES = {"os.replace", "os.rename", "os.renames", "shutil.move"}
# Every place that renames a file, with why it can never be the database.
ALLOWED = {
    ("knowledge/curation/export.py", "_write_atomic"): "writes exported fact files via a temp file",
    ("knowledge/store/backup.py", "take_backup"): "names a finished backup file in the backup dir",
    ("knowledge/matching/search.py", "_set_generation"): "writes the search index's token file",
}


class _RenameFinder(ast.NodeVisitor):
    """Collects (innermost function, line, call) for every rename-like call."""

    def __init__(self) -> None:
        self.scope = ["<module>"]
        self.found: list[tuple[str, int, str]] = []

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Attribute):
            name, method = ast.unparse(node.func), node.func.attr
            # Path.rename/replace take one argument; str.replace takes two.
            path_like = method in {"rename", "replace"} and len(node.args) == 1
            if name in RENAMES or (path_like and not node.keywords):
                self.found.append((self.scope[-1], node.lineno, name))
        self.generic_visit(node)


def _renames(source: str) -> list[tuple[str, int, str]]:
    """(enclosing function, line, call) for every rename-like call in a module's source."""
    finder = _RenameFinder()
    finder.visit(ast.parse(source))
    return finder.found


def test_the_rename_finder_sees_every_spelling() -> None:
    """The static check is only as good as its finder: each spelling is caught, in scope."""
    source = (
        "def f(p, q):\n    os.replace(p, q)\n    shutil.move(p, q)\n"
        "    def g():\n        Path(p).rename(q)\n    p.replace(q)\n"
        "    'a'.replace('a', 'b')\n    dataclasses.replace(p, x=1)\n"
    )
    assert _renames(source) == [
        ("f", 2, "os.replace"),
        ("f", 3, "shutil.move"),
        ("g", 5, "Path(p).rename"),
        ("f", 6, "p.replace"),
    ]


def test_nothing_renames_or_moves_a_file_over_the_database() -> None:
    """F5: os.replace/os.rename/shutil.move/Path.rename/Path.replace appear only where the
    target is provably not the database (listed above with the reason); restore copies
    pages with the backup API instead (test_backup checks the inode stays the same)."""
    found = {}
    for path in sorted([*ROOT.glob("knowledge/**/*.py"), *ROOT.glob("bot/**/*.py")]):
        relative = path.relative_to(ROOT).as_posix()
        for function, line, call in _renames(path.read_text(encoding="utf-8")):
            found[(relative, function)] = f"{relative}:{line} {call}"
    unexplained = {site: where for site, where in found.items() if site not in ALLOWED}
    assert not unexplained, f"a rename that could hit the database: {unexplained}"
    assert set(found) == set(ALLOWED), "an allowed rename is gone: drop it from ALLOWED"
    restore = (ROOT / "knowledge" / "store" / "backup.py").read_text(encoding="utf-8")
    assert ".backup(target)" in restore


def dump(path: Path) -> tuple[int, dict[str, list[tuple[object, ...]]]]:
    """The schema version and every row of every table."""
    return schema_version(path), table_rows(path)
