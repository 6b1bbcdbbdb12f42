"""Runs one measurement in a fresh process: ``python -m bench.worker TASK < ARGS.json``.

A fresh process per engine and size keeps start-up honest (nothing imported or cached in
advance) and makes ``ru_maxrss`` that engine's own peak. The result is printed as one JSON
line on stdout; progress goes to stderr. Arguments come as one JSON object on stdin (a query
set is too long for a command line).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from .progress import Progress

TASKS = ("build", "ours", "rapidfuzz", "fts", "passages-build", "passages-ours")


def run(task: str, args: dict[str, Any]) -> dict[str, Any]:
    """Run ``task`` in this process and return its result (see :mod:`bench.measure`)."""
    progress = Progress(prefix=f"{args.get('label', task)} ", quiet=bool(args.get("quiet")))
    if task == "build":
        from .build import build, parse_size

        built = build(
            parse_size(args["size"]),
            int(args["seed"]),
            method=str(args.get("method", "auto")),
            extra_seed_questions=args.get("extra_questions", ()),
            progress=progress.update,
        )
        from .measure import peak_rss_mb

        return {**built.meta, "build_peak_rss_mb": peak_rss_mb()}
    if task == "passages-build":
        from . import passages
        from .build import parse_size

        return passages.build(parse_size(args["size"]), int(args["seed"]), progress=progress.update)
    if task == "passages-ours":
        from . import passages

        return passages.measure(
            Path(args["directory"]), int(args["queries"]), int(args.get("passes", 1))
        )
    from .generate import Query

    queries = [Query(q["text"], q["kind"], q["expect"]) for q in args["queries"]]
    budget = args.get("budget_s")
    if task == "ours":
        from .measure import measure_ours

        return measure_ours(
            Path(args["db"]),
            Path(args["glossary"]),
            queries,
            budget_s=budget,
            passes=int(args.get("passes", 1)),
            progress=progress.update,
        )
    if task == "rapidfuzz":
        from .measure import measure_rapidfuzz

        return measure_rapidfuzz(
            Path(args["db"]), queries, budget_s=budget, progress=progress.update
        )
    if task == "fts":
        from .measure import measure_fts

        return measure_fts(Path(args["db"]), queries, budget_s=budget, progress=progress.update)
    raise ValueError(f"unknown task {task!r}; one of {', '.join(TASKS)}")


def spawn(task: str, args: dict[str, Any], *, timeout_s: float = 3600.0) -> dict[str, Any]:
    """Run ``task`` in a fresh ``python -m bench.worker`` and return its JSON result."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and module, no shell
        [sys.executable, "-m", "bench.worker", task],
        input=json.dumps(args).encode(),
        stdout=subprocess.PIPE,
        stderr=None,  # progress shows on the terminal
        timeout=timeout_s,
        check=False,
        cwd=Path(__file__).resolve().parent.parent,
    )
    lines = done.stdout.decode("utf-8", "replace").strip().splitlines()
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"bench worker {task!r} failed with exit code {done.returncode}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    """Entry point: ``TASK`` with JSON arguments on stdin → one JSON line on stdout."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or argv[0] not in TASKS:
        print(f"usage: python -m bench.worker {{{','.join(TASKS)}}} < ARGS.json", file=sys.stderr)
        return 2
    result = run(argv[0], json.loads(sys.stdin.read()))
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
