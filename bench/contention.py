"""Lock contention: many `sitrep` writers and batch readers on one store, as separate processes.

``python -m bench.contention [--writers 20] [--facts 2000] [--edits 12] [--hold 8]``

Two phases, each with real ``sitrep`` processes:

1. **held lock**: another process holds the write lock for ``--hold`` seconds (longer than
   the busy timeout) while two batch readers ask and one writer reverts. The readers must
   answer every line; the writer must fail with a one-line "busy" message, not a traceback.
2. **writers**: ``--writers`` processes each revert their own fact ``--edits`` times while
   two batch readers ask. Every write must succeed and every revision must be recorded.

Prints one JSON object with the counts and exits 1 if any check fails.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from knowledge.curation.sources import load_glossary
from knowledge.store.db import open_db
from knowledge.store.facts import FactStore

from .build import SEEDS, write_glossary
from .generate import generate

SITREP = [sys.executable, "-m", "bot.cli"]


@dataclass(frozen=True)
class Questions:
    """The readers' input file and how many lines it holds."""

    path: Path
    count: int


def _build(db: Path, facts: int, writers: int) -> list[str]:
    """A store of ``facts`` generated facts; the first ``writers`` get a second revision."""
    store = generate(facts, seed=7)
    all_facts = list(store.facts())
    fact_store = FactStore(open_db(db))
    try:
        fact_store.sync(store.documents, all_facts, actor="bench")
        owned = [fact.id for fact in all_facts[:writers]]
        for fact_id in owned:
            fact_store.add_key(fact_id, f"contention key {fact_id}", actor="bench")
    finally:
        fact_store.db.close()
    glossary = store.vocabulary.glossary(load_glossary(SEEDS / "glossary.toml"))
    write_glossary(db.parent / "seeds" / "glossary.toml", glossary)
    return owned


def _sitrep(db: Path, *argv: str, stdin: Path | None = None) -> subprocess.Popen[str]:
    with stdin.open("rb") if stdin else open(os.devnull, "rb") as source:
        return subprocess.Popen(  # noqa: S603 (our own command line)
            [*SITREP, "--db", str(db), "--seeds", str(db.parent / "seeds"), *argv],
            stdin=source,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


def _finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = proc.communicate()
    return proc.returncode, out, err


def _read_result(proc: subprocess.Popen[str], asked: int) -> dict[str, int]:
    code, out, err = _finish(proc)
    statuses = [json.loads(line)["status"] for line in out.splitlines()]
    return {
        "asked": asked,
        "answered_lines": len(statuses),
        "error_lines": statuses.count("error"),
        "exit": code,
        "tracebacks": err.count("Traceback"),
    }


def _revisions(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM revisions").fetchone()[0])
    finally:
        conn.close()


def held_lock(db: Path, fact_id: str, questions: Questions, hold: float) -> dict[str, Any]:
    """Phase 1: readers and one writer while another process holds the write lock.

    A fact is changed first, so that the readers' term index is behind: catching it up is
    a write, which readers must put off rather than wait for.
    """
    store = FactStore(open_db(db))
    try:
        spare = store.facts()[-1].id
        store.add_key(spare, "contention spare key", actor="bench")
    finally:
        store.db.close()
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    started = time.perf_counter()
    try:
        readers = [_sitrep(db, "ask", "--json", "-", stdin=questions.path) for _ in range(2)]
        writer = _sitrep(db, "revert", fact_id, "1")
        reads = [_read_result(r, questions.count) for r in readers]
        read_s = time.perf_counter() - started
        code, _, err = _finish(writer)
        time.sleep(max(0.0, hold - (time.perf_counter() - started)))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    return {
        "hold_s": hold,
        "readers": reads,
        "readers_done_s": round(read_s, 2),
        "writer_exit": code,
        "writer_stderr": err.strip(),
        "writer_tracebacks": err.count("Traceback"),
    }


def writers(db: Path, owned: list[str], edits: int, questions: Questions) -> dict[str, Any]:
    """Phase 2: every writer reverts its own fact ``edits`` times; readers ask meanwhile."""
    before = _revisions(db)
    readers = [_sitrep(db, "ask", "--json", "-", stdin=questions.path) for _ in range(2)]
    failures = tracebacks = 0
    started = time.perf_counter()
    for round_ in range(edits):
        procs = [_sitrep(db, "revert", fact_id, str(1 + round_ % 2)) for fact_id in owned]
        for proc in procs:
            code, _, err = _finish(proc)
            failures += code != 0
            tracebacks += err.count("Traceback")
    write_s = time.perf_counter() - started
    reads = [_read_result(r, questions.count) for r in readers]
    recorded = _revisions(db) - before
    return {
        "writers": len(owned),
        "writes": len(owned) * edits,
        "write_failures": failures,
        "write_tracebacks": tracebacks,
        "revisions_recorded": recorded,
        "lost_revisions": len(owned) * edits - recorded,
        "write_s": round(write_s, 1),
        "readers": reads,
    }


def run(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run both phases on a fresh store; the result with an ``ok`` verdict."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writers", type=int, default=20)
    parser.add_argument("--facts", type=int, default=2000)
    parser.add_argument("--edits", type=int, default=12, help="writes per writer")
    parser.add_argument("--hold", type=float, default=8.0, help="seconds the lock is held")
    parser.add_argument("--questions", type=int, default=2000, help="lines per reader")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "contention.db"
        owned = _build(db, args.facts, args.writers)
        conn = sqlite3.connect(db)
        titles = [str(t) for (t,) in conn.execute("SELECT title FROM facts LIMIT ?", (50,))]
        conn.close()
        lines = (titles * (args.questions // len(titles) + 1))[: args.questions]
        questions = Questions(Path(tmp) / "questions.txt", len(lines))
        questions.path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        _finish(_sitrep(db, "ask", "warm the index"))
        phase1 = held_lock(db, owned[0], questions, args.hold)
        phase2 = writers(db, owned, args.edits, questions)
    every_read = [*phase1["readers"], *phase2["readers"]]
    ok = (
        all(r["answered_lines"] == r["asked"] and r["error_lines"] == 0 for r in every_read)
        and all(r["tracebacks"] == 0 and r["exit"] == 0 for r in every_read)
        and phase1["writer_exit"] == 1
        and "busy" in phase1["writer_stderr"]
        and phase1["writer_tracebacks"] == 0
        and phase2["write_failures"] == 0
        and phase2["write_tracebacks"] == 0
        and phase2["lost_revisions"] == 0
    )
    return {"facts": args.facts, "held_lock": phase1, "writers": phase2, "ok": ok}


def main(argv: Sequence[str] | None = None) -> int:
    """Print the result as JSON; exit 1 unless every check held."""
    result = run(argv)
    print(json.dumps(result, indent=2))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
