"""Unit tests of the fixed-window rate limiter, on an injected clock."""

from __future__ import annotations

import pytest

from sandbox.ratelimit import PLANS, RateLimiter


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_studio_allows_30_in_10_seconds_then_refuses_until_the_window_closes() -> None:
    clock = Clock()
    limiter = RateLimiter.for_plan("studio", clock)
    decisions = [limiter.hit("t") for _ in range(30)]
    assert all(d.allowed for d in decisions)
    assert [d.remaining for d in decisions] == list(range(29, -1, -1))
    assert {(d.limit, d.reset) for d in decisions} == {(30, 1_000_010)}
    clock.now += 3.2
    refused = limiter.hit("t")
    assert not refused.allowed and refused.remaining == 0 and refused.retry_after == 7
    assert dict(refused.headers())["Retry-After"] == "7"
    assert "Retry-After" not in dict(decisions[0].headers())
    clock.now = 1_000_010.0
    again = limiter.hit("t")
    assert again.allowed and again.remaining == 29 and again.reset == 1_000_020


def test_the_minute_window_takes_over_when_it_is_the_tighter() -> None:
    clock = Clock(0.0)
    limiter = RateLimiter([(3, 10), (5, 60)], clock)
    assert [limiter.hit("t").remaining for _ in range(3)] == [2, 1, 0]
    assert not limiter.hit("t").allowed  # the 10 s window is full; not counted
    clock.now = 10.0
    d = limiter.hit("t")
    assert d.allowed and (d.limit, d.remaining, d.reset) == (5, 1, 60)
    d = limiter.hit("t")
    assert d.allowed and (d.limit, d.remaining, d.reset) == (5, 0, 60)
    clock.now = 10.5
    d = limiter.hit("t")
    assert not d.allowed and (d.limit, d.reset, d.retry_after) == (5, 60, 50)
    clock.now = 60.0
    assert limiter.hit("t").allowed


def test_keys_are_independent_and_refusals_are_not_counted() -> None:
    clock = Clock()
    limiter = RateLimiter([(2, 10)], clock)
    assert limiter.hit("a").allowed and limiter.hit("a").allowed
    for _ in range(5):
        assert not limiter.hit("a").allowed
    assert limiter.hit("b").allowed
    clock.now += 10
    assert limiter.hit("a").remaining == 1


def test_plans() -> None:
    assert PLANS["studio"] == [(30, 10), (600, 60)]
    assert PLANS["agency"] == [(60, 10), (1200, 60)]
    unlimited = RateLimiter.for_plan("unlimited", Clock())
    assert unlimited.unlimited and all(unlimited.hit("t").allowed for _ in range(5000))
    with pytest.raises(ValueError, match="unknown Hoursmith plan"):
        RateLimiter.for_plan("gold")
