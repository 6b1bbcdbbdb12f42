"""Per-user rate limiting and repeat suppression: small, pure, in-memory.

Neither imports Discord; the caller passes the time (the triggering message's or
interaction's timestamp), so both behave the same in production and under a virtual clock.
Both are bounded: old entries are pruned as new ones arrive.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass


class RateLimiter:
    """At most ``rate`` events per ``per`` seconds for each key (a sliding window)."""

    def __init__(self, rate: int, per: float, *, max_keys: int = 10_000) -> None:
        if rate < 1 or per <= 0:
            raise ValueError("rate must be >= 1 and per > 0")
        self.rate = rate
        self.per = per
        self._max_keys = max_keys
        self._hits: OrderedDict[int, deque[float]] = OrderedDict()
        self._told_until: OrderedDict[int, float] = OrderedDict()

    def hit(self, key: int, now: float) -> float | None:
        """Record one event; ``None`` if allowed, else the seconds until the next is."""
        hits = self._hits.pop(key, None) or deque()
        while hits and hits[0] <= now - self.per:
            hits.popleft()
        self._hits[key] = hits  # re-inserted last: the least recently seen key goes first
        if len(hits) >= self.rate:
            return max(0.0, hits[0] + self.per - now)
        hits.append(now)
        while len(self._hits) > self._max_keys:
            self._hits.popitem(last=False)
        return None

    def first_refusal(self, key: int, now: float, retry_after: float) -> bool:
        """True for the first refusal of a wait, False for the ones after it.

        Lets a channel reply say "slow down" once, instead of answering every extra message
        with another message of its own.
        """
        if self._told_until.get(key, float("-inf")) > now:
            return False
        self._told_until.pop(key, None)
        self._told_until[key] = now + retry_after
        while len(self._told_until) > self._max_keys:
            self._told_until.popitem(last=False)
        return True


@dataclass(frozen=True, slots=True)
class Posted:
    """An answer the bot posted: where it is and when."""

    message_id: int
    jump_url: str
    at: float


class RecentAnswers:
    """Which fact was answered in which channel, and when, to point at it instead of reposting.

    A ``window`` of 0 turns suppression off.
    """

    def __init__(self, window: float, *, max_entries: int = 10_000) -> None:
        self.window = window
        self._max = max_entries
        self._posted: OrderedDict[tuple[int, str], Posted] = OrderedDict()

    def earlier(self, channel_id: int, fact_id: str, now: float) -> Posted | None:
        """The earlier answer of this fact in this channel, if it is within the window."""
        if self.window <= 0:
            return None
        posted = self._posted.get((channel_id, fact_id))
        if posted is None or now - posted.at > self.window:
            return None
        return posted

    def record(self, channel_id: int, fact_id: str, posted: Posted) -> None:
        """Remember an answer just posted (the newest answer of a fact wins)."""
        if self.window <= 0:
            return
        key = (channel_id, fact_id)
        self._posted.pop(key, None)
        self._posted[key] = posted
        # Entries arrive in time order, so the oldest are first: drop the expired and the excess.
        while self._posted:
            _, oldest = next(iter(self._posted.items()))
            if posted.at - oldest.at <= self.window and len(self._posted) <= self._max:
                break
            self._posted.popitem(last=False)

    def forget(self, message_id: int) -> None:
        """Forget an answer that was deleted, so the next question gets a fresh answer."""
        for key, posted in list(self._posted.items()):
            if posted.message_id == message_id:
                del self._posted[key]
