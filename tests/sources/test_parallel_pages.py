"""Pages of a known total are fetched in parallel while that pays off, in order either way."""

from __future__ import annotations

import ssl
import threading
import time
from typing import Any

import httpx
import pytest

from sources import http
from sources.http import Parallelism, fetch_pages


class Clock:
    """A process's CPU time and wall clock, advanced by hand."""

    def __init__(self) -> None:
        self.now = 0.0
        self.cpu = 0.0

    def spend(self, seconds: float, cores: float) -> None:
        self.now += seconds
        self.cpu += seconds * cores


def steered(clock: Clock) -> Parallelism:
    return Parallelism(interval=0.5, cpu_seconds=lambda: clock.cpu, clock=lambda: clock.now)


def test_the_level_doubles_while_waiting_halves_while_busy_and_holds_in_between() -> None:
    clock = Clock()
    p = steered(clock)
    levels = []
    for cores in (0.1, 0.1, 0.1, 0.1, 0.1, 0.65, 0.95, 0.95, 0.95, 0.95):
        clock.spend(0.5, cores)
        levels.append(p.level(workers=8))
    assert levels == [2, 4, 8, 8, 8, 8, 4, 2, 1, 1]
    # within an interval the level stands, whatever happens meanwhile
    clock.spend(0.2, 0.0)
    assert p.level(workers=8) == 1
    # never more than the endpoint's workers, even where the process-wide level is higher
    for _ in range(3):
        clock.spend(0.5, 0.0)
        p.level(workers=8)
    assert p.level(workers=8) == 8
    assert p.level(workers=3) == 3


class Tracker:
    """A page fetch that records how many run at once, and in which threads."""

    def __init__(self, wait: float) -> None:
        self.wait = wait
        self.lock = threading.Lock()
        self.running = 0
        self.most = 0
        self.threads: set[str] = set()

    def __call__(self, n: int) -> int:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
            self.threads.add(threading.current_thread().name)
        time.sleep(self.wait)
        with self.lock:
            self.running -= 1
        return n


def test_a_process_waiting_on_the_network_fetches_pages_in_parallel_in_order() -> None:
    fetch = Tracker(wait=0.01)  # a vendor's latency: the process sits idle
    pages = list(range(1, 201))

    got = list(fetch_pages(fetch, pages, workers=8, parallelism=Parallelism(interval=0.02)))

    assert got == pages
    assert 2 <= fetch.most <= 8
    assert any(name.startswith("ledgerline-page") for name in fetch.threads)


def test_a_busy_process_fetches_pages_one_after_another_in_its_own_thread() -> None:
    clock = Clock()
    fetch = Tracker(wait=0.0)
    p = steered(clock)

    def busy_fetch(n: int) -> int:
        clock.spend(0.3, 1.0)  # answered at once: the process computes all the time
        return fetch(n)

    got = list(fetch_pages(busy_fetch, list(range(1, 51)), workers=8, parallelism=p))

    assert got == list(range(1, 51))
    assert fetch.most == 1
    assert fetch.threads == {threading.current_thread().name}


def test_vendor_clients_made_at_once_share_one_tls_context(monkeypatch: pytest.MonkeyPatch) -> None:
    """The vendors' threads build their clients at the same moment: one context is made."""
    made = []
    real = httpx.create_ssl_context

    def counted(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        time.sleep(0.05)  # wide enough for every thread to ask before the first is done
        made.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(httpx, "create_ssl_context", counted)
    http._new_tls_context.cache_clear()
    barrier = threading.Barrier(5)
    contexts = []

    def build() -> None:
        barrier.wait()
        contexts.append(http.tls_context())

    threads = [threading.Thread(target=build) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    http._new_tls_context.cache_clear()  # the next test makes its own with the real function
    assert len(made) == 1
    assert len(contexts) == 5 and all(c is contexts[0] for c in contexts)
