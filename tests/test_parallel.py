"""Parallel analysis: the same results in the same order as one process, and errors that
reach the caller."""

from __future__ import annotations

import pytest
from sample import FACTS, GLOSSARY

from knowledge.matching import parallel
from knowledge.matching.index import store_fact
from knowledge.matching.text import Analyzer
from knowledge.models import Fact

EXPECTED = [store_fact(fact, Analyzer(GLOSSARY)) for fact in FACTS * 3]


def test_a_small_batch_is_analysed_here() -> None:
    found = parallel.analysed(FACTS * 3, store_fact, GLOSSARY, size=len(FACTS) * 3)
    assert list(found) == EXPECTED


def test_workers_give_the_same_results_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    # Small chunks, so that several are in flight and must come back in order.
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 0)
    monkeypatch.setattr(parallel, "CHUNK", 2)
    found = parallel.analysed(FACTS * 3, store_fact, GLOSSARY, size=len(FACTS) * 3, processes=2)
    assert list(found) == EXPECTED


def test_a_worker_s_error_reaches_the_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 0)
    broken: list[Fact] = [*FACTS, None]  # type: ignore[list-item]
    with pytest.raises(AttributeError):
        list(parallel.analysed(broken, store_fact, GLOSSARY, size=len(broken), processes=2))


def test_one_process_means_no_workers() -> None:
    found = parallel.analysed(FACTS, store_fact, GLOSSARY, size=10**6, processes=1)
    assert list(found) == EXPECTED[: len(FACTS)]
