"""The passages dimension: ingest throughput, and asking with many passages beside the seeds.

Synthetic reports are made from a synthetic fact set: each fact's answer becomes one
paragraph of a report (25 paragraphs, a heading every five), so every benchmark query about a
fact has a known paragraph that answers it. The reports are ingested into a store holding the
73 seed facts, through :meth:`~knowledge.store.documents.DocumentStore.ingest` (the real
write path, one transaction a document), and the first question builds the stored passage
index. Then a fresh process opens the store and asks the query set as Sitrep answers a
member: the facts first, then the passages. A query about a fact counts as a hit when the
passage that answers lies inside that fact's paragraph; an unknown query when nothing
answers.

Built stores are cached under ``bench/results/cache/passages-<size>-s<seed>-g<generator>/``.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.heap import settle_heap
from knowledge.desk import Desk, open_desk
from knowledge.documents.models import DocumentMeta
from knowledge.documents.read import read_text
from knowledge.models import Fact

from .build import CACHE, SEEDS, Size, file_bytes
from .generate import GENERATOR_VERSION, Query, generate, store_queries
from .measure import latency_stats, peak_rss_mb

PARAGRAPHS_PER_REPORT = 25
HEADING_EVERY = 5
QUERY_POOL = 3000
ACTOR = "bench"
Span = tuple[str, int, int]
"""(document id, start, end) of the paragraph that answers a query about a fact."""


@dataclass(frozen=True, slots=True)
class Report:
    """One synthetic report: its metadata, its Markdown, and where each fact's paragraph is."""

    meta: DocumentMeta
    text: str
    spans: dict[str, Span]


def reports(facts: Iterator[Fact]) -> Iterator[Report]:
    """Facts' answers laid out as reports of PARAGRAPHS_PER_REPORT paragraphs each."""
    batch: list[Fact] = []
    number = 0
    for fact in facts:
        batch.append(fact)
        if len(batch) == PARAGRAPHS_PER_REPORT:
            number += 1
            yield _report(number, batch)
            batch = []
    if batch:
        yield _report(number + 1, batch)


def _report(number: int, facts: list[Fact]) -> Report:
    doc_id = f"report-{number:06d}"
    parts = [f"# Situation report {number}\n\n"]
    spans: dict[str, Span] = {}
    at = len(parts[0])
    for i, fact in enumerate(facts):
        if i % HEADING_EVERY == 0:
            heading = f"## {fact.tags[0] if fact.tags else fact.title}\n\n"
            parts.append(heading)
            at += len(heading)
        paragraph = " ".join(fact.answer.split())
        spans[fact.id] = (doc_id, at, at + len(paragraph))
        parts.append(paragraph + "\n\n")
        at += len(paragraph) + 2
    meta = DocumentMeta(doc_id, f"Situation report {number}", "Bench Wire", None, "")
    return Report(meta, "".join(parts), spans)


def _stored_spans(report: Report, stored: str) -> dict[str, Span]:
    """The facts' paragraphs located in the text as stored (reading Markdown drops its
    markup, which moves every offset)."""
    out: dict[str, Span] = {}
    at = 0
    for fact_id, (doc_id, start, end) in report.spans.items():
        found = stored.find(report.text[start:end], at)
        if found >= 0:
            out[fact_id] = (doc_id, found, found + end - start)
            at = found + end - start
    return out


def cache_dir(size: Size, seed: int, root: Path = CACHE) -> Path:
    """Where the passage store of ``size`` facts' worth of reports is cached."""
    return root / f"passages-{size.name}-s{seed}-g{GENERATOR_VERSION}"


