"""bot.guards: the per-user rate limiter and repeat suppression, without Discord."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.guards import Posted, RateLimiter, RecentAnswers


def test_sixth_hit_in_window_is_refused_with_wait_time() -> None:
    """Five per 30 s pass; the sixth is refused with the seconds to wait."""
    limiter = RateLimiter(5, 30)
    assert [limiter.hit(1, float(t)) for t in range(5)] == [None] * 5
    assert limiter.hit(1, 5.0) == pytest.approx(25.0)
    assert limiter.hit(2, 5.0) is None  # another user is not affected
    assert limiter.hit(1, 30.0) is None  # the first hit has left the window


def test_refused_hits_do_not_extend_the_wait() -> None:
    """Hammering while refused does not push the next allowed time further out."""
    limiter = RateLimiter(1, 10)
    assert limiter.hit(1, 0.0) is None
    for t in range(1, 10):
        assert limiter.hit(1, float(t)) is not None
    assert limiter.hit(1, 10.0) is None


def test_only_the_first_refusal_of_a_wait_is_announced() -> None:
    """first_refusal is True once per wait, and again once the next wait starts."""
    limiter = RateLimiter(1, 10)
    limiter.hit(1, 0.0)
    retry = limiter.hit(1, 1.0)
    assert retry is not None
    assert limiter.first_refusal(1, 1.0, retry)
    assert not limiter.first_refusal(1, 5.0, 5.0)
    assert limiter.first_refusal(1, 12.0, 8.0)


def test_limiter_memory_is_bounded() -> None:
    """Old users are forgotten beyond max_keys."""
    limiter = RateLimiter(1, 10, max_keys=3)
    for user in range(10):
        limiter.hit(user, 0.0)
    assert limiter.hit(0, 0.0) is None  # forgotten, so allowed again


@given(st.lists(st.floats(min_value=0, max_value=1000), max_size=60).map(sorted))
def test_never_more_than_rate_in_any_window(times: list[float]) -> None:
    """Whatever the timing, allowed hits never exceed the rate within any window."""
    limiter = RateLimiter(3, 10)
    allowed = [t for t in times if limiter.hit(7, t) is None]
    for t in allowed:
        assert len([u for u in allowed if t - 10 < u <= t]) <= 3


def test_recent_answer_within_window_only() -> None:
    """An answer is pointed to within the window, in its channel, for its fact."""
    recent = RecentAnswers(600)
    recent.record(1, "f", Posted(10, "https://discord.com/channels/1/1/10", 100.0))
    assert recent.earlier(1, "f", 699.0) is not None
    assert recent.earlier(1, "f", 701.0) is None
    assert recent.earlier(2, "f", 200.0) is None
    assert recent.earlier(1, "g", 200.0) is None


def test_forget_deleted_answer() -> None:
    """A deleted answer is no longer pointed to."""
    recent = RecentAnswers(600)
    recent.record(1, "f", Posted(10, "u", 0.0))
    recent.forget(10)
    assert recent.earlier(1, "f", 1.0) is None


def test_zero_window_disables_suppression() -> None:
    """Window 0 never points anywhere."""
    recent = RecentAnswers(0)
    recent.record(1, "f", Posted(10, "u", 0.0))
    assert recent.earlier(1, "f", 0.0) is None


def test_recent_memory_is_bounded_and_pruned() -> None:
    """Expired and excess entries are dropped as new ones arrive."""
    recent = RecentAnswers(100, max_entries=5)
    for i in range(20):
        recent.record(1, f"f{i}", Posted(i, "u", float(i)))
    assert len(recent._posted) == 5
    recent.record(2, "late", Posted(99, "u", 1000.0))
    assert list(recent._posted) == [(2, "late")]
