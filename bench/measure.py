"""The measurements: each function measures one engine on one store in the calling process.

``python -m bench`` runs each of ``measure_ours``, ``measure_rapidfuzz`` and ``measure_fts``
in a fresh subprocess (:mod:`bench.worker`), so that start-up and peak RSS are that engine's
alone; ``cli_batch`` and ``cold_ask`` start ``sitrep`` themselves.

Every function returns plain JSON-ready data. Times are wall-clock (``time.perf_counter``);
latencies are per query, in milliseconds.
"""

from __future__ import annotations

import gc
import json
import math
import os
import re
import resource
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .generate import Query

Progress = Callable[[str], None]

WARMUP_QUERY = "whoo leadz the blokade"
"""The first question after start-up: its typos make the matcher load its English word list,
so "first answer" includes every lazy cost, and the timed queries see none of them."""


def _quiet(_: str) -> None:
    return None


# --- memory and statistics -------------------------------------------------------------------


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MiB (``getrusage`` ``ru_maxrss``)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def current_rss_mb() -> float | None:
    """This process's resident set size now, in MiB (Linux only; None elsewhere)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of already sorted values (``fraction`` in 0–1)."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def latency_stats(seconds: Sequence[float]) -> dict[str, float | int]:
    """n, mean, median, p90, p99 and max of per-query times, in milliseconds."""
    ms = sorted(s * 1000 for s in seconds)
    return {
        "n": len(ms),
        "mean_ms": statistics.fmean(ms) if ms else math.nan,
        "median_ms": statistics.median(ms) if ms else math.nan,
        "p90_ms": percentile(ms, 0.90),
        "p99_ms": percentile(ms, 0.99),
        "max_ms": ms[-1] if ms else math.nan,
    }


class _Verdicts:
    """Tallies how an engine's top answers relate to what each query was about."""

    def __init__(self) -> None:
        self.known = 0
        self.hit = 0
        self.unknown = 0
        self.abstained = 0

        self.by_kind: dict[str, list[int]] = {}

    def add(self, query: Query, answered_id: str | None) -> None:
        if query.kind == "extra":
            return
        tally = self.by_kind.setdefault(query.kind, [0, 0])
        tally[0] += 1
        if query.expect is None:
            self.unknown += 1
            self.abstained += answered_id is None
            tally[1] += answered_id is None
        else:
            self.known += 1
            self.hit += answered_id == query.expect
            tally[1] += answered_id == query.expect

    def summary(self) -> dict[str, Any]:
        return {
            "known": self.known,
            "hit_pct": 100 * self.hit / self.known if self.known else math.nan,
            "unknown": self.unknown,
            "abstain_pct": 100 * self.abstained / self.unknown if self.unknown else math.nan,
            # Per kind: the share answered with the expected fact (abstained, for unknowns).
            "right_pct_by_kind": {k: 100 * v[1] / v[0] for k, v in sorted(self.by_kind.items())},
        }