def build(
    size: Size, seed: int, *, root: Path = CACHE, progress: Callable[[str], None] = print
) -> dict[str, Any]:
    """Ingest the reports into a fresh store with the seed facts; time ingest and indexing.

    Writes ``sitrep.db``, ``queries.json``, ``answers.json`` (the span that answers each
    query about a fact) and ``meta.json`` into the cache directory, and returns the meta.
    """
    directory = cache_dir(size, seed, root)
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    db = directory / "sitrep.db"
    desk = open_desk(db, SEEDS)
    store = generate(size.facts or 0, seed)
    spans: dict[str, Span] = {}
    documents = passages = 0
    started = time.perf_counter()
    for report in reports(store.facts()):
        read = read_text(report.text.encode(), f"{report.meta.id}.md")
        result = desk.documents.ingest(read, report.meta, actor=ACTOR)
        spans.update(_stored_spans(report, read.text))
        documents += 1
        passages += result.passages
        if documents % 200 == 0:
            progress(f"ingested {documents} reports, {passages} passages")
    ingest_s = time.perf_counter() - started
    started = time.perf_counter()
    desk.passage_matcher  # noqa: B018 (builds the stored passage index)
    index_s = time.perf_counter() - started
    desk.close()
    queries = store_queries(store, QUERY_POOL, seed)
    (directory / "queries.json").write_text(
        json.dumps([{"text": q.text, "kind": q.kind, "expect": q.expect} for q in queries]),
        encoding="utf-8",
    )
    _write_answers(directory, queries, spans)
    meta = {
        "size": size.name,
        "documents": documents,
        "passages": passages,
        "ingest_s": ingest_s,
        "documents_per_s": documents / ingest_s if ingest_s else None,
        "passages_per_s": passages / ingest_s if ingest_s else None,
        "index_build_s": index_s,
        "db_bytes": file_bytes(db),
        "build_peak_rss_mb": peak_rss_mb(),
    }
    (directory / "meta.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return meta


def _write_answers(directory: Path, queries: list[Query], spans: dict[str, Span]) -> None:
    # Only the query pool's spans: the measuring process reads this file, and a span for
    # every one of a million paragraphs would weigh more than the matcher it measures.
    wanted = {q.expect for q in queries if q.expect is not None}
    answers = {k: v for k, v in spans.items() if k in wanted}
    (directory / "answers.json").write_text(json.dumps(answers), encoding="utf-8")


def ensure_answers(directory: Path) -> None:
    """Write ``answers.json`` for a store cached before it existed (from its ``spans.json``
    of every paragraph); run before measuring, outside the measured process."""
    old = directory / "spans.json"
    if (directory / "answers.json").exists() or not old.exists():
        return
    spans = {k: (v[0], v[1], v[2]) for k, v in json.loads(old.read_text("utf-8")).items()}
    _write_answers(directory, _queries(directory), spans)
    old.unlink()


def _queries(directory: Path) -> list[Query]:
    raw = json.loads((directory / "queries.json").read_text(encoding="utf-8"))
    return [Query(q["text"], q["kind"], q["expect"]) for q in raw]


def load_queries(directory: Path, n: int) -> tuple[list[Query], dict[str, Span]]:
    """The first ``n`` queries of a built passage store and the spans that answer them."""
    raw = json.loads((directory / "answers.json").read_text(encoding="utf-8"))
    spans = {k: (v[0], v[1], v[2]) for k, v in raw.items()}
    return _queries(directory)[:n], spans


def _ask(desk: Desk, text: str) -> tuple[str, Span | None]:
    """What a member gets: a fact's id, a passage's span, or nothing."""
    answer = desk.ask(text, log=False)
    if answer.answered and answer.fact is not None:
        return "fact", None
    hit = desk.passage_for(answer)
    if hit is None:
        return "none", None
    return "passage", (hit.passage.document_id, hit.passage.start, hit.passage.end)


def _hit(span: Span | None, expected: Span | None) -> bool:
    return (
        span is not None
        and expected is not None
        and span[0] == expected[0]
        and expected[1] <= span[1] < span[2] <= expected[2]
    )


def measure(directory: Path, n: int, passes: int = 3) -> dict[str, Any]:
    """Open the built store in this (fresh) process and ask the query set ``passes`` times."""
    queries, spans = load_queries(directory, n)
    started = time.perf_counter()
    desk = open_desk(directory / "sitrep.db", SEEDS)
    # As the bot starts (bot.runner): matchers built up front, then left out of collections.
    desk.warm()
    settle_heap()
    first = _ask(desk, "who leads JNIM")
    first_answer_s = time.perf_counter() - started
    times: list[float] = []
    outcomes: dict[str, int] = {"fact": 0, "passage": 0, "none": 0}
    known = hits = unknown = abstained = 0
    for round_ in range(passes):
        for query in queries:
            began = time.perf_counter()
            kind, span = _ask(desk, query.text)
            times.append(time.perf_counter() - began)
            if round_:
                continue
            outcomes[kind] += 1
            if query.expect is None:
                unknown += 1
                abstained += kind == "none"
            else:
                known += 1
                hits += _hit(span, spans.get(query.expect))
    desk.close()
    return {
        "restart_to_first_answer_s": first_answer_s,
        "first_answer": first[0],
        "latency": latency_stats(times),
        "outcomes": outcomes,
        "hit_pct": 100 * hits / known if known else None,
        "abstain_pct": 100 * abstained / unknown if unknown else None,
        "peak_rss_mb": peak_rss_mb(),
    }
