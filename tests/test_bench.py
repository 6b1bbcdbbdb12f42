"""The benchmark's pieces run and give well-formed results on a tiny store (never timings)."""

from __future__ import annotations

import math
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bench import report
from bench.build import (
    Built,
    build,
    build_fts,
    bulk_load,
    cache_dir,
    is_pristine,
    load_built,
    parse_size,
)
from bench.generate import QUERY_MIX, generate, make_queries, seed_queries, store_queries, typo
from bench.measure import (
    cli_batch,
    cold_ask,
    fts_match,
    latency_stats,
    measure_fts,
    measure_ours,
    measure_rapidfuzz,
)
from knowledge.curation.files import load_seeds
from knowledge.curation.sources import load_glossary
from knowledge.models import Fact
from knowledge.store.db import open_db
from knowledge.store.facts import FactStore
from knowledge.store.rows import normalize_key
from knowledge.validation import fact_problem_list

SIZE = 200
N_QUERIES = 20
REPO = Path(__file__).resolve().parent.parent


def _facts(size: int = SIZE, seed: int = 7) -> tuple[list[Fact], Any]:
    store = generate(size, seed)
    return list(store.facts()), store


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """A 200-fact store built through FactStore.sync into a temporary cache."""
    root = tmp_path_factory.mktemp("bench-cache")
    return build(parse_size(str(SIZE)), 7, method="sync", root=root)


def test_generation_is_deterministic_for_a_seed() -> None:
    """The same size and seed give the same facts and documents; another seed does not."""
    a, store_a = _facts()
    b, store_b = _facts()
    c, _ = _facts(seed=8)
    assert a == b
    assert store_a.documents == store_b.documents
    assert [f.id for f in a] != [f.id for f in c]


def test_generated_facts_are_valid_with_unique_ids_and_keys() -> None:
    """Every fact passes the store's rules, has 10–15 keys, and no key belongs to two facts."""
    facts, store = _facts()
    documents = {d.id: d for d in store.documents}
    assert len(facts) == SIZE
    assert len({f.id for f in facts}) == SIZE
    keys = [normalize_key(k) for f in facts for k in f.keys]
    assert len(keys) == len(set(keys))
    for fact in facts:
        assert 10 <= len(fact.keys) <= 15, fact.id
        assert 1 <= len(fact.tags) <= 4
        assert fact_problem_list(fact, documents) == []
    assert any(s.document for f in facts for s in f.sources)
    assert any(s.document is None for f in facts for s in f.sources)


def test_sync_and_bulk_loading_give_the_same_store(tmp_path: Path) -> None:
    """The bench-only bulk path writes what FactStore.sync writes."""
    facts, store = _facts(120)
    synced = FactStore(open_db(tmp_path / "sync.db"))
    synced.sync(store.documents, facts, actor="bench")
    bulk_load(tmp_path / "bulk.db", iter(facts), lambda: store.documents)
    bulk = FactStore(open_db(tmp_path / "bulk.db"))
    assert bulk.facts() == synced.facts()
    assert bulk.documents() == synced.documents()
    assert len(bulk.history(facts[0].id)) == 1
    assert bulk.changes == 1


def test_query_sets_mix_kinds_and_point_at_real_facts() -> None:
    """Queries come in the documented mix, expected ids exist, and generation is repeatable."""
    facts, store = _facts()
    queries = store_queries(store, 100)
    assert queries == store_queries(store, 100)
    assert len(queries) == 100
    kinds = Counter(q.kind for q in queries)
    assert set(kinds) == {kind for kind, _ in QUERY_MIX}
    ids = {f.id for f in facts}
    assert all(q.expect in ids for q in queries if q.kind != "unknown")
    assert all(q.expect is None for q in queries if q.kind == "unknown")


def test_seed_queries_use_the_seed_facts_and_extra_questions() -> None:
    """The seed store's query set takes its own facts plus any extra questions."""
    facts = load_seeds(REPO / "seeds").facts
    queries = seed_queries(facts, 30, extra=["who leads JNIM", "fuel imports"])
    assert len(queries) == 30
    extra = sorted(q.text for q in queries if q.kind == "extra")
    assert extra == ["fuel imports", "who leads JNIM"]
    with pytest.raises(ValueError, match="needs facts"):
        make_queries([], 5, random.Random(0))


def test_helpers() -> None:
    """Sizes parse, typos change one word, FTS queries are quoted, percentiles are nearest-rank."""
    assert parse_size("seed").is_seed
    assert parse_size("10k").facts == 10_000
    assert parse_size("1M").name == "1M"
    with pytest.raises(ValueError, match="not a size"):
        parse_size("lots")
    rng = random.Random(1)
    assert typo("who leads the blockade", rng) != "who leads the blockade"
    assert fts_match('what\'s "NEAR(x)" OR c++?') == '"what" OR "s" OR "near" OR "x" OR "or" OR "c"'
    assert fts_match("?!") == ""
    stats = latency_stats([i / 1000 for i in range(1, 101)])
    assert stats["n"] == 100
    assert stats["p99_ms"] == pytest.approx(99.0)
    assert stats["median_ms"] == pytest.approx(50.5)


