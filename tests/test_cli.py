"""The `sitrep` CLI: the JSON contract, batch mode, first run, load/check/export and errors."""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from bot.paths import BUNDLED_SEEDS
from knowledge.desk import Desk


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A database path that does not exist yet."""
    return tmp_path / "data" / "sitrep.db"


def run(db: Path, *argv: str, stdin: bytes | None = None) -> tuple[int, str]:
    """Run the CLI against ``db`` (options first, then the command); returns (status, stdout)."""
    out = io.StringIO()
    old = sys.stdin
    if stdin is not None:
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    try:
        code = main(["--db", str(db), *argv], out=out)
    finally:
        sys.stdin = old
    return code, out.getvalue()


def test_first_ask_builds_the_database_from_the_seeds(db: Path) -> None:
    """With no database, the first command creates it and answers from the bundled facts."""
    code, out = run(db, "ask", "who leads JNIM")
    assert code == 0 and db.exists()
    assert "ag-Ghali" in out and "Kouffa" in out
    assert "Soufan Center" in out and "As of 2025-11-04" in out
    assert "“JNIM is led by Iyad ag-Ghali" in out


def test_ask_json_follows_the_contract(db: Path) -> None:
    """--json prints one object with the contract's fields."""
    code, out = run(db, "ask", "--json", "fuel imports")
    data = json.loads(out)
    assert code == 0
    assert set(data) == {"query", "status", "score", "fact", "alternatives"}
    assert data["status"] == "answered" and 0 <= data["score"] <= 100
    fact = data["fact"]
    assert set(fact) == {"id", "title", "answer", "as_of", "stale", "sources"}
    assert "95" in fact["answer"] and "Senegal" in fact["answer"]
    assert set(fact["sources"][0]) == {"title", "publisher", "published", "url", "quote"}


def test_unknown_topic_is_no_match_with_suggestions(db: Path) -> None:
    """A question the facts cannot answer is an honest no_match with close topics."""
    _, out = run(db, "ask", "--json", "who leads Boko Haram")
    data = json.loads(out)
    assert data["status"] == "no_match" and data["fact"] is None
    assert 1 <= len(data["alternatives"]) <= 3
    _, text = run(db, "ask", "who leads Boko Haram")
    assert text.startswith("I have no fact on that") and "Did you mean" in text


def test_batch_answers_every_line_in_order(db: Path) -> None:
    """`ask --json -` answers one JSON line per input line, bad bytes and blank lines included."""
    stdin = b"who leads JNIM\n\n\xff\xfe broken\nfuel imports\n"
    code, out = run(db, "ask", "--json", "-", stdin=stdin)
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(lines) == 4
    assert [line["status"] for line in lines] == ["answered", "no_match", "no_match", "answered"]
    assert lines[1]["query"] == "" and lines[1]["fact"] is None


@pytest.mark.parametrize("query", ["", "   ", "?", "🙂"])
def test_empty_single_query_is_a_usage_error(db: Path, query: str) -> None:
    """A single query with nothing to search for exits 2 with a usage message."""
    code, out = run(db, "ask", query)
    assert code == 2 and out == ""


def test_show_and_topics(db: Path) -> None:
    """`show` prints one fact with sources; `topics` lists facts by tag."""
    code, out = run(db, "show", "jnim-leadership")
    assert code == 0 and "Who leads JNIM" in out and "Sources:" in out
    code, out = run(db, "topics")
    assert code == 0 and "jnim-leadership" in out


