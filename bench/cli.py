"""``python -m bench``: build (or reuse) each store, measure ours and the baselines, report.

For each size, in this order: the store is built into the cache (in a fresh process) unless
a cached copy exists; ours is measured in a fresh process (start-up, first answer, per-query
latency, peak RSS); ``sitrep ask --json -`` answers the same queries (throughput); for the
seed store, ``sitrep ask "who leads JNIM"`` runs five times cold; then the rapidfuzz and FTS5
baselines are measured, each in its own fresh process, on the same data and queries.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import sqlite3
import subprocess
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from . import passages, report
from .build import (
    CACHE,
    REPO,
    RESULTS,
    Built,
    Size,
    build_fts,
    file_bytes,
    load_built,
    parse_size,
)
from .generate import GENERATOR_VERSION
from .measure import cli_batch, cold_ask
from .progress import Progress
from .worker import spawn

DEFAULT_SIZES = ("seed", "1k", "10k", "100k")
FULL_SIZES = (*DEFAULT_SIZES, "1M")
DEFAULT_PASSAGE_SIZES = ("10k", "100k")
BENCH_VERSION = 1


def build_parser() -> argparse.ArgumentParser:
    """The options of ``python -m bench``."""
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description="Sitrep's benchmark: latency, start-up, memory and throughput of matching "
        "on the seed store and synthetic stores, against rapidfuzz and FTS5 baselines.",
    )
    p.add_argument(
        "--sizes",
        help=f"comma-separated sizes (seed, 1k, 10k, 100k, 1M or a number); "
        f"default {','.join(DEFAULT_SIZES)}",
    )
    p.add_argument("--full", action="store_true", help="add the 1M store (takes much longer)")
    p.add_argument(
        "--queries", type=int, default=300, metavar="N", help="queries per store (default 300)"
    )
    p.add_argument(
        "--out",
        type=Path,
        help="JSON results file (default bench/results/bench-<time>.json; the plot goes "
        "beside it as .png)",
    )
    p.add_argument(
        "--passes",
        type=int,
        default=3,
        metavar="P",
        help="times ours answers the query set; latency covers every answer (default 3)",
    )
    p.add_argument("--skip-baselines", action="store_true", help="measure ours only")
    p.add_argument("--seed", type=int, default=0, help="generator seed (default 0)")
    p.add_argument(
        "--build-method",
        choices=("auto", "sync", "bulk"),
        default="auto",
        help="how to fill synthetic stores: FactStore.sync, bench-only bulk insert, or auto "
        "(sync up to 10k facts; default)",
    )
    p.add_argument("--rebuild", action="store_true", help="ignore cached stores and rebuild")
    p.add_argument(
        "--budget",
        type=float,
        default=30.0,
        metavar="S",
        help="seconds of queries per baseline and size, after at least 10 (default 30)",
    )
    p.add_argument(
        "--seed-questions",
        type=Path,
        metavar="JSONL",
        help='extra questions for the seed store, one {"q": ...} object per line '
        "(e.g. the public question set)",
    )
    p.add_argument(
        "--passages",
        default=",".join(DEFAULT_PASSAGE_SIZES),
        metavar="SIZES",
        help="facts' worth of synthetic reports for the passages dimension, comma-separated, "
        f"or 'none' (default {','.join(DEFAULT_PASSAGE_SIZES)})",
    )
    p.add_argument("--no-cli", action="store_true", help="skip the `sitrep ask` subprocess runs")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    return p


def _sizes(args: argparse.Namespace) -> list[Size]:
    names = args.sizes.split(",") if args.sizes else list(DEFAULT_SIZES)
    if args.full and "1M" not in names:
        names.append("1M")
    return [parse_size(n) for n in names if n.strip()]


def _extra_questions(path: Path | None) -> list[str]:
    if path is None:
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            out.append(str(item["q"] if isinstance(item, dict) else item))
    return out


def environment() -> dict[str, Any]:
    """Where the numbers come from: machine, Python, library versions, git commit."""

    def version(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "-"

    def git(*cmd: str) -> str:
        try:
            done = subprocess.run(  # noqa: S603 - fixed git command
                ["git", *cmd],  # noqa: S607 - git from PATH, as a developer runs it
                cwd=REPO,
                capture_output=True,
                text=True,
                check=False,
            )
        except OSError:
            return ""
        return done.stdout.strip()

    cpus = os.cpu_count() or 0
    commit = git("rev-parse", "--short", "HEAD")
    dirty = bool(git("status", "--porcelain", "--", "knowledge", "bot", "seeds"))
    env = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": cpus,
        "sqlite": sqlite3.sqlite_version,
        "rapidfuzz": version("rapidfuzz"),
        "sqlite_utils": version("sqlite-utils"),
        "git_commit": commit,
        "core_dirty": dirty,
    }
    env["core_digest"] = code_digest()
    env["summary"] = (
        f"Python {env['python']}, {cpus} CPUs, SQLite {env['sqlite']}, rapidfuzz "
        f"{env['rapidfuzz']}, commit {commit}{' + local changes' if dirty else ''}"
    )
    return env


CODE_UNDER_TEST = ("knowledge/**/*.py", "bot/cli.py", "bot/paths.py", "bot/__main__.py")


def code_digest() -> str:
    """A digest of the code under test (the core and the CLI), to notice edits during a run."""
    h = hashlib.blake2b(digest_size=8)
    for path in sorted(p for pattern in CODE_UNDER_TEST for p in REPO.glob(pattern)):
        h.update(str(path.relative_to(REPO)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def _ensure_built(
    size: Size, args: argparse.Namespace, extra: list[str], progress: Progress
) -> Built:
    built = None if args.rebuild else load_built(size, args.seed, extra=extra)
    if built is not None:
        progress.step(f"{size.name}: using the cached store ({built.meta.get('method')})")
        return Built(built.size, built.directory, {**built.meta, "cached": True})
    progress.step(f"{size.name}: building the store")
    meta = spawn(
        "build",
        {
            "size": size.name if not size.facts else str(size.facts),
            "seed": args.seed,
            "method": args.build_method,
            "extra_questions": extra,
            "label": size.name,
            "quiet": args.quiet,
        },
    )
    built = load_built(size, args.seed, extra=extra)
    if built is None:
        raise RuntimeError(f"building {size.name} left no store behind")
    return Built(built.size, built.directory, {**meta, "cached": False})


def _ensure_fts(built: Built, progress: Progress) -> dict[str, Any]:
    meta = built.meta
    if built.fts_db.exists() and "fts_build_s" in meta:
        return {"fts_build_s": meta["fts_build_s"], "fts_db_bytes": file_bytes(built.fts_db)}
    progress.step(f"{built.size.name}: building the FTS5 baseline table")
    fts = build_fts(built.db, built.fts_db)
    stored = json.loads((built.directory / "meta.json").read_text(encoding="utf-8"))
    stored.update(fts)
    (built.directory / "meta.json").write_text(json.dumps(stored, indent=2), encoding="utf-8")
    return fts


def measure_size(
    size: Size, args: argparse.Namespace, extra: list[str], progress: Progress
) -> dict[str, Any]:
    """Everything measured for one size (see the module docs for the order)."""
    load_before = _load()
    built = _ensure_built(size, args, extra, progress)
    queries = built.queries(args.queries)
    entry: dict[str, Any] = {
        "size": size.name,
        "build": {**built.meta, "db_bytes": file_bytes(built.db)},
        "queries": {"n": len(queries), "kinds": dict(Counter(q.kind for q in queries))},
    }
    plain = [{"text": q.text, "kind": q.kind, "expect": q.expect} for q in queries]
    common = {"queries": plain, "quiet": args.quiet}
    work = built.fresh_work_db()
    ours_args = {"db": str(work), "glossary": str(built.glossary_path), "label": size.name}
    progress.step(f"{size.name}: ours, first start (builds the term index; fresh process)")
    entry["ours_cold"] = spawn("ours", {**ours_args, "queries": [], "quiet": args.quiet})
    entry["build"]["db_with_index_bytes"] = file_bytes(work)
    progress.step(
        f"{size.name}: ours, restart ({len(queries)} queries × {args.passes}; fresh process)"
    )
    entry["ours"] = spawn("ours", {**common, **ours_args, "passes": args.passes})
    if not args.no_cli:
        progress.step(f"{size.name}: sitrep ask --json - ({len(queries)} queries)")
        entry["cli"] = cli_batch(work, built.seeds_dir, queries, progress=progress.update)
        if size.is_seed:
            progress.step(f"{size.name}: cold `sitrep ask` ×5")
            entry["cold_ask"] = cold_ask(work, built.seeds_dir)
    if not args.skip_baselines:
        progress.step(f"{size.name}: rapidfuzz baseline (≤ {args.budget:g} s of queries)")
        entry["rapidfuzz"] = spawn(
            "rapidfuzz", {**common, "db": str(built.db), "budget_s": args.budget}
        )
        entry["build"].update(_ensure_fts(built, progress))
        progress.step(f"{size.name}: FTS5 baseline")
        entry["fts5"] = spawn("fts", {**common, "db": str(built.fts_db), "budget_s": args.budget})
    entry["ratios"] = report.ratios(entry)
    entry["load_avg"] = {"before": load_before, "after": _load()}
    return entry


def measure_passages(size: Size, args: argparse.Namespace, progress: Progress) -> dict[str, Any]:
    """The passages dimension for one size: build (or reuse) the store, then ask."""
    directory = passages.cache_dir(size, args.seed)
    meta_path = directory / "meta.json"
    if meta_path.exists() and not args.rebuild:
        progress.step(f"passages {size.name}: using the cached store")
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    else:
        progress.step(f"passages {size.name}: ingesting the reports")
        meta = spawn(
            "passages-build",
            {"size": size.name, "seed": args.seed, "label": f"passages {size.name}",
             "quiet": args.quiet},
        )  # fmt: skip
    passages.ensure_answers(directory)
    progress.step(f"passages {size.name}: asking ({args.queries} queries; fresh process)")
    ours = spawn(
        "passages-ours",
        {"directory": str(directory), "queries": args.queries, "passes": args.passes,
         "quiet": args.quiet},
    )  # fmt: skip
    return {"size": size.name, "build": meta, "ours": ours}


def _passage_sizes(args: argparse.Namespace) -> list[Size]:
    if args.passages.strip().lower() == "none":
        return []
    return [parse_size(n) for n in args.passages.split(",") if n.strip()]


def _load() -> float | None:
    """The 1-minute load average: above the CPU count, something else competed for the CPUs."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def run(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the benchmark and return the results (also written and printed by :func:`main`)."""
    args = build_parser().parse_args(argv)
    if args.queries < 1 or args.passes < 1:
        raise SystemExit("--queries and --passes must be at least 1")
    progress = Progress(quiet=args.quiet)
    started = time.perf_counter()
    extra = _extra_questions(args.seed_questions)
    results: dict[str, Any] = {
        "bench_version": BENCH_VERSION,
        "generator_version": GENERATOR_VERSION,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "environment": environment(),
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "sizes": [],
    }
    for size in _sizes(args):
        results["sizes"].append(measure_size(size, args, extra, progress))
    results["passages"] = [measure_passages(s, args, progress) for s in _passage_sizes(args)]
    results["environment"]["core_changed_during_run"] = (
        code_digest() != results["environment"]["core_digest"]
    )
    results["targets"] = report.verdicts(results["sizes"])
    results["duration_s"] = time.perf_counter() - started
    return results


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m bench``: run, print the report, write JSON (and a plot)."""
    results = run(argv)
    args = build_parser().parse_args(argv)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    out: Path = args.out or RESULTS / f"bench-{stamp}.json"
    plot_path = report.plot(results, out.with_suffix(".png"))
    results["plot"] = str(plot_path) if plot_path else None
    report.write_json(results, out)
    print(report.render(results))
    print(f"\nresults: {out}")
    print(f"plot: {plot_path}" if plot_path else "plot: skipped (matplotlib is not installed)")
    print(f"cache: {CACHE}")
    return 0