def test_built_store_is_cached_with_its_glossary_and_queries(tiny: Built) -> None:
    """A build leaves a database, a loadable glossary, a query pool and its metadata."""
    assert tiny.meta["facts"] == SIZE
    assert tiny.meta["method"] == "sync"
    assert tiny.db.exists()
    assert load_glossary(tiny.glossary_path).synonyms
    assert len(tiny.queries(N_QUERIES)) == N_QUERIES
    root = tiny.directory.parent
    again = load_built(parse_size(str(SIZE)), 7, root)
    assert again is not None
    assert again.meta == tiny.meta
    assert cache_dir(parse_size(str(SIZE)), 8, root) != tiny.directory
    assert is_pristine(tiny.db)


def test_a_store_written_to_by_a_desk_is_no_longer_a_valid_cache(tmp_path: Path) -> None:
    """Derived tables (the desk's term index) in a cached store make it stale."""
    built = build(parse_size("120"), 3, method="bulk", root=tmp_path)
    assert load_built(parse_size("120"), 3, tmp_path) is not None
    measure_ours(built.db, built.glossary_path, [])  # a desk writes its index into the store
    assert not is_pristine(built.db)
    assert load_built(parse_size("120"), 3, tmp_path) is None


def test_measurements_have_the_documented_shape(tiny: Built) -> None:
    """Each engine's measurement reports start-up, latency over every query, hits and RSS."""
    queries = tiny.queries(N_QUERIES)
    work = tiny.fresh_work_db()
    first = measure_ours(work, tiny.glossary_path, [])
    ours = measure_ours(work, tiny.glossary_path, queries, passes=2)
    assert first["db_bytes_after"] > first["db_bytes_before"]  # the first start wrote the index
    assert first["latency"]["n"] == 0
    fts = {**build_fts(tiny.db, tiny.fts_db), **measure_fts(tiny.fts_db, queries)}
    fuzzy = measure_rapidfuzz(tiny.db, queries)
    assert ours["latency"]["n"] == 2 * N_QUERIES  # two passes, every answer timed
    for result in (fts, fuzzy):
        assert result["latency"]["n"] == N_QUERIES
        assert sum(s["n"] for s in result["latency_by_kind"].values()) == N_QUERIES
    for result in (ours, fts, fuzzy):
        assert {"median_ms", "p99_ms", "max_ms"} <= set(result["latency"])
        assert result["peak_rss_mb"] > 0
        assert result["known"] + result["unknown"] == N_QUERIES
        assert not math.isnan(result["hit_pct"])
    assert ours["facts"] == SIZE
    assert {"open_s", "glossary_s", "desk_s", "matcher_s", "startup_s", "first_answer_s"} <= set(
        ours
    )
    assert set(ours["right_pct_by_kind"]) <= {kind for kind, _ in QUERY_MIX}
    assert fts["fts_db_bytes"] > 0
    assert fuzzy["choices"] > SIZE * 10

    entry: dict[str, Any] = {
        "size": "200",
        "build": tiny.meta,
        "ours_cold": first,
        "ours": ours,
        "rapidfuzz": fuzzy,
        "fts5": fts,
    }
    entry["ratios"] = report.ratios(entry)
    assert entry["ratios"]["ours_over_rapidfuzz_median"] is not None
    results: dict[str, Any] = {
        "sizes": [entry],
        "targets": report.verdicts([entry]),
        "environment": {"summary": "test"},
        "duration_s": 1.0,
    }
    assert [t["status"] for t in results["targets"]] == ["NOT RUN"] * len(report.TARGETS)
    text = report.render(results)
    assert "ours" in text
    assert "by kind of query" in text
    assert "Targets" in text


def test_the_sitrep_command_is_measured(tiny: Built) -> None:
    """Batch mode answers every query; a cold single ask runs and exits cleanly."""
    queries = tiny.queries(5)
    work = tiny.fresh_work_db()
    batch = cli_batch(work, tiny.seeds_dir, queries)
    assert batch["exit_code"] == 0, batch["stderr"]
    assert batch["answers"] == 5
    assert sum(batch["statuses"].values()) == 5
    cold = cold_ask(work, tiny.seeds_dir, queries[0].text, runs=1)
    assert cold["exit_codes"] == [0]
    assert len(cold["runs_s"]) == 1


def _latency(p50: float, p99: float) -> dict[str, Any]:
    return {"latency": {"median_ms": p50, "p99_ms": p99}}


def test_the_plot_has_a_line_per_engine_and_one_for_passages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """p50 and p99 by size for each engine that ran, and ours on the passage stores."""
    results = {
        "sizes": [
            {"size": "10k", "build": {"facts": 10_000}, "ours": _latency(1.0, 2.0)},
            {"size": "seed", "build": {"facts": 73}, "ours": _latency(0.5, 1.0),
             "rapidfuzz": _latency(1.2, 2.9)},
        ],
        "passages": [{"build": {"passages": 100_067}, "ours": _latency(2.0, 4.0)}],
    }  # fmt: skip
    assert report.plot_series(results) == {
        "ours, facts": [(73, 0.5, 1.0), (10_000, 1.0, 2.0)],
        "rapidfuzz, facts": [(73, 1.2, 2.9)],
        "ours, passages": [(100_067, 2.0, 4.0)],
    }
    assert report.plot_series({"sizes": []}) == {}
    # Without matplotlib there is no plot, and no error.
    monkeypatch.setattr(report.importlib.util, "find_spec", lambda name: None)
    assert report.plot(results, tmp_path / "plot.png") is None