def _timed_loop(
    queries: Sequence[Query],
    ask: Callable[[str], str | None],
    *,
    budget_s: float | None,
    min_queries: int,
    label: str,
    progress: Progress,
    passes: int = 1,
) -> dict[str, Any]:
    """Ask every query (or as many as fit in ``budget_s``, at least ``min_queries``).

    With ``passes`` > 1 the whole set is asked that many times and the latency figures cover
    every answer (a p99 over 300 answers is just their third-slowest); verdicts count the
    first pass only.
    """
    times: list[float] = []
    by_kind: dict[str, list[float]] = {}
    verdicts = _Verdicts()
    gc_before = [g["collections"] for g in gc.get_stats()]
    started = time.perf_counter()
    total = len(queries) * passes
    step = max(1, total // 10)
    done = 0
    for number in range(passes):
        for query in queries:
            if (
                budget_s is not None
                and done >= min_queries
                and time.perf_counter() - started > budget_s
            ):
                break
            t0 = time.perf_counter()
            answered = ask(query.text)
            elapsed = time.perf_counter() - t0
            times.append(elapsed)
            by_kind.setdefault(query.kind, []).append(elapsed)
            if number == 0:
                verdicts.add(query, answered)
            done += 1
            if done % step == 0:
                progress(f"{label}: {done}/{total} answers")
    gc_after = [g["collections"] for g in gc.get_stats()]
    return {
        "latency": latency_stats(times),
        "latency_by_kind": {kind: latency_stats(t) for kind, t in sorted(by_kind.items())},
        "gc_collections": [a - b for a, b in zip(gc_after, gc_before, strict=True)],
        "of_requested": len(queries),
        "passes": passes,
        "budget_s": budget_s,
        **verdicts.summary(),
    }


# --- ours ------------------------------------------------------------------------------------


def measure_ours(
    db: Path,
    glossary_path: Path,
    queries: Sequence[Query],
    *,
    budget_s: float | None = None,
    min_queries: int = 20,
    passes: int = 1,
    progress: Progress = _quiet,
) -> dict[str, Any]:
    """Start-up and first answer as the bot and the CLI do them, per-query latency, peak RSS.

    Start-up is what a :class:`~knowledge.desk.Desk` does before its first answer, each step
    timed: ``FactStore(open_db(db))``, ``load_glossary``, ``Desk(store, glossary)`` and its
    first ``desk.matcher`` (which brings the store's term index up to date, building it
    whole if the database has none yet, then opens a matcher over it). The first answer is
    :data:`WARMUP_QUERY` (its typos load the English word list); then every query is timed
    through ``desk.ask(query, log=False)`` (``passes`` times over), after
    :func:`bot.heap.settle_heap` as the running bot does.

    Whether the term index had to be built shows in ``matcher_s``: the caller runs this once
    on a database without an index ("cold") and once more on the same file ("warm").
    """
    rss_start = current_rss_mb()
    t0 = time.perf_counter()
    from bot.heap import settle_heap
    from knowledge.curation.sources import load_glossary
    from knowledge.desk import Desk
    from knowledge.store.db import open_db
    from knowledge.store.facts import FactStore

    import_s = time.perf_counter() - t0
    bytes_before = _db_bytes(db)
    t0 = time.perf_counter()
    store = FactStore(open_db(db))
    t1 = time.perf_counter()
    glossary = load_glossary(glossary_path)
    t2 = time.perf_counter()
    desk = Desk(store, glossary)
    t3 = time.perf_counter()
    matcher = desk.matcher
    t4 = time.perf_counter()
    rss_matcher = current_rss_mb()
    desk.ask(WARMUP_QUERY, log=False)
    t5 = time.perf_counter()
    rss_first = current_rss_mb()
    # The timed questions are asked as the bot asks them, after start-up (bot.runner).
    settle_heap()

    def ask(text: str) -> str | None:
        answer = desk.ask(text, log=False)
        return answer.fact.id if answer.fact is not None else None

    loop = _timed_loop(
        queries,
        ask,
        budget_s=budget_s,
        min_queries=min_queries,
        label="ours",
        progress=progress,
        passes=passes,
    )
    store.db.close()
    return {
        "engine": "ours",
        "facts": len(matcher),
        "import_s": import_s,
        "open_s": t1 - t0,
        "glossary_s": t2 - t1,
        "desk_s": t3 - t2,
        "matcher_s": t4 - t3,
        "startup_s": t4 - t0,
        "first_query_s": t5 - t4,
        "first_answer_s": t5 - t0,
        "db_bytes_before": bytes_before,
        "db_bytes_after": _db_bytes(db),
        "rss_start_mb": rss_start,
        "rss_after_matcher_mb": rss_matcher,
        "rss_after_first_answer_mb": rss_first,
        "peak_rss_mb": peak_rss_mb(),
        **loop,
    }


def _db_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


# --- baselines -------------------------------------------------------------------------------


def measure_rapidfuzz(
    db: Path,
    queries: Sequence[Query],
    *,
    budget_s: float | None = 30.0,
    min_queries: int = 10,
    progress: Progress = _quiet,
) -> dict[str, Any]:
    """Baseline: ``process.extractOne(query, every title and key, scorer=fuzz.WRatio,
    processor=utils.default_process)``; the answer is the fact owning the best string.

    Start-up reads every active fact's title and keys from the store's database. It never
    abstains. Slow at scale, so it stops after ``budget_s`` (having asked at least
    ``min_queries``); ``latency.n`` says how many were asked.
    """
    rss_start = current_rss_mb()
    t0 = time.perf_counter()
    from rapidfuzz import fuzz, process, utils

    import_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    conn = sqlite3.connect(db)
    rows = conn.execute(
        "SELECT id, title FROM facts WHERE status = 'active'"
        " UNION ALL SELECT fact_id, key FROM fact_keys WHERE active = 1"
    ).fetchall()
    conn.close()
    owners: list[str] = [str(row[0]) for row in rows]
    choices: list[str] = [str(row[1]) for row in rows]
    del rows
    startup_s = time.perf_counter() - t0

    def ask(text: str) -> str | None:
        best = process.extractOne(
            text, choices, scorer=fuzz.WRatio, processor=utils.default_process
        )
        return None if best is None else owners[best[2]]

    t1 = time.perf_counter()
    ask(WARMUP_QUERY)
    first_query_s = time.perf_counter() - t1
    loop = _timed_loop(
        queries, ask, budget_s=budget_s, min_queries=min_queries, label="rapidfuzz",
        progress=progress,
    )  # fmt: skip
    return {
        "engine": "rapidfuzz",
        "choices": len(choices),
        "import_s": import_s,
        "startup_s": startup_s,
        "first_query_s": first_query_s,
        "first_answer_s": startup_s + first_query_s,
        "rss_start_mb": rss_start,
        "peak_rss_mb": peak_rss_mb(),
        **loop,
    }


_FTS_TOKEN_RE = re.compile(r"\w+")
MAX_FTS_TOKENS = 24


def fts_match(text: str) -> str:
    """User text as a safe FTS5 query: NFKC, casefolded word tokens, each double-quoted, ORed.

    Empty when the text has no word characters (the caller then skips the query).
    """
    tokens = _FTS_TOKEN_RE.findall(unicodedata.normalize("NFKC", text).casefold())
    quoted = ['"' + token.replace('"', '""') + '"' for token in tokens[:MAX_FTS_TOKENS]]
    return " OR ".join(quoted)


FTS_QUERY = "SELECT fact_id FROM facts_fts WHERE facts_fts MATCH ? ORDER BY rank LIMIT 1"


def measure_fts(
    fts_db: Path,
    queries: Sequence[Query],
    *,
    budget_s: float | None = 30.0,
    min_queries: int = 10,
    progress: Progress = _quiet,
) -> dict[str, Any]:
    """Baseline: a bare SQLite FTS5 bm25 query (``ORDER BY rank``) on a bench-only table.

    The table (see :func:`bench.build.build_fts`) holds each fact's title, keys, tags,
    answer and quotes. Start-up is opening the database. A query with no hit is a no_match.
    """
    rss_start = current_rss_mb()
    t0 = time.perf_counter()
    conn = sqlite3.connect(fts_db)
    conn.execute("SELECT count(*) FROM facts_fts WHERE facts_fts MATCH '\"x\"'").fetchone()
    startup_s = time.perf_counter() - t0

    def ask(text: str) -> str | None:
        match = fts_match(text)
        if not match:
            return None
        row = conn.execute(FTS_QUERY, (match,)).fetchone()
        return None if row is None else str(row[0])

    t1 = time.perf_counter()
    ask(WARMUP_QUERY)
    first_query_s = time.perf_counter() - t1
    loop = _timed_loop(
        queries, ask, budget_s=budget_s, min_queries=min_queries, label="fts5", progress=progress
    )
    conn.close()
    return {
        "engine": "fts5",
        "startup_s": startup_s,
        "first_query_s": first_query_s,
        "first_answer_s": startup_s + first_query_s,
        "rss_start_mb": rss_start,
        "peak_rss_mb": peak_rss_mb(),
        **loop,
    }


# --- the sitrep command ----------------------------------------------------------------------


def sitrep_command() -> list[str]:
    """How to run ``sitrep``: the venv's console script, else ``python -m bot``."""
    script = Path(sys.executable).with_name("sitrep")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "bot"]


