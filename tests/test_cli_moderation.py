"""`sitrep history`, `sitrep revert`, `sitrep import` and `sitrep export` on the host."""

from __future__ import annotations

import getpass
import io
import sqlite3
from pathlib import Path

import pytest

from bot.cli import build_parser, main
from knowledge.store.db import open_db
from knowledge.store.facts import FactStore

LEADERSHIP = "jnim-leadership"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A database built from the bundled seeds by a first command."""
    path = tmp_path / "sitrep.db"
    assert run(path, "topics")[0] == 0
    return path


def run(db: Path, *argv: str) -> tuple[int, str]:
    """Run the CLI against ``db``; returns (status, stdout)."""
    out = io.StringIO()
    return main(["--db", str(db), *argv], out=out), out.getvalue()


def edit_title(db: Path, title: str) -> None:
    """Change a fact as the bot would, so that there is history to show and revert."""
    conn = open_db(db)
    FactStore(conn).edit(LEADERSHIP, title=title, actor="discord:123456789012345678")
    conn.close()


def me() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:
        return "cli:unknown"


def test_every_new_command_has_help() -> None:
    """history, revert and import are listed, each with a description."""
    parser = build_parser()
    text = parser.format_help()
    for name in ("history", "revert", "import", "export"):
        assert name in text


def test_history_shows_revisions_newest_first(db: Path) -> None:
    """Who, when, and the diff, newest first."""
    edit_title(db, "Leaders of JNIM")
    code, out = run(db, "history", LEADERSHIP)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("rev 2 · edited · ")
    assert lines[0].endswith("by discord:123456789012345678")
    assert lines[1:4] == ["  title:", "  - Who leads JNIM", "  + Leaders of JNIM"]
    assert "rev 1 · loaded from a file" in out


def test_revert_records_a_new_revision_by_the_cli_user(db: Path) -> None:
    """revert ID REV brings the old state back as rev 3, recorded as cli:<os user>."""
    edit_title(db, "Leaders of JNIM")
    code, out = run(db, "revert", LEADERSHIP, "1", "--reason", "the old title was clearer")
    assert code == 0
    assert out.startswith("rev 3 · reverted · ")
    assert "  reason: the old title was clearer" in out
    conn = sqlite3.connect(db)
    row = conn.execute(
        "SELECT f.title, r.actor FROM facts f JOIN revisions r ON r.fact_id = f.id"
        " WHERE f.id = ? AND r.rev = 3",
        (LEADERSHIP,),
    ).fetchone()
    conn.close()
    assert row == ("Who leads JNIM", me())
    assert run(db, "revert", LEADERSHIP, "1")[1].endswith("nothing changed\n")


def test_revert_unknown_revision_exits_1(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A revision that does not exist is a clear error."""
    assert run(db, "revert", LEADERSHIP, "42")[0] == 1
    assert "has no revision 42" in capsys.readouterr().err


def test_export_then_import_dry_run_and_import(db: Path, tmp_path: Path) -> None:
    """An exported file, edited, imports with --dry-run first (nothing written), then for real."""
    assert run(db, "export", str(tmp_path / "out"))[0] == 0
    fuel = tmp_path / "out" / "facts" / "fuel.toml"
    fuel.write_text(
        fuel.read_text("utf-8").replace("Ivory Coast", "Ivory Coast (Côte d'Ivoire)", 1), "utf-8"
    )
    code, out = run(db, "import", "--dry-run", str(fuel))
    assert code == 0
    changed = [line for line in out.splitlines() if "would be changed" in line]
    assert changed and changed[0].strip().startswith("1 would be changed")
    conn = sqlite3.connect(db)
    before = conn.execute("SELECT count(*) FROM revisions").fetchone()[0]
    code, out = run(db, "import", str(fuel))
    assert code == 0
    assert "1 were changed" in out
    assert conn.execute("SELECT count(*) FROM revisions").fetchone()[0] == before + 1
    actors = conn.execute("SELECT DISTINCT actor FROM revisions WHERE reason LIKE 'import of %'")
    assert actors.fetchall() == [(me(),)]
    conn.close()


def test_import_of_a_bad_file_lists_problems_and_changes_nothing(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every problem with file, line, fact and field; exit 1; the database untouched."""
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[[fact]]\nid = "Bad Id"\ntitle = ""\nanswer = "x"\nkeys = []\ntags = []\n'
        'as_of = 2025-11-04\n[[fact.sources]]\nsource = "soufan-2025-11-04"\nquote = "nope"\n',
        "utf-8",
    )
    conn = sqlite3.connect(db)
    before = conn.execute("SELECT count(*) FROM revisions").fetchone()[0]
    assert run(db, "import", str(bad))[0] == 1
    err = capsys.readouterr().err
    assert f"{bad}:2: fact 'Bad Id' field 'id'" in err
    assert "field 'title'" in err
    assert "quote not found verbatim" in err
    assert conn.execute("SELECT count(*) FROM revisions").fetchone()[0] == before
    conn.close()


def test_import_of_a_missing_file_is_a_usage_error(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unreadable file exits 2 and says why."""
    assert run(db, "import", str(tmp_path / "nope.toml"))[0] == 2
    assert "cannot read" in capsys.readouterr().err


def test_a_key_another_fact_owns_is_refused_with_its_line(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The store's own problems (a key of another fact) carry the file's line too."""
    path = tmp_path / "clash.toml"
    path.write_text(
        "[[fact]]\n"
        'id = "clash-test"\n'
        'title = "A clash test"\n'
        'answer = "An answer for the clash test."\n'
        "keys = [\n"
        '    "clash test key",\n'
        '    "who leads JNIM",\n'
        "]\n"
        'tags = ["test"]\n'
        "as_of = 2025-11-04\n\n"
        "[[fact.sources]]\n"
        'source = "soufan-2025-11-04"\n'
        'quote = "JNIM is led by Iyad ag-Ghali and Amadou Kouffa"\n',
        encoding="utf-8",
    )
    for dry_run in ((), ("--dry-run",)):
        code, _ = run(db, "import", str(path), *dry_run)
        err = capsys.readouterr().err
        assert code == 1
        assert f"{path}:7: fact 'clash-test' field 'keys[1]': key 'who leads JNIM'" in err


def test_keys_shows_then_accepts_suggested_keys(db: Path) -> None:
    """`sitrep keys ID` lists the suggestions; --accept adds them in one revision by the
    terminal's user; a second --accept has nothing left to add."""
    fact, key = "tinzawaten-2024", "what happened in Tinzawaten"
    code, out = run(db, "keys", fact)
    assert code == 0 and "Suggested question keys" in out and f"  {key}" in out
    assert f"sitrep keys {fact} --accept" in out
    code, out = run(db, "keys", fact, "--accept", "--reason", "from the brief")
    assert code == 0 and f"+ {key}" in out and me() in out and "from the brief" in out
    conn = open_db(db)
    assert key in FactStore(conn).get(fact).keys
    conn.close()
    assert "no question keys to suggest" in run(db, "keys", fact, "--accept")[1]


def test_keys_of_an_unknown_fact_fails(db: Path) -> None:
    """An unknown id is an error, as for every command."""
    assert run(db, "keys", "no-such-fact")[0] != 0
