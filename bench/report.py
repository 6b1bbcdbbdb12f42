"""Turning measurements into the terminal table, the targets verdicts, the JSON file and a plot."""

from __future__ import annotations

import importlib
import importlib.util
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENGINES = ("ours", "rapidfuzz", "fts5")


@dataclass(frozen=True, slots=True)
class Target:
    """One of issue 6's targets: a figure, where to read it, and its limit."""

    name: str
    size: str
    engine: str
    field: str
    limit: float
    unit: str
    at_least: bool = False

    def verdict(self, sizes: Sequence[dict[str, Any]]) -> dict[str, Any]:
        """This target's measured value and MET / MISSED (NOT RUN if that size was skipped)."""
        value = _lookup(sizes, self.size, self.engine, self.field)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            status = "NOT RUN"
        elif self.at_least:
            status = "MET" if value >= self.limit else "MISSED"
        else:
            status = "MET" if value <= self.limit else "MISSED"
        sign = "≥" if self.at_least else "≤"
        return {
            "target": self.name,
            "limit": f"{sign} {self.limit:g} {self.unit}",
            "measured": value,
            "unit": self.unit,
            "status": status,
        }


TARGETS = (
    Target("ours p99 latency, seed store", "seed", "ours", "latency.p99_ms", 2, "ms"),
    Target("ours p99 latency, 10k", "10k", "ours", "latency.p99_ms", 3, "ms"),
    Target("ours p99 latency, 100k", "100k", "ours", "latency.p99_ms", 15, "ms"),
    Target("ours p99 latency, 1M", "1M", "ours", "latency.p99_ms", 100, "ms"),
    Target(
        "speed-up over rapidfuzz (median latency), 100k",
        "100k",
        "ratios",
        "rapidfuzz_over_ours_median",
        10,
        "×",
        at_least=True,
    ),
    Target("cold `sitrep ask` (median of 5), seed", "seed", "cold_ask", "median_s", 0.5, "s"),
    Target("start-up to first answer, 100k", "100k", "ours", "first_answer_s", 3, "s"),
    Target("peak RSS, 100k", "100k", "ours", "peak_rss_mb", 150, "MB"),
)


def _lookup(sizes: Sequence[dict[str, Any]], size: str, section: str, path: str) -> Any:
    for entry in sizes:
        if entry.get("size") == size:
            node: Any = entry.get(section)
            for part in path.split("."):
                if not isinstance(node, dict):
                    return None
                node = node.get(part)
            return node
    return None


def ratios(entry: dict[str, Any]) -> dict[str, float | None]:
    """Ours against each baseline: latency ratios ours/baseline, and baseline/ours speed-ups."""
    out: dict[str, float | None] = {}
    ours = entry.get("ours", {}).get("latency", {})
    for engine in ("rapidfuzz", "fts5"):
        theirs = (entry.get(engine) or {}).get("latency", {})
        for stat in ("median", "p99"):
            a, b = ours.get(f"{stat}_ms"), theirs.get(f"{stat}_ms")
            ok = isinstance(a, float | int) and isinstance(b, float | int) and a > 0 and b > 0
            out[f"ours_over_{engine}_{stat}"] = a / b if ok else None
            out[f"{engine}_over_ours_{stat}"] = b / a if ok else None
    return out


