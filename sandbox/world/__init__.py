"""The deterministic business world behind the five vendor emulators.

>>> world = World(seed=7, scale=200)
>>> world.clock
datetime.date(2026, 11, 2)
>>> changed = world.advance(1)   # new documents, payments, deletes of the next day

The world at a clock day is a pure function of (seed, scale, day).
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

from sandbox.world.books import BOOKS, Books
from sandbox.world.model import VENDORS, Customer, Document, Party
from sandbox.world.parties import make_party

DEFAULT_START = date(2026, 11, 2)
HISTORY_DAYS = 760
DAY_END = time(18, 0)


class World:
    """All five vendors' books for one business, at one sandbox clock day."""

    def __init__(
        self,
        seed: int = 42,
        scale: int = 1000,
        start: date = DEFAULT_START,
        history_days: int = HISTORY_DAYS,
    ) -> None:
        if scale < 1:
            raise ValueError("scale must be at least 1 invoice per vendor")
        self.seed = seed
        self.scale = scale
        self.start = start
        self.clock = start
        rng = random.Random(f"{seed}/parties")
        n_customers = max(5, scale // 20)
        n_parties = max(12, int(n_customers * 5 / 1.6))
        self.parties: list[Party] = [make_party(i + 1, rng) for i in range(n_parties)]
        self.books: dict[str, Books] = {
            v: BOOKS[v](seed, scale, start, history_days, self.parties) for v in VENDORS
        }
        self._watch: dict[date, list[Document]] = defaultdict(list)
        for books in self.books.values():
            for doc in books.generate_until(start):
                self._index(doc)
        self._materialize_all()

    @property
    def now(self) -> datetime:
        """The sandbox instant: the clock day at 18:00 UTC (business is done for the day)."""
        return datetime.combine(self.clock, DAY_END, UTC)

    def documents(self, vendor: str) -> list[Document]:
        """Documents created at or before the clock, in creation order (hard-deleted included)."""
        return [d for d in self.books[vendor].docs if d.visible]

    def customers(self, vendor: str) -> list[Customer]:
        return self.books[vendor].customers

    def _index(self, doc: Document) -> None:
        days = {e.at.date() for e in doc.events}
        days.add(doc.created_at.date())
        # time alone moves a document into "overdue" states without any event
        days.add(doc.due_date + timedelta(days=1))
        days.add(doc.due_date + timedelta(days=61))
        if "due_date" in {k for e in doc.events if e.kind == "edit" for k in e.payload}:
            for e in doc.events:
                if e.kind == "edit" and "due_date" in e.payload:
                    days.add(e.payload["due_date"] + timedelta(days=1))
                    days.add(e.payload["due_date"] + timedelta(days=61))
        for d in days:
            if d > self.start:
                self._watch[d].append(doc)

    def _materialize_all(self) -> None:
        now = self.now
        for books in self.books.values():
            for doc in books.docs:
                doc.materialize(now)
            for c in books.customers:
                c.materialize(now)

    def advance(self, days: int = 1) -> dict[str, set[str]]:
        """Move the clock ``days`` forward and apply that period's business events.

        Returns, per vendor, the ids of documents and customers whose rendering may have
        changed (so the emulators refresh only those).
        """
        if days < 0:
            raise ValueError("the sandbox clock only moves forward")
        old = self.clock
        self.clock = old + timedelta(days=days)
        now = self.now
        changed: dict[str, set[str]] = {v: set() for v in VENDORS}
        for vendor, books in self.books.items():
            for doc in books.generate_until(self.clock):
                self._index(doc)
            for c in books.customers:
                before = c.deleted
                c.materialize(now)
                if c.deleted != before:
                    changed[vendor].add(c.id)
        d = old + timedelta(days=1)
        while d <= self.clock:
            for doc in self._watch.pop(d, []):
                doc.materialize(now)
                changed[doc.vendor].add(doc.id)
            d += timedelta(days=1)
        return changed
