"""Where the time and memory go: ``python -m bench.profile SIZE [--queries N] [--top K]``.

Uses the cached store of SIZE (``python -m bench`` builds it; this builds it too if missing)
and prints, for ours:

* start-up under cProfile: ``store.facts()`` and ``Matcher(...)``, top functions by own and
  by cumulative time;
* the query set under cProfile, and per-kind latency without the profiler, with the number of
  candidates each query scores (read from the matcher's internals when they are there);
* memory: RSS after each start-up step, the most numerous objects after ``store.facts()``,
  and the deep size of each of the matcher's attributes.

cProfile roughly doubles Python-heavy times: read its numbers as shares, not as latencies.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from .build import Built, build, load_built, parse_size
from .generate import Query
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


def _candidate_counts(matcher: Any, queries: Sequence[Query]) -> dict[str, list[int]]:
    """How many facts each query scores in the first pass, by kind (if the internals allow)."""
    from knowledge.text import MAX_QUERY_CHARS, MAX_QUERY_WORDS, words

    query_fn = getattr(matcher, "_query", None)
    candidates_fn = getattr(matcher, "_candidates", None)
    if query_fn is None or candidates_fn is None:
        return {}
    out: dict[str, list[int]] = defaultdict(list)
    for q in queries:
        folded = words(q.text[:MAX_QUERY_CHARS])[:MAX_QUERY_WORDS]
        try:
            out[q.kind].append(len(candidates_fn(query_fn(folded, loose=False))))
        except TypeError:  # the internals changed shape: skip this part
            return {}
    return out


def profile_size(
    built: Built, n_queries: int, top: int, *, memory: bool, startup: bool = True
) -> None:
    """Print the start-up, query and memory profiles of ours on one built store."""
    from knowledge.files import load_glossary
    from knowledge.matcher import Matcher
    from knowledge.store import FactStore, open_db

    print(f"== {built.size.name}: {built.meta.get('facts')} facts, {built.db}")
    rss0 = current_rss_mb()
    store = FactStore(open_db(built.db))
    facts, p_facts, facts_s = _profiled(store.facts)
    rss1 = current_rss_mb()
    if memory:
        print("\n-- most numerous objects after store.facts()")
        for name, count in _type_counts(12):
            print(f"{count:>12,}  {name}")
    glossary = load_glossary(built.glossary_path)
    print(f"\n-- store.facts(): {facts_s:.2f} s under cProfile, by own time")
    print(_stats(p_facts, "tottime", 8))
    if startup:
        matcher, p_matcher, matcher_s = _profiled(lambda: Matcher(facts, glossary))
        print(f"\n-- Matcher(...): {matcher_s:.2f} s under cProfile, by cumulative time")
        print(_stats(p_matcher, "cumulative", top))
        print("\n-- Matcher(...), by own time")
        print(_stats(p_matcher, "tottime", top))
    else:
        t0 = time.perf_counter()
        matcher = Matcher(facts, glossary)
        print(f"\n-- Matcher(...): {time.perf_counter() - t0:.2f} s (not profiled)")
    rss2 = current_rss_mb()

    t0 = time.perf_counter()
    matcher.ask(WARMUP_QUERY)
    warm_s = time.perf_counter() - t0
    rss3 = current_rss_mb()
    print(
        f"\n-- RSS: start {rss0:.0f} MB, after facts() {rss1:.0f} MB, after Matcher "
        f"{rss2:.0f} MB, after the first (typo) answer {rss3:.0f} MB ({warm_s:.2f} s)"
    )
    if memory:
        print("\n-- deep size of the matcher's attributes (shared objects counted once, in order)")
        seen: set[int] = set()
        sizes = [("facts (Fact objects)", deep_size(facts, seen))]
        for name in sorted(vars(matcher)) if hasattr(matcher, "__dict__") else ():
            sizes.append((name, deep_size(getattr(matcher, name), seen)))
        for name, size in sizes:
            print(f"{size / 1e6:>10.1f} MB  {name}")

    queries = built.queries(n_queries)
    by_kind: dict[str, list[float]] = defaultdict(list)
    for q in queries:
        t0 = time.perf_counter()
        matcher.ask(q.text)
        by_kind[q.kind].append(time.perf_counter() - t0)
    counts = _candidate_counts(matcher, queries)
    print(f"\n-- latency by kind ({len(queries)} queries, no profiler)")
    print(f"{'kind':<11}{'n':>5}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'cand p50':>10}{'max':>8}")
    everything = [t for times in by_kind.values() for t in times]
    for kind, times in [*sorted(by_kind.items()), ("all", everything)]:
        s = latency_stats(times)
        cands = sorted(
            counts.get(kind, []) if kind != "all" else [c for cs in counts.values() for c in cs]
        )
        c50 = f"{statistics.median(cands):.0f}" if cands else "-"
        cmax = f"{cands[-1]}" if cands else "-"
        print(
            f"{kind:<11}{s['n']:>5}{s['median_ms']:>9.2f}{s['p99_ms']:>9.2f}{s['max_ms']:>9.1f}"
            f"{c50:>10}{cmax:>8}"
        )
    timed = []
    collections_before = sum(g["collections"] for g in gc.get_stats())
    for q in queries:
        t0 = time.perf_counter()
        answer = matcher.ask(q.text)
        timed.append((time.perf_counter() - t0, q, answer.status))
    collections = sum(g["collections"] for g in gc.get_stats()) - collections_before
    timed.sort(key=lambda x: -x[0])
    print("\n-- slowest queries (second pass)")
    for seconds, q, status in timed[:10]:
        print(f"{seconds * 1000:>8.1f} ms  {q.kind:<10} {status:<9} {q.text!r}")
    p99 = percentile(sorted(t for t, _, _ in timed), 0.99) * 1000
    print(f"(second pass: p99 {p99:.2f} ms; {collections} garbage collections ran meanwhile)")

    # Cyclic GC: a full collection walks every live object, and a large store is millions.
    gc.collect()
    gc.freeze()
    frozen = []
    for q in queries:
        t0 = time.perf_counter()
        matcher.ask(q.text)
        frozen.append(time.perf_counter() - t0)
    gc.unfreeze()
    f = latency_stats(frozen)
    t0 = time.perf_counter()
    gc.collect()
    full_gc_ms = (time.perf_counter() - t0) * 1000
    print(
        f"\n-- after gc.freeze(): p50 {f['median_ms']:.2f} ms, p99 {f['p99_ms']:.2f} ms, "
        f"max {f['max_ms']:.1f} ms; one full gc.collect() over the live objects takes "
        f"{full_gc_ms:.0f} ms ({len(gc.get_objects()):,} tracked objects)"
    )

    _, p_queries, queries_s = _profiled(lambda: [matcher.ask(q.text) for q in queries])
    print(f"\n-- {len(queries)} queries: {queries_s:.2f} s under cProfile, by cumulative time")
    print(_stats(p_queries, "cumulative", top))
    print("\n-- queries, by own time")
    print(_stats(p_queries, "tottime", top))
    store.db.close()


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
        help="build the Matcher without cProfile (it takes ~2.5× as long under it)",
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