def verdicts(sizes: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every target's verdict, in the issue's order."""
    return [target.verdict(sizes) for target in TARGETS]


# --- the terminal ----------------------------------------------------------------------------


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _sig(value: float | None) -> str:
    """A ratio with three significant digits (0.000412, 0.0523, 1.52)."""
    return "–" if value is None or not math.isfinite(value) else f"{value:.3g}"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: int = 1) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]  # fmt: skip

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i < right else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def main_table(sizes: Sequence[dict[str, Any]]) -> str:
    """One row per size and engine: build, size on disk, start-up, latency, memory, throughput."""
    headers = ("size", "engine", "facts", "build s", "index s", "DB MB", "start s", "1st ans s",
               "n", "p50 ms", "p99 ms", "max ms", "RSS MB", "CLI q/s", "hit %",
               "abst %")  # fmt: skip
    rows: list[list[str]] = []
    for entry in sizes:
        build = entry.get("build", {})
        for engine in ENGINES:
            m = entry.get(engine)
            if not m:
                continue
            lat = m.get("latency", {})
            index_s = "–"
            if engine == "ours":
                build_s = f"{_fmt(build.get('build_s'), 2)} {build.get('method', '')}"
                index_s = _fmt((entry.get("ours_cold") or {}).get("matcher_s"), 2)
                db_mb = _fmt(build.get("db_with_index_bytes", build.get("db_bytes", 0)) / 1e6)
                qps = _fmt((entry.get("cli") or {}).get("steady_qps"))
            elif engine == "fts5":
                build_s = _fmt(build.get("fts_build_s"), 2)
                db_mb = _fmt(build.get("fts_db_bytes", 0) / 1e6)
                qps = "–"
            else:
                build_s, db_mb, qps = "–", "(store)", "–"
            rows.append([
                entry["size"] if engine == "ours" else "",
                engine,
                _fmt(build.get("facts")) if engine == "ours" else "",
                build_s,
                index_s,
                db_mb,
                _fmt(m.get("startup_s"), 3),
                _fmt(m.get("first_answer_s"), 3),
                _fmt(lat.get("n")),
                _fmt(lat.get("median_ms"), 2),
                _fmt(lat.get("p99_ms"), 2),
                _fmt(lat.get("max_ms"), 1),
                _fmt(m.get("peak_rss_mb")),
                qps,
                _fmt(m.get("hit_pct")),
                _fmt(m.get("abstain_pct")),
            ])  # fmt: skip
    return _table(headers, rows, right=2)


def ratio_table(sizes: Sequence[dict[str, Any]]) -> str:
    """Ours over each baseline (latency ratio: below 1 means ours is faster)."""
    headers = ("size", "ours/rapidfuzz p50", "ours/rapidfuzz p99", "ours/fts5 p50",
               "ours/fts5 p99", "rapidfuzz÷ours p50")  # fmt: skip
    rows = []
    for entry in sizes:
        r = entry.get("ratios") or {}
        if not r or all(v is None for v in r.values()):
            continue
        rows.append([
            entry["size"],
            _sig(r.get("ours_over_rapidfuzz_median")),
            _sig(r.get("ours_over_rapidfuzz_p99")),
            _sig(r.get("ours_over_fts5_median")),
            _sig(r.get("ours_over_fts5_p99")),
            _fmt(r.get("rapidfuzz_over_ours_median"), 1) + "×",
        ])  # fmt: skip
    return _table(headers, rows) if rows else "(baselines skipped)"


def startup_table(sizes: Sequence[dict[str, Any]]) -> str:
    """Where ours spends its start-up (first start and restart), and what the CLI sees."""
    headers = ("size", "open s", "glossary s", "Desk s", "ready s", "1st query s",
               "RSS ready MB", "RSS 1st ans MB", "1st start: index s", "1st start: RSS MB",
               "DB MB store/+index", "CLI 1st line s", "CLI total s", "CLI total q/s")  # fmt: skip
    rows = []
    for entry in sizes:
        m = entry.get("ours") or {}
        cold = entry.get("ours_cold") or {}
        cli = entry.get("cli") or {}
        build = entry.get("build") or {}
        store_mb = _fmt(build.get("db_bytes", 0) / 1e6)
        with_index = build.get("db_with_index_bytes")
        rows.append([
            entry["size"],
            _fmt(m.get("open_s"), 3),
            _fmt(m.get("glossary_s"), 3),
            _fmt(m.get("desk_s"), 3),
            _fmt(m.get("matcher_s"), 3),
            _fmt(m.get("first_query_s"), 3),
            _fmt(m.get("rss_after_matcher_mb")),
            _fmt(m.get("rss_after_first_answer_mb")),
            _fmt(cold.get("matcher_s"), 2),
            _fmt(cold.get("peak_rss_mb")),
            f"{store_mb}/{_fmt(with_index / 1e6) if with_index else '–'}",
            _fmt(cli.get("first_line_s"), 2),
            _fmt(cli.get("total_s"), 2),
            _fmt(cli.get("total_qps")),
        ])  # fmt: skip
    return _table(headers, rows)


def kind_table(sizes: Sequence[dict[str, Any]]) -> str:
    """Ours by kind of query: p50 / p99 latency (ms) / % right, and the GC's collections."""
    kinds = sorted({k for s in sizes for k in (s.get("ours") or {}).get("latency_by_kind", {})})
    headers = ("size", *kinds, "GC runs gen0/1/2")
    rows = []
    for entry in sizes:
        ours = entry.get("ours") or {}
        by_kind = ours.get("latency_by_kind", {})
        right = ours.get("right_pct_by_kind", {})
        cells = [
            f"{_fmt(by_kind[k]['median_ms'], 2)} / {_fmt(by_kind[k]['p99_ms'], 1)}"
            f" / {_fmt(right.get(k), 0)}%"
            if k in by_kind
            else "–"
            for k in kinds
        ]
        gc_runs = "/".join(str(n) for n in ours.get("gc_collections", []))
        rows.append([entry["size"], *cells, gc_runs or "–"])
    return _table(headers, rows)


def targets_table(found: Sequence[dict[str, Any]]) -> str:
    """The targets section: target, limit, measured, MET / MISSED."""
    rows = [
        [t["target"], t["limit"], f"{_fmt(t['measured'], 2)} {t['unit']}".strip(), t["status"]]
        for t in found
    ]
    return _table(("target", "limit", "measured", "status"), rows, right=2)


def passages_table(entries: Sequence[dict[str, Any]]) -> str:
    """One row per passage store: ingest throughput, index build, and asking beside the seeds."""
    rows = []
    for e in entries:
        b, o = e["build"], e["ours"]
        lat = o["latency"]
        rows.append(
            [
                e["size"],
                str(b["documents"]),
                str(b["passages"]),
                _fmt(b["documents_per_s"]),
                _fmt(b["passages_per_s"], 0),
                _fmt(b["index_build_s"]),
                _fmt(b["db_bytes"] / 1e6),
                _fmt(o["restart_to_first_answer_s"], 2),
                _fmt(lat["median_ms"], 2),
                _fmt(lat["p99_ms"], 2),
                _fmt(o["hit_pct"]),
                _fmt(o["abstain_pct"]),
                _fmt(o["peak_rss_mb"]),
            ]
        )
    headers = (
        "passages of", "docs", "passages", "docs/s", "pass/s", "index s", "DB MB",
        "1st ans s", "p50 ms", "p99 ms", "hit %", "abst %", "RSS MB",
    )  # fmt: skip
    return _table(headers, rows)


def render(results: dict[str, Any]) -> str:
    """The whole terminal report."""
    sizes = results["sizes"]
    parts = [
        "Sitrep benchmark — " + results["environment"].get("summary", ""),
        "",
        main_table(sizes),
        "",
        "build s: creating the store (sync = FactStore.sync, bulk = bench-only bulk insert;"
        " fts5: its bench-only table). index s: the desk's first start on that store, which"
        " builds its term index. start s / 1st ans s: a restart (index present) until ready /"
        " until the first answer, in a fresh process. DB MB: store + term index. RSS: peak of"
        " that process. CLI q/s: `sitrep ask --json -` after its first answer. hit %:"
        " known-fact queries answered with that fact; abst %: unknown queries given no_match."
        " n: answers timed (ours: the query set × --passes; baselines: as many as fit their"
        " budget).",
        "",
        "Start-up of ours, step by step (restart; then the first start, which builds the index)",
        startup_table(sizes),
        "",
        "Ours by kind of query: p50 ms / p99 ms / % right (expected fact; for unknown: no_match)",
        kind_table(sizes),
        "",
        "Latency ratios (ours ÷ baseline; < 1: ours faster)",
        ratio_table(sizes),
        "",
        "Targets",
        targets_table(results["targets"]),
    ]
    if results.get("passages"):
        parts += [
            "",
            "Passages beside the 73 seed facts (synthetic reports of 25 paragraphs, one fact's"
            " answer each). docs/s, pass/s: ingest through DocumentStore.ingest. index s: the"
            " first question, which builds the stored passage index. p50/p99: a member's"
            " question (facts, then passages) in a fresh process. hit %: a query about a fact"
            " answered with a passage inside its paragraph; abst %: unknown queries unanswered.",
            passages_table(results["passages"]),
        ]
    cold = next((s.get("cold_ask") for s in sizes if s.get("cold_ask")), None)
    if cold:
        runs = ", ".join(f"{t:.3f}" for t in cold["runs_s"])
        parts += ["", f"cold `sitrep ask {cold['query']!r}` runs (s): {runs}"]
    cpus = results["environment"].get("cpus") or 1
    busy = [
        f"{s['size']} (load {max(v for v in s['load_avg'].values() if v is not None):.1f})"
        for s in sizes
        if any(v is not None and v > cpus for v in (s.get("load_avg") or {}).values())
    ]
    if busy:
        parts += [
            "",
            f"WARNING: other processes competed for the {cpus} CPUs while measuring "
            f"{', '.join(busy)} (1-minute load average above the CPU count); those figures "
            "are pessimistic. Rerun on a quiet machine for clean numbers.",
        ]
    if results["environment"].get("core_changed_during_run"):
        parts += [
            "",
            "WARNING: the code under test (knowledge/, bot/cli.py) changed while the benchmark"
            " ran; sizes may have measured different code. Run it again on a quiet tree.",
        ]
    parts += ["", f"total run time: {results['duration_s']:.0f} s"]
    return "\n".join(parts)


# --- files -----------------------------------------------------------------------------------


def _clean(value: Any) -> Any:
    """NaN and infinities → None, so the file is strict JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def write_json(results: dict[str, Any], path: Path) -> None:
    """Write the results as strict JSON (NaN as null)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_clean(results), indent=2, ensure_ascii=False), encoding="utf-8")


