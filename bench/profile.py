"""Where the time and memory go: ``python -m bench.profile SIZE [--queries N] [--top K]``.

Uses the cached store of SIZE (``python -m bench`` builds it; this builds it too if missing),
on a fresh copy, and prints for ours:

* the first start (the desk builds its term index) and a restart (it reads it) under
  cProfile, top functions by cumulative and by own time;
* RSS after each step and, with ``--memory``, the most numerous objects and the deep size of
  each of the matcher's attributes;
* per-kind latency and the slowest queries (no profiler), the same again after
  ``gc.freeze()`` with the cost of one full collection, and the query set under cProfile.

cProfile roughly doubles Python-heavy times: read its numbers as shares, not as latencies.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .build import Built, build, load_built, parse_size
from .measure import WARMUP_QUERY, current_rss_mb, latency_stats, percentile


def _stats(profile: cProfile.Profile, sort: str, top: int) -> str:
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.strip_dirs().sort_stats(sort).print_stats(top)
    lines = out.getvalue().splitlines()
    start = next((i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls")), 0)
    return "\n".join(line for line in lines[start:] if line.strip())


def _profiled(fn: Callable[[], Any]) -> tuple[Any, cProfile.Profile, float]:
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    try:
        result = fn()
    finally:
        profile.disable()
    return result, profile, time.perf_counter() - started


def deep_size(obj: object, seen: set[int] | None = None) -> int:
    """Bytes held by ``obj`` and everything it references (each object counted once)."""
    seen = set() if seen is None else seen
    total = 0
    stack = [obj]
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        total += sys.getsizeof(item)
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            stack.extend(item)
        elif hasattr(item, "__slots__"):
            stack.extend(getattr(item, s) for s in item.__slots__ if hasattr(item, s))
        elif hasattr(item, "__dict__"):
            stack.append(vars(item))
    return total


def _type_counts(top: int) -> list[tuple[str, int]]:
    counts = Counter(type(o).__name__ for o in gc.get_objects())
    return counts.most_common(top)


def _desk(built: Built, db: Path) -> Any:
    from knowledge.curation.sources import load_glossary
    from knowledge.desk import Desk
    from knowledge.store.db import open_db
    from knowledge.store.facts import FactStore

    return Desk(FactStore(open_db(db)), load_glossary(built.glossary_path))


def profile_size(
    built: Built, n_queries: int, top: int, *, memory: bool, startup: bool = True
) -> None:
    """Print the start-up, query and memory profiles of ours on one built store.

    Works on a fresh copy of the store (``work.db``): the first start builds the desk's term
    index, the restart reads it, as in ``python -m bench``.
    """
    print(f"== {built.size.name}: {built.meta.get('facts')} facts, {built.db}")
    work = built.fresh_work_db()
    rss0 = current_rss_mb()

    first = _desk(built, work)
    if startup:
        _, p_first, first_s = _profiled(lambda: first.matcher)
        print(f"\n-- first start (builds the term index): {first_s:.2f} s under cProfile")
        print(_stats(p_first, "cumulative", top))
        print("\n-- first start, by own time")
        print(_stats(p_first, "tottime", top))
    else:
        t0 = time.perf_counter()
        _ = first.matcher
        print(f"\n-- first start (builds the term index): {time.perf_counter() - t0:.2f} s")
    rss1 = current_rss_mb()
    first.close()
    gc.collect()

    desk = _desk(built, work)
    matcher, p_restart, restart_s = _profiled(lambda: desk.matcher)
    rss2 = current_rss_mb()
    print(f"\n-- restart (index present): {restart_s:.2f} s under cProfile, by cumulative time")
    print(_stats(p_restart, "cumulative", top))
    t0 = time.perf_counter()
    desk.ask(WARMUP_QUERY, log=False)
    warm_s = time.perf_counter() - t0
    rss3 = current_rss_mb()
    print(
        f"\n-- RSS: start {rss0:.0f} MB, after the first start {rss1:.0f} MB, after the "
        f"restart {rss2:.0f} MB, after the first (typo) answer {rss3:.0f} MB ({warm_s:.2f} s)"
    )
    if memory:
        print("\n-- most numerous objects after the restart")
        for name, count in _type_counts(12):
            print(f"{count:>12,}  {name}")
        print("\n-- deep size of the matcher's attributes (shared objects counted once, in order)")
        seen: set[int] = set()
        names = sorted(vars(matcher)) if hasattr(matcher, "__dict__") else []
        names += [n for n in getattr(type(matcher), "__slots__", ()) if hasattr(matcher, n)]
        for name in names:
            print(f"{deep_size(getattr(matcher, name), seen) / 1e6:>10.1f} MB  {name}")

    queries = built.queries(n_queries)
    by_kind: dict[str, list[float]] = defaultdict(list)
    timed = []
    collections_before = sum(g["collections"] for g in gc.get_stats())
    for q in queries:
        t0 = time.perf_counter()
        answer = desk.ask(q.text, log=False)
        elapsed = time.perf_counter() - t0
        by_kind[q.kind].append(elapsed)
        timed.append((elapsed, q, answer.status))
    collections = sum(g["collections"] for g in gc.get_stats()) - collections_before
    print(f"\n-- latency by kind ({len(queries)} queries, no profiler)")
    print(f"{'kind':<11}{'n':>5}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    everything = [t for t, _, _ in timed]
    for kind, times in [*sorted(by_kind.items()), ("all", everything)]:
        st = latency_stats(times)
        print(
            f"{kind:<11}{st['n']:>5}{st['median_ms']:>9.2f}{st['p99_ms']:>9.2f}{st['max_ms']:>9.1f}"
        )
    timed.sort(key=lambda x: -x[0])
    print(f"\n-- slowest queries ({collections} garbage collections ran meanwhile)")
    for seconds, q, status in timed[:10]:
        print(f"{seconds * 1000:>8.1f} ms  {q.kind:<10} {status:<9} {q.text!r}")

    # Cyclic GC: a full collection walks every live object.
    gc.collect()
    gc.freeze()
    frozen = []
    for q in queries:
        t0 = time.perf_counter()
        desk.ask(q.text, log=False)
        frozen.append(time.perf_counter() - t0)
    gc.unfreeze()
    f = latency_stats(frozen)
    t0 = time.perf_counter()
    gc.collect()
    full_gc_ms = (time.perf_counter() - t0) * 1000
    print(
        f"\n-- again after gc.freeze(): p50 {f['median_ms']:.2f} ms, p99 {f['p99_ms']:.2f} ms, "
        f"max {f['max_ms']:.1f} ms; one full gc.collect() takes {full_gc_ms:.0f} ms "
        f"({len(gc.get_objects()):,} tracked objects)"
    )

    _, p_queries, queries_s = _profiled(lambda: [desk.ask(q.text, log=False) for q in queries])
    print(f"\n-- {len(queries)} queries: {queries_s:.2f} s under cProfile, by cumulative time")
    print(_stats(p_queries, "cumulative", top))
    print("\n-- queries, by own time")
    print(_stats(p_queries, "tottime", top))
    desk.close()
    print(f"\n(p99 without the profiler: {percentile(sorted(everything), 0.99) * 1000:.2f} ms)")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m bench.profile``."""
    p = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    p.add_argument("size", help="seed, 1k, 10k, 100k, 1M or a number")
    p.add_argument("--queries", type=int, default=300, help="queries to profile (default 300)")
    p.add_argument("--top", type=int, default=20, help="functions per listing (default 20)")
    p.add_argument("--seed", type=int, default=0, help="generator seed (default 0)")
    p.add_argument("--memory", action="store_true", help="also count objects and deep sizes")
    p.add_argument(
        "--no-startup-profile",
        action="store_true",
        help="build the term index without cProfile (it takes ~2.5× as long under it)",
    )
    args = p.parse_args(argv)
    size = parse_size(args.size)
    built = load_built(size, args.seed) or build(size, args.seed)
    profile_size(
        built, args.queries, args.top, memory=args.memory, startup=not args.no_startup_profile
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
