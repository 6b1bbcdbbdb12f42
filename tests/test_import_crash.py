"""F4 crash test: `sitrep import` killed (SIGKILL) at random points, 20 times, leaves the old
fact set or the new one, never a mix, and a database that passes integrity_check."""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.paths import BUNDLED_SEEDS
from knowledge.curation.export import fact_to_toml
from knowledge.desk import load_seed_dir
from knowledge.models import Fact, Source
from knowledge.store.db import open_db
from knowledge.store.facts import FactStore

TRIALS = 20
GENERATED = 2000  # 660 KB of TOML; its transaction outgrows SQLite's page cache and
# spills into the WAL before it commits, so a kill can land in the middle of the write
CHANGED = 20  # seed facts the file also changes, so a mix would show in old facts too
QUOTE = "JNIM is led by Iyad ag-Ghali and Amadou Kouffa"

pytestmark = pytest.mark.slow


def generated(i: int) -> Fact:
    """A new fact citing the bundled brief."""
    return Fact(
        id=f"gen-{i:05d}",
        title=f"Generated fact {i}",
        answer=f"Generated answer number {i} about the situation.",
        as_of=date(2025, 11, 4),
        sources=(Source(quote=QUOTE, document="soufan-2025-11-04"),),
        keys=(f"generated key {i}", f"generated question {i}"),
        tags=("generated",),
    )


def signature(path: Path) -> tuple[Any, ...]:
    """What "a fact set" is here: every fact's content and state, key and revision counts."""
    conn = sqlite3.connect(path)  # opening recovers the WAL, as the next start of Sitrep would
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        facts = conn.execute("SELECT id, answer, status, rev FROM facts ORDER BY id").fetchall()
        keys = conn.execute("SELECT count(*) FROM fact_keys").fetchone()
        revisions = conn.execute("SELECT count(*) FROM revisions").fetchone()
        return (tuple(facts), keys, revisions)
    finally:
        conn.close()


def run_import(db: Path, file: Path) -> subprocess.Popen[bytes]:
    """`sitrep import FILE` against ``db`` in a child process."""
    command = [sys.executable, "-m", "bot", "--db", str(db), "--seeds", str(BUNDLED_SEEDS)]
    return subprocess.Popen(
        [*command, "import", str(file)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "SITREP_DB": str(db)},
    )


def killed_after(db: Path, file: Path, delay: float, *, in_write: bool) -> tuple[int | None, bool]:
    """Start an import, SIGKILL it after ``delay`` s: (its exit code or None if killed, whether
    it had started writing to the WAL by then).

    With ``in_write`` the delay counts from the moment the write-ahead log starts growing,
    so the kill lands inside the import's write transaction rather than before it.
    """
    wal = Path(f"{db}-wal")
    base = wal.stat().st_size if wal.exists() else 0
    child = run_import(db, file)
    if in_write:
        deadline = time.monotonic() + 10
        while child.poll() is None and time.monotonic() < deadline:
            if wal.exists() and wal.stat().st_size > base:
                break
            time.sleep(0.001)
    time.sleep(delay)
    writing = wal.exists() and wal.stat().st_size > base
    if child.poll() is None:
        child.send_signal(signal.SIGKILL)
    code = child.wait(10)
    return (None if code == -signal.SIGKILL else code), writing


def test_import_killed_at_random_points_leaves_old_or_new_set(tmp_path: Path) -> None:
    """20 imports SIGKILLed at random moments: each database holds the old or the new set."""
    template = tmp_path / "template.db"
    db = open_db(template)
    store = FactStore(db)
    load_seed_dir(store, BUNDLED_SEEDS, actor="seed")
    seeds = store.facts()
    changed = [replace(f, answer=f.answer + " (updated)") for f in seeds[:CHANGED]]
    file = tmp_path / "big.toml"
    file.write_text(fact_to_toml([*changed, *map(generated, range(GENERATED))]), "utf-8")
    db.close()
    old = signature(template)

    reference = tmp_path / "reference.db"
    shutil.copy(template, reference)
    started = time.monotonic()
    assert run_import(reference, file).wait(30) == 0
    duration = time.monotonic() - started
    new = signature(reference)
    assert new != old
    assert len(new[0]) == len(old[0]) + GENERATED

    rng = random.Random(20251120)  # reproducible choice of moments; timing still varies
    plans = [
        (i, rng.uniform(0.0, 0.06) if i % 2 else rng.uniform(0.0, duration), bool(i % 2))
        for i in range(TRIALS)
    ]

    def trial(plan: tuple[int, float, bool]) -> tuple[str, int | None, bool]:
        i, delay, in_write = plan
        target = tmp_path / f"trial-{i}.db"
        shutil.copy(template, target)
        code, writing = killed_after(target, file, delay, in_write=in_write)
        state = signature(target)
        assert state in (old, new), f"trial {i}: a mix of old and new (killed after {delay:.3f}s)"
        return ("new" if state == new else "old"), code, writing

    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 2)) as pool:
        outcomes = list(pool.map(trial, plans))
    assert all(code in (None, 0) for _, code, _ in outcomes)
    assert sum(code is None for _, code, _ in outcomes) >= TRIALS // 2, outcomes
    # The case that matters most: killed with half a transaction in the WAL, and it is undone.
    assert any(code is None and writing and state == "old" for state, code, writing in outcomes), (
        "no import was killed in the middle of its write transaction",
        outcomes,
    )

    # A database left by a killed mid-write import opens and takes writes as usual.
    survivor = next(
        tmp_path / f"trial-{i}.db"
        for i, (state, code, writing) in enumerate(outcomes)
        if code is None and writing and state == "old"
    )
    reopened = FactStore(open_db(survivor))
    assert reopened.retire(seeds[0].id, actor="cli:test").status == "retired"
    reopened.db.close()
    assert signature(survivor)[2] == (old[2][0] + 1,)
