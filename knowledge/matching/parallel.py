"""Analysing many entries on every core, for building a large index.

Analysis is pure Python, so one process analyses about two thousand passages a second
however many cores the machine has. A large rebuild hands the entries, in chunks, to worker
processes that each hold their own analyser; the results come back in order, with only a
few chunks in flight, so memory stays flat whatever the store's size. Small batches are
analysed in the calling process, where starting workers would cost more than it saves.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice
from typing import Final, TypeVar

from ..models import Glossary
from .text import Analyzer

T = TypeVar("T")
R = TypeVar("R")

# Below this many entries, one process: spawning workers takes about a second.
PARALLEL_FROM: Final = 20_000
CHUNK: Final = 500
# Chunks in flight a worker: enough to keep it busy, few enough to bound memory.
AHEAD: Final = 3

_analyzer: Analyzer | None = None


def analysed(
    items: Iterable[T],
    analyse: Callable[[T, Analyzer], R],
    glossary: Glossary,
    *,
    size: int,
    processes: int | None = None,
) -> Iterator[R]:
    """``analyse(item, analyzer)`` for each of ``items``, in order. ``analyse`` must be a
    module-level function (workers import it by name) and its results picklable.

    ``size`` is about how many there are; from :data:`PARALLEL_FROM` on, the work is spread
    over ``processes`` workers (default: one a core, when there are two or more). Workers
    are started fresh ("spawn"), never forked, so a caller with threads (the bot) is safe.
    """
    workers = processes if processes is not None else (os.cpu_count() or 1)
    if workers < 2 or size < PARALLEL_FROM:
        analyzer = Analyzer(glossary)
        return (analyse(item, analyzer) for item in items)
    return _in_workers(items, analyse, glossary, workers)


def _in_workers(
    items: Iterable[T], analyse: Callable[[T, Analyzer], R], glossary: Glossary, workers: int
) -> Iterator[R]:
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start, initargs=(glossary,)
    ) as pool:
        pending: deque[Future[list[R]]] = deque()
        try:
            for chunk in chunks(items, CHUNK):
                pending.append(pool.submit(_analyse_chunk, analyse, chunk))
                if len(pending) >= workers * AHEAD:
                    yield from pending.popleft().result()
            while pending:
                yield from pending.popleft().result()
        finally:
            # Stopped early (an error, an interrupt): drop what is queued, not wait for it.
            for future in pending:
                future.cancel()


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """``items`` in lists of ``size`` (the last may be shorter)."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _start(glossary: Glossary) -> None:
    global _analyzer
    _analyzer = Analyzer(glossary)


def _analyse_chunk(analyse: Callable[[T, Analyzer], R], chunk: list[T]) -> list[R]:
    assert _analyzer is not None, "worker started without its analyser"
    return [analyse(item, _analyzer) for item in chunk]
