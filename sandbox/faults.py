"""Seeded, reproducible fault profiles.

Transport faults are decided per request from a hash of (seed, vendor, request target, how
many times that exact target was asked before), so they do not depend on the order in which a
parallel client sends its requests, and every request succeeds by its fourth attempt.

Record faults (``hostile`` only) are decided per record from (seed, vendor, record id): the same
records are malformed on every read, so tests know exactly which must be rejected.

Schema drift (:class:`Drift`, any profile) changes the shape of every record of one vendor's
record kind, as a vendor shipping a new API version would: a field added, a number sent as a
string, a field dropped.
"""

from __future__ import annotations

import hashlib
import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from sandbox.http import Request

PROFILES = ("none", "flaky", "hostile")
MAX_FAULTY_ATTEMPTS = 3
RECORD_FAULTS = ("bad_amount", "missing_id", "unknown_enum", "duplicate")
# Cursor APIs cannot detect an empty or repeated page, so those faults stay on page APIs.
CURSOR_VENDORS = {"hoursmith"}
# Hoursmith documents retrying only 429 and 500: its emulator never sends 502 or 503.
STATUS_CODES = {"hoursmith": (500,)}


def unit(*parts: object) -> float:
    """A uniform number in [0, 1) from a hash of ``parts``."""
    digest = hashlib.blake2b("/".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


@dataclass(slots=True)
class Action:
    kind: str = "pass"  # pass | status | reset | truncate | html | empty_page | repeat_page
    status: int = 200
    retry_after: int | None = None
    delay: float = 0.0


PASS = Action()

DRIFT_CHANGES = ("add", "to_string", "drop")


@dataclass(frozen=True, slots=True)
class Drift:
    """A change to the shape of every record of one kind that one vendor serves.

    Args:
        vendor: The emulator (``"katsu"``).
        kind: Its record kind, as the emulator caches it: ``"invoice"``, ``"counterparty"``,
            ``"supplier_invoice"``, ``"customer_invoice"``, ``"client"``, ``"product"``...
        change: ``"add"`` a field (``value``), ``"to_string"`` (a number sent as its JSON text,
            ``12.5`` -> ``"12.5"``), or ``"drop"`` the field.
        field: The wire key.
        value: The added field's value.
    """

    vendor: str
    kind: str
    change: str
    field: str
    value: Any = None

    def __post_init__(self) -> None:
        if self.change not in DRIFT_CHANGES:
            raise ValueError(
                f"unknown drift {self.change!r}; choose one of {', '.join(DRIFT_CHANGES)}"
            )

    def apply(self, obj: dict[str, Any]) -> dict[str, Any]:
        """The record ``obj`` (a rendered, JSON-ready dict) reshaped by this drift."""
        obj = dict(obj)
        if self.change == "add":
            obj[self.field] = self.value
        elif self.change == "drop":
            obj.pop(self.field, None)
        elif obj.get(self.field) is not None and not isinstance(obj[self.field], str | bool):
            # the number's exact JSON text (amounts are orjson fragments or int subclasses)
            obj[self.field] = orjson.dumps(obj[self.field]).decode()
        return obj


class FaultPlan:
    """Decides, for each request, whether and how the sandbox misbehaves."""

    def __init__(self, profile: str = "none", seed: int = 0, drift: Iterable[Drift] = ()) -> None:
        if profile not in PROFILES:
            raise ValueError(
                f"unknown fault profile {profile!r}; choose one of {', '.join(PROFILES)}"
            )
        self.profile = profile
        self.seed = seed
        self.drift: tuple[Drift, ...] = tuple(drift)
        self._seen: dict[tuple[str, str], int] = defaultdict(int)
        self._lock = threading.Lock()
        self.injected: dict[str, int] = defaultdict(int)

    def decide(self, vendor: str, req: Request) -> Action:
        if self.profile == "none" or vendor == "admin":
            return PASS
        with self._lock:
            attempt = self._seen[(vendor, req.target)]
            self._seen[(vendor, req.target)] = attempt + 1
        if attempt >= MAX_FAULTY_ATTEMPTS:
            return PASS
        u = unit(self.seed, vendor, req.target, attempt)
        action = self._pick(vendor, u, unit(self.seed, vendor, req.target, attempt, "detail"))
        if action.kind != "pass" or action.delay:
            self.injected[action.kind if action.kind != "pass" else "slow"] += 1
        return action

    def _pick(self, vendor: str, u: float, v: float) -> Action:
        codes = STATUS_CODES.get(vendor, (500, 502, 503))
        if u < 0.04:
            return Action("status", status=codes[int(v * len(codes))])
        if u < 0.07:
            return Action("status", status=429, retry_after=1)
        if u < 0.085:
            return Action("reset")
        if u < 0.115:
            return Action(delay=0.05 + 0.25 * v)
        if self.profile != "hostile":
            return PASS
        if u < 0.135:
            return Action("truncate")
        if u < 0.145:
            return Action("html")
        if vendor in CURSOR_VENDORS:
            return PASS
        if u < 0.155:
            return Action("empty_page")
        if u < 0.165:
            return Action("repeat_page")
        return PASS

    def reshape(self, vendor: str, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        """A rendered record with the schema drifts of its vendor and kind applied."""
        for d in self.drift:
            if d.vendor == vendor and d.kind == kind:
                obj = d.apply(obj)
        return obj

    def record_fault(self, vendor: str, record_id: str) -> str | None:
        """The malformation applied to one document record, if any (``hostile`` only)."""
        if self.profile != "hostile":
            return None
        return record_fault(self.seed, vendor, record_id)


def record_fault(seed: int, vendor: str, record_id: str) -> str | None:
    u = unit(seed, vendor, record_id, "record")
    if u < 0.004:
        return "bad_amount"
    if u < 0.007:
        return "missing_id"
    if u < 0.010:
        return "unknown_enum"
    if u < 0.013:
        return "duplicate"
    return None
