"""Crash points: a test hook that kills the process at a named point of a sync.

Set ``LEDGERLINE_CRASH_AT="<point>:<n>"`` and the process kills itself with ``SIGKILL`` (no
clean-up, no ``finally``, no atexit: what a power cut or the OOM killer does) the ``n``-th time
(1-based, counted over the whole process) it passes ``<point>``. The reliability tests use it to
prove that the next run finishes the interrupted work and ends with the warehouse an
uninterrupted run would have built. Unset (always, outside those tests), every point is a
single dictionary lookup.

Points, in the order a sync passes them:

- ``extract.page``: a page of any vendor's API was received (during extraction).
- ``normalize.start``: a vendor's extracted package is about to be normalized.
- ``normalize.progress``: dlt reported normalize progress (inside normalize: files written to
  the new load package, which is not yet committed).
- ``load.start``: a vendor's normalized package is about to be loaded.
- ``load.job``: a load job completed (between load jobs; after the last one, before the
  package is marked loaded in ``_dlt_loads``).
- ``transform.model``: a model was built (inside the build's one transaction).
- ``publish``: the build committed; the published copy is about to be replaced.
"""

from __future__ import annotations

import os
import signal
import threading
from collections import Counter
from typing import Any

from dlt.common.runtime.collector import NullCollector

ENV = "LEDGERLINE_CRASH_AT"
POINTS = (
    "extract.page",
    "normalize.start",
    "normalize.progress",
    "load.start",
    "load.job",
    "transform.model",
    "publish",
)

_passed: Counter[str] = Counter()
_lock = threading.Lock()


def target() -> tuple[str, int] | None:
    """The configured ``(point, n)``, or None when no crash is asked for."""
    raw = os.environ.get(ENV)
    if not raw:
        return None
    point, _, n = raw.rpartition(":")
    if point not in POINTS or not n.isdigit() or int(n) < 1:
        raise ValueError(
            f"{ENV} must be <point>:<n> with a point among {', '.join(POINTS)}, not {raw!r}"
        )
    return point, int(n)


def reached(point: str) -> None:
    """Pass ``point``; SIGKILL the process if this is the configured crash."""
    crash = target()
    if crash is None or crash[0] != point:
        return
    with _lock:
        _passed[point] += 1
        count = _passed[point]
    if count == crash[1]:
        os.kill(os.getpid(), signal.SIGKILL)


class CrashCollector(NullCollector):
    """A dlt progress collector that passes the normalize and load crash points.

    dlt reports normalize progress while it writes the new load package, and one ``Jobs``
    update each time a load job completes (after its file moved to ``completed_jobs``).
    """

    def __init__(self) -> None:
        self.step = ""

    def update(
        self, name: str, inc: int = 1, total: int | None = None, *args: Any, **kwargs: Any
    ) -> None:
        if self.step.startswith("Normalize") and inc:
            reached("normalize.progress")
        elif self.step.startswith("Load") and name == "Jobs" and inc and total is None:
            reached("load.job")

    def _start(self, step: str) -> None:
        self.step = step

    def _stop(self) -> None:
        self.step = ""


def collector() -> Any:
    """A collector for :func:`dlt.pipeline` when a crash is configured, else None (dlt's default)."""
    return CrashCollector() if target() is not None else None


def page_listener() -> Any:
    """A :class:`~sources.http.SyncStats` listener passing ``extract.page`` once per new page."""
    seen = {"pages": 0}
    lock = threading.Lock()

    def listen(stats: Any) -> None:
        with lock:
            new = stats.pages - seen["pages"]
            seen["pages"] = stats.pages
        for _ in range(max(0, new)):
            reached("extract.page")

    return listen
