"""A live per-source progress display: pages, rows, retries and waits as they happen."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from rich.console import Console
from rich.live import Live
from rich.table import Table

from sources.http import SyncStats

_listeners: list[Callable[[SyncStats], None]] = []


def new_stats(vendor: str) -> SyncStats:
    """Counters for one vendor's run, wired to whatever display is listening."""
    stats = SyncStats(vendor)
    stats.listeners.extend(_listeners)
    return stats


class SyncProgress:
    """Shows one line per source while a sync runs (a context manager)."""

    def __init__(self, vendors: list[str], console: Console) -> None:
        self.vendors = vendors
        self.console = console
        self.stats: dict[str, SyncStats] = {}
        self._last = 0.0
        self._lock = threading.Lock()
        self._live = Live(self._table(), console=console, refresh_per_second=8, transient=False)

    def _table(self) -> Table:
        t = Table(title="sync", expand=False)
        for col in ("source", "requests", "pages", "rows", "rejected", "retries", "waited (s)"):
            t.add_column(col, justify="right" if col != "source" else "left")
        for v in self.vendors:
            s = self.stats.get(v)
            if s is None:
                t.add_row(v, "-", "-", "-", "-", "-", "-")
            else:
                t.add_row(
                    v,
                    str(s.requests),
                    str(s.pages),
                    f"{s.rows:,}",
                    str(s.rejected),
                    str(s.retries),
                    f"{s.waited:.1f}",
                )
        return t

    def update(self, stats: SyncStats) -> None:
        with self._lock:
            self.stats[stats.vendor] = stats
            now = time.monotonic()
            if now - self._last < 0.1:
                return
            self._last = now
        self._live.update(self._table())

    def __enter__(self) -> SyncProgress:
        _listeners.append(self.update)
        self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        _listeners.remove(self.update)
        self._live.update(self._table())
        self._live.__exit__(None, None, None)
