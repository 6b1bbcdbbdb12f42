"""The benchmark's passages dimension: reports that point back at their facts, a well-formed
measurement on a tiny store (never timings)."""

from __future__ import annotations

import json
from pathlib import Path

from bench import passages, report
from bench.build import SEEDS, parse_size
from bench.generate import generate
from knowledge.desk import open_desk


def test_reports_hold_each_facts_answer_at_its_span() -> None:
    """Every fact's answer is one paragraph of a report, exactly at the recorded span."""
    store = generate(60, 0)
    facts = {fact.id: fact for fact in store.facts()}
    built = list(passages.reports(iter(facts.values())))
    assert [len(r.spans) for r in built] == [25, 25, 10]
    for r in built:
        assert r.text.startswith("# Situation report")
        for fact_id, (doc_id, start, end) in r.spans.items():
            assert doc_id == r.meta.id
            assert r.text[start:end] == " ".join(facts[fact_id].answer.split())


def test_build_and_measure_give_the_documented_shape(tmp_path: Path) -> None:
    """A tiny passage store is ingested, indexed, asked, and reported."""
    size = parse_size("60")
    meta = passages.build(size, 0, root=tmp_path, progress=lambda _: None)
    assert (meta["documents"], meta["passages"] >= 60) == (3, True)
    directory = passages.cache_dir(size, 0, tmp_path)
    queries, spans = passages.load_queries(directory, 3000)
    # The answer key holds the span of every query about a fact, and only those.
    assert set(spans) == {q.expect for q in queries if q.expect is not None}
    assert len(spans) <= 60
    desk = open_desk(directory / "sitrep.db", SEEDS)
    for doc_id, start, end in spans.values():  # the stored text moved by the Markdown reading
        passage, _, _ = desk.documents.passage(doc_id, start, end)
        assert passage.text.endswith(".") and passage.text[0].isupper()
    desk.close()
    result = passages.measure(directory, 40, passes=1)
    assert result["first_answer"] == "fact"  # the seed facts answer beside the passages
    assert result["latency"]["n"] == 40 and sum(result["outcomes"].values()) == 40
    assert 0 <= result["hit_pct"] <= 100 and 0 <= result["abstain_pct"] <= 100
    table = report.passages_table([{"size": size.name, "build": meta, "ours": result}])
    assert "pass/s" in table and "p99 ms" in table


def test_a_store_cached_with_every_span_gets_its_answer_key(tmp_path: Path) -> None:
    """A store cached before the answer key existed is converted once, before measuring."""
    size = parse_size("60")
    passages.build(size, 0, root=tmp_path, progress=lambda _: None)
    directory = passages.cache_dir(size, 0, tmp_path)
    _, spans = passages.load_queries(directory, 3000)
    (directory / "answers.json").unlink()
    old = {**spans, "unasked-fact": ("report-000009", 0, 5)}
    (directory / "spans.json").write_text(json.dumps(old), encoding="utf-8")
    passages.ensure_answers(directory)
    assert passages.load_queries(directory, 3000)[1] == spans
    assert not (directory / "spans.json").exists()