def test_show_unknown_id_is_a_clear_error(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown id exits 1 with a one-line message, not a traceback."""
    code, _ = run(db, "show", "no-such-fact")
    assert code == 1
    assert "no fact with id 'no-such-fact'" in capsys.readouterr().err


def test_check_passes_on_shipped_seeds(db: Path) -> None:
    """`check` validates the bundled seeds."""
    assert run(db, "check") == (0, "ok: every fact file is valid\n")


def _broken_seeds(tmp_path: Path) -> Path:
    root = tmp_path / "seeds"
    shutil.copytree(BUNDLED_SEEDS, root)
    path = root / "facts" / "fuel.toml"
    text = path.read_text(encoding="utf-8")
    # Break the second fact of the file: a quote its document does not contain.
    first = text.index("quote = ", text.index("[[fact]]", text.index("[[fact]]") + 1))
    path.write_text(
        text[:first] + 'quote = "words the brief never says"\n' + text[first:].split("\n", 1)[1]
    )
    return root


def test_check_reports_file_fact_and_field(db: Path, tmp_path: Path) -> None:
    """`check` exits 1 and names the file, line, fact id and field of each problem."""
    code, out = run(db, "check", str(_broken_seeds(tmp_path)))
    assert code == 1
    assert "fuel.toml:" in out and "field 'sources[0].quote'" in out and "not found verbatim" in out


def _dump(db: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        tables = [r[0] for r in conn.execute("select name from sqlite_master where type='table'")]
        return [row for t in sorted(tables) for row in conn.execute(f"select * from [{t}]")]


def test_failing_load_leaves_the_database_unchanged(db: Path, tmp_path: Path) -> None:
    """A load with a bad record in the middle changes nothing."""
    run(db, "topics")
    before = _dump(db)
    code, _ = run(db, "load", str(_broken_seeds(tmp_path)))
    assert code == 1 and _dump(db) == before


def test_load_dry_run_reports_and_writes_nothing(db: Path) -> None:
    """`load --dry-run` on unchanged seeds reports everything unchanged and writes nothing."""
    run(db, "topics")
    before = _dump(db)
    code, out = run(db, "load", "--dry-run")
    assert code == 0 and "0 would be added" in out and "0 would be changed" in out
    assert _dump(db) == before


def test_export_then_load_round_trips(db: Path, tmp_path: Path) -> None:
    """Exported fact files load back into an identical fact set: nothing added or changed."""
    run(db, "topics")
    export = tmp_path / "export"
    code, out = run(db, "export", str(export))
    assert code == 0 and "wrote" in out
    assert run(db, "check", str(export))[0] == 0
    code, out = run(db, "load", str(export))
    assert code == 0
    assert "0 were added" in out and "0 were changed" in out and "0 were retired" in out
    fresh = tmp_path / "fresh.db"
    for command in (("topics",), ("show", "jnim-leadership"), ("show", "fuel-imports")):
        assert run(fresh, "--seeds", str(export), *command) == run(db, *command)


def test_every_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    """Every subcommand answers --help."""
    for command in ("ask", "show", "topics", "load", "check", "export", "run", "sync", "digest"):
        with pytest.raises(SystemExit) as exc:
            main([command, "--help"])
        assert exc.value.code == 0
        assert "usage: sitrep" in capsys.readouterr().out


def test_run_without_a_token_names_the_variable(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`sitrep run` with no token exits 2 with a message naming DISCORD_TOKEN, no traceback."""
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    code, _ = run(db, "run")
    assert code == 2
    assert "DISCORD_TOKEN is not set" in capsys.readouterr().err


@pytest.fixture
def held_lock(db: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[sqlite3.Connection]:
    """A built database whose write lock another connection holds; writers wait 50 ms."""
    assert run(db, "ask", "who leads JNIM")[0] == 0
    monkeypatch.setattr("knowledge.store.db.BUSY_TIMEOUT_MS", 50)
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    yield other
    other.execute("ROLLBACK")
    other.close()


def test_a_held_write_lock_is_a_short_error_not_a_traceback(
    db: Path, held_lock: sqlite3.Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    """A write that cannot get the lock exits 1 with one line saying to try again."""
    code, _ = run(db, "revert", "jnim-leadership", "1")
    err = capsys.readouterr().err
    assert code == 1
    assert err == (
        "sitrep: the database is busy: another process is writing to it; try again in a moment\n"
    )


def test_batch_readers_keep_answering_under_a_held_write_lock(
    db: Path, held_lock: sqlite3.Connection
) -> None:
    """A batch never needs the write lock: every line is answered while another writes."""
    code, out = run(db, "ask", "--json", "-", stdin=b"who leads JNIM\nfuel imports\n" * 5)
    assert code == 0
    assert [json.loads(line)["status"] for line in out.splitlines()] == ["answered"] * 10


def test_a_failing_batch_line_reports_its_error_and_the_batch_goes_on(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database error on one line is that line's "error"; the lines after it are answered."""
    real = Desk.answer
    calls = iter([sqlite3.OperationalError("disk I/O error"), None, None])

    def flaky(self: Desk, query: str, **kw: object) -> object:
        error = next(calls)
        if error is not None:
            raise error
        return real(self, query, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(Desk, "answer", flaky)
    code, out = run(db, "ask", "--json", "-", stdin=b"who leads JNIM\nfuel imports\nGSIM\n")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [line["status"] for line in lines] == ["error", "answered", "answered"]
    assert lines[0] == {
        "status": "error",
        "query": "who leads JNIM",
        "error": "database error: disk I/O error",
    }


def _future_seeds(tmp_path: Path) -> Path:
    """The bundled seeds with one fact dated after today (and no review date before it)."""
    root = tmp_path / "future"
    shutil.copytree(BUNDLED_SEEDS, root)
    path = root / "facts" / "cities.toml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith("as_of = "))
    lines[at] = "as_of = 2999-01-01\n"
    lines = [line for line in lines if not line.startswith("review_by = ")]
    path.write_text("".join(lines), encoding="utf-8")
    return root


def test_check_and_load_refuse_a_future_as_of_with_its_line(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`check` refuses what `load` would: an as_of after today, named by file and line."""
    seeds = _future_seeds(tmp_path)
    line = next(
        n
        for n, text in enumerate((seeds / "facts" / "cities.toml").read_text().splitlines(), 1)
        if text == "as_of = 2999-01-01"
    )
    where = f"cities.toml:{line}: fact 'bamako-definition' field 'as_of': as_of is in the future"
    code, out = run(db, "check", str(seeds))
    assert code == 1 and where in out
    run(db, "topics")
    before = _dump(db)
    code, _ = run(db, "load", str(seeds))
    assert code == 1 and where in capsys.readouterr().err
    assert _dump(db) == before


def test_reindex_rebuilds_and_says_how_much(db: Path) -> None:
    """`sitrep reindex` rebuilds both indexes of a working database; answers stay the same."""
    assert run(db, "ask", "who leads JNIM")[0] == 0
    code, out = run(db, "reindex")
    assert code == 0
    assert out.startswith("indexed 73 facts and 0 passages in ")
    assert "ag-Ghali" in run(db, "ask", "who leads JNIM")[1]
