"""Fixed-window rate limiting per key (Hoursmith's per-token limits, contract section 5).

Each key gets one counter per window length. A window opens with the key's first request after
the previous window of that length has closed and lasts exactly its length, so a burst of
requests is judged the same way whenever it starts. Refused requests are not counted.

>>> limiter = RateLimiter([(30, 10), (600, 60)], clock=lambda: 1000.0)
>>> limiter.hit("token").allowed
True
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

PLANS: dict[str, list[tuple[int, int]]] = {
    "studio": [(30, 10), (600, 60)],
    "agency": [(60, 10), (1200, 60)],
    "unlimited": [],
}


@dataclass(frozen=True, slots=True)
class Decision:
    """The verdict on one request, and the window that constrains the key most."""

    allowed: bool
    limit: int
    remaining: int
    reset: int  # Unix seconds at which that window closes
    retry_after: int  # seconds to wait before retrying; 0 when allowed

    def headers(self) -> list[tuple[str, str]]:
        """The ``X-RateLimit-*`` headers (and ``Retry-After`` when refused).

        Returns:
            Header name and value pairs for the response.
        """
        out = [
            ("X-RateLimit-Limit", str(self.limit)),
            ("X-RateLimit-Remaining", str(self.remaining)),
            ("X-RateLimit-Reset", str(self.reset)),
        ]
        if not self.allowed:
            out.append(("Retry-After", str(self.retry_after)))
        return out


class RateLimiter:
    """Counts requests per key in fixed windows of several lengths."""

    def __init__(
        self, windows: list[tuple[int, int]], clock: Callable[[], float] = time.time
    ) -> None:
        """Create a limiter.

        Args:
            windows: ``(max requests, window length in seconds)`` pairs; empty never limits.
            clock: Returns the current Unix time in seconds (injectable for tests).
        """
        self.windows = list(windows)
        self.clock = clock
        self._state: dict[str, list[list[float]]] = {}  # key -> [[window start, count], ...]
        self._lock = threading.Lock()

    @classmethod
    def for_plan(cls, plan: str, clock: Callable[[], float] = time.time) -> RateLimiter:
        """A limiter with one of the :data:`PLANS`.

        Args:
            plan: ``studio``, ``agency`` or ``unlimited``.
            clock: Returns the current Unix time in seconds.

        Returns:
            The limiter.

        Raises:
            ValueError: On an unknown plan.
        """
        if plan not in PLANS:
            raise ValueError(f"unknown Hoursmith plan {plan!r}; choose one of {', '.join(PLANS)}")
        return cls(PLANS[plan], clock)

    @property
    def unlimited(self) -> bool:
        """True when no window applies (no headers, never refused)."""
        return not self.windows

    def hit(self, key: str) -> Decision:
        """Count one request for ``key`` unless a window is already full.

        Args:
            key: What the limits apply to (the API token).

        Returns:
            Whether the request may proceed, and the most constraining window's figures.
        """
        now = self.clock()
        with self._lock:
            state = self._state.setdefault(key, [[-math.inf, 0] for _ in self.windows])
            for (_, length), slot in zip(self.windows, state, strict=True):
                if now >= slot[0] + length:
                    slot[0], slot[1] = now, 0
            full = [
                i
                for i, ((limit, _), slot) in enumerate(zip(self.windows, state, strict=True))
                if slot[1] >= limit
            ]
            if not full:
                for slot in state:
                    slot[1] += 1
            figures = []
            for (limit, length), slot in zip(self.windows, state, strict=True):
                end = slot[0] + length
                figures.append((max(limit - int(slot[1]), 0), -end, limit, end))
        if not figures:
            return Decision(True, 0, 0, 0, 0)
        remaining, _, limit, end = min(figures)
        retry = 0
        if full:
            retry = max(math.ceil(state_end - now) for state_end in (figures[i][3] for i in full))
            retry = max(retry, 1)
        return Decision(not full, limit, remaining, math.ceil(end), retry)
