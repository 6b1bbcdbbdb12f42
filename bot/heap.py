"""The long-running process's heap: what start-up built is kept out of garbage collection."""

from __future__ import annotations

import gc


def settle_heap() -> None:
    """Exempt every object alive now (matchers, word lists) from garbage collection.

    The bot keeps what start-up built for its whole life; left to the collector, each full
    collection would walk it all again, a pause of milliseconds in the middle of an answer.
    Objects made later are collected as usual.
    """
    gc.collect()
    gc.freeze()
