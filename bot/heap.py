"""The long-running process's heap: what start-up built is kept out of garbage collection,
and the collector runs seldom enough that it does not pause answers."""

from __future__ import annotations

import gc
from typing import Final

# Container allocations (net) between collections of the youngest generation, and how many
# collections of each generation before the next one up. CPython's defaults (700, 10, 10)
# suit short scripts. A question allocates a few hundred containers: the facts it reads,
# each a handful of term sets. So by default the collector ran every few questions, and
# every hundred or so walked the matchers' caches whole: on 100k passages, pauses of 2 to
# 25 ms that made up the slowest 1% of answers (`python -m bench`: p99 5.6 ms against
# 3.1 ms with collection off). Most garbage is freed by reference counting as it is made;
# the collector is only for cycles, so collecting less often costs little memory.
THRESHOLDS: Final = (50_000, 20, 100)


def settle_heap() -> None:
    """Exempt every object alive now (matchers, word lists) from garbage collection, and
    collect what comes later in larger, rarer batches (:data:`THRESHOLDS`).

    The bot keeps what start-up built for its whole life; left to the collector, each full
    collection would walk it all again, a pause of milliseconds in the middle of an answer.
    Objects made later are still collected.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