def sitrep_env(db: Path, seeds_dir: Path) -> dict[str, str]:
    """The environment for a ``sitrep`` run against ``db`` with ``seeds_dir``'s glossary."""
    env = dict(os.environ)
    env["SITREP_DB"] = str(db)
    env["SITREP_SEEDS"] = str(seeds_dir)
    return env


def cli_batch(
    db: Path,
    seeds_dir: Path,
    queries: Sequence[Query],
    *,
    timeout_s: float = 1800.0,
    progress: Progress = _quiet,
) -> dict[str, Any]:
    """Throughput of ``sitrep ask --json -``: every query on stdin, one JSON line back each.

    ``first_line_s`` is from starting the process to its first answer (start-up included);
    ``steady_qps`` counts the answers after the first over the time they took, ``total_qps``
    all answers over the whole run.
    """
    command = [*sitrep_command(), "ask", "--json", "-"]
    payload = "".join(q.text.replace("\n", " ") + "\n" for q in queries).encode()
    started = time.perf_counter()
    proc = subprocess.Popen(  # noqa: S603 - our own command, no shell
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=sitrep_env(db, seeds_dir),
    )
    assert proc.stdin is not None
    assert proc.stdout is not None
    assert proc.stderr is not None

    def feed() -> None:
        assert proc.stdin is not None
        try:
            proc.stdin.write(payload)
            proc.stdin.close()
        except BrokenPipeError:
            pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    stamps: list[float] = []
    statuses: dict[str, int] = {}
    step = max(1, len(queries) // 10)
    for line in proc.stdout:
        stamps.append(time.perf_counter())
        status = str(json.loads(line).get("status"))
        statuses[status] = statuses.get(status, 0) + 1
        if len(stamps) % step == 0:
            progress(f"sitrep ask --json -: {len(stamps)}/{len(queries)} answers")
    error = proc.stderr.read().decode("utf-8", "replace")
    code = proc.wait(timeout=timeout_s)
    writer.join(timeout=5)
    ended = time.perf_counter()
    n = len(stamps)
    steady = (n - 1) / (stamps[-1] - stamps[0]) if n > 1 and stamps[-1] > stamps[0] else math.nan
    return {
        "command": " ".join(command[-4:]),
        "exit_code": code,
        "stderr": error[-2000:],
        "queries": len(queries),
        "answers": n,
        "statuses": statuses,
        "first_line_s": stamps[0] - started if stamps else math.nan,
        "total_s": ended - started,
        "steady_qps": steady,
        "total_qps": n / (ended - started) if n else math.nan,
    }


def cold_ask(
    db: Path, seeds_dir: Path, query: str = "who leads JNIM", *, runs: int = 5
) -> dict[str, Any]:
    """Wall time of ``sitrep ask QUERY`` in a fresh process, ``runs`` times; the median counts."""
    command = [*sitrep_command(), "ask", query]
    env = sitrep_env(db, seeds_dir)
    times: list[float] = []
    codes: list[int] = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, check=False)  # noqa: S603
        times.append(time.perf_counter() - started)
        codes.append(done.returncode)
    return {
        "query": query,
        "runs_s": times,
        "median_s": statistics.median(times),
        "exit_codes": codes,
    }