def plot_series(results: dict[str, Any]) -> dict[str, list[tuple[int, float, float]]]:
    """``(entries, p50 ms, p99 ms)`` by size, for each line of the plot: each engine on the
    fact stores (the seed store included), and ours on the passage stores."""
    series: dict[str, list[tuple[int, float, float]]] = {}
    for engine in ENGINES:
        points = [
            (s["build"]["facts"], s[engine]["latency"]["median_ms"], s[engine]["latency"]["p99_ms"])
            for s in results["sizes"]
            if s.get(engine) and s[engine]["latency"].get("p99_ms")
        ]
        if points:
            series[f"{engine}, facts"] = sorted(points)
    passages = [
        (p["build"]["passages"], p["ours"]["latency"]["median_ms"], p["ours"]["latency"]["p99_ms"])
        for p in results.get("passages", [])
        if p.get("ours") and p["ours"]["latency"].get("p99_ms")
    ]
    if passages:
        series["ours, passages"] = sorted(passages)
    return series


def plot(results: dict[str, Any], path: Path) -> Path | None:
    """p50 (dashed) and p99 (solid) latency against store size, log-log, for each line of
    :func:`plot_series`; None without matplotlib (``pip install matplotlib``)."""
    if importlib.util.find_spec("matplotlib") is None:
        return None
    series = plot_series(results)
    if not series:
        return None
    matplotlib = importlib.import_module("matplotlib")
    matplotlib.use("Agg")
    plt = importlib.import_module("matplotlib.pyplot")
    fig, ax = plt.subplots(figsize=(8, 5))
    for (label, points), marker in zip(series.items(), "osv^D", strict=False):
        sizes = [n for n, _, _ in points]
        (line,) = ax.plot(
            sizes, [p99 for _, _, p99 in points], marker=marker, label=f"{label}, p99"
        )
        ax.plot(sizes, [p50 for _, p50, _ in points], marker=marker, linestyle="--",
                color=line.get_color(), label=f"{label}, p50")  # fmt: skip
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("entries in the store (facts, or passages beside the 73 seed facts)")
    ax.set_ylabel("latency per question (ms)")
    ax.set_title("Sitrep: p50 and p99 latency against store size")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize="small")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
