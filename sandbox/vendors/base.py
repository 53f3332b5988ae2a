"""What every vendor emulator shares: routing, auth, record caches, wire formats, pagination.

Records are rendered once to JSON bytes and kept; a page is the concatenation of its records'
bytes inside the vendor's envelope, so serving a page costs a slice and a join. After the clock
moves, only the records the world reports as changed are rendered again. Whole page bodies are
kept too (an LRU bounded in bytes, emptied when the clock moves), so a page read again costs a
dictionary look-up; :meth:`VendorApp.warm` renders every record and builds the usual listings
before the sandbox listens, so no client pays for the first render.
"""

from __future__ import annotations

import functools
import gc
import re
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import orjson

from sandbox.faults import FaultPlan
from sandbox.http import Request, Response
from sandbox.world import World
from sandbox.world.model import Customer, Document

JSON = "application/json; charset=utf-8"
DUPLICATE_OFFSET = 37  # a duplicated record shows again this many places later: on another page
PAGE_CACHE_BYTES = 32 << 20  # whole response bodies kept per emulator (LRU, bytes of bodies)


# ----------------------------------------------------------------------------- wire values


@functools.lru_cache(maxsize=1 << 16, typed=True)  # amounts, quantities and rates repeat a lot
def num(cents: int) -> orjson.Fragment:
    """An exact JSON number for an amount in cents, written as JavaScript would (12.3, 12, 0.05)."""
    return orjson.Fragment(num_text(cents).encode())


def num_text(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    q, r = divmod(abs(cents), 100)
    if r == 0:
        return f"{sign}{q}"
    if r % 10 == 0:
        return f"{sign}{q}.{r // 10}"
    return f"{sign}{q}.{r:02d}"


def money_str(cents: int) -> str:
    """Money as a string with two decimals (Hoursmith): "1234.50"."""
    sign = "-" if cents < 0 else ""
    q, r = divmod(abs(cents), 100)
    return f"{sign}{q}.{r:02d}"


def rate_text(rate_bp: int) -> str:
    """A VAT rate in percent, shortest form: 2000 -> "20", 550 -> "5.5", 210 -> "2.1"."""
    return num_text(rate_bp)


def rate_num(rate_bp: int) -> orjson.Fragment:
    return num(rate_bp)


def ts_ms(dt: datetime | None) -> str | None:
    """``2019-08-24T14:15:22.123Z``."""
    if dt is None:
        return None
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def ts_s(dt: datetime | None) -> str | None:
    """``2019-08-24T14:15:22Z``."""
    return None if dt is None else dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def day_iso(d: date | None) -> str | None:
    return None if d is None else d.isoformat()


def day_ts(d: date | None) -> str | None:
    """A date rendered as a midnight UTC timestamp with milliseconds (Baloom, Katsu, Wuro)."""
    return None if d is None else f"{d.isoformat()}T00:00:00.000Z"


def dumps(obj: Any) -> bytes:
    return orjson.dumps(obj)


def builtin(obj: Any) -> Any:
    """A subclass of a builtin type as the builtin (what orjson writes for it by default)."""
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, str):
        return str(obj)
    if isinstance(obj, dict):
        return dict(obj)
    if isinstance(obj, list):
        return list(obj)
    raise TypeError(f"cannot serialize {type(obj).__name__}")


def envelope(head: bytes, records: list[bytes], tail: bytes) -> bytes:
    """``head + "[" + records joined by "," + "]" + tail``, copying the records once.

    ``records`` is a fresh list (a page slice); its first and last items are replaced.
    """
    if not records:
        return head + b"[]" + tail
    records[0] = head + b"[" + records[0]
    records[-1] = records[-1] + b"]" + tail
    return b",".join(records)


# ----------------------------------------------------------------------------- credentials


@dataclass(frozen=True, slots=True)
class Credentials:
    """The sandbox's credentials: deterministic per seed, printed by ``sandbox serve``."""

    baloom_api_key: str
    katsu_token: str
    ibana_token: str
    wuro_app_id: str
    wuro_app_secret: str
    hoursmith_token: str

    @classmethod
    def for_seed(cls, seed: int) -> Credentials:
        import hashlib

        def h(label: str, n: int) -> str:
            return hashlib.sha256(f"ledgerline-sandbox/{seed}/{label}".encode()).hexdigest()[:n]

        return cls(
            baloom_api_key=f"blm_{h('baloom', 32)}",
            katsu_token=f"katsu_{h('katsu', 40)}",
            ibana_token=f"ibn_{h('ibana', 40)}",
            wuro_app_id=h("wuro-id", 24),
            wuro_app_secret=h("wuro-secret", 48),
            hoursmith_token=f"hsk_test_{h('hs-prefix', 12)}_{h('hs-secret', 32)}",
        )


# ----------------------------------------------------------------------------- the app


Handler = Callable[..., Response]


class VendorApp:
    """Base class of the five emulators."""

    name = ""
    prefix = ""  # path prefix of the vendor's base URL (Wuro "/api/v3.2", Hoursmith "/api/v1")
    # Request headers, besides the query, that change an answer (part of the page cache key).
    vary: tuple[str, ...] = ()
    # Targets (below ``prefix``) that :meth:`warm` requests: every list in the orders the
    # contract defaults to and the sources use, and one single-object look-up per index.
    warm_targets: tuple[str, ...] = ()

    def __init__(self, world: World, faults: FaultPlan, creds: Credentials) -> None:
        self.world = world
        self.faults = faults
        self.creds = creds
        self._routes: list[tuple[re.Pattern[str], Handler]] = []
        self._cache: dict[tuple[str, str], bytes] = {}
        self._lists: dict[str, list[tuple[str, bytes]]] = {}
        self._filtered: dict[tuple[Any, ...], list[tuple[str, bytes]]] = {}
        self._indexes: dict[str, dict[str, bytes]] = {}
        self._pages: OrderedDict[tuple[Any, ...], tuple[int, bytes, str]] = OrderedDict()
        self._page_bytes = 0
        self.page_cache_bytes = PAGE_CACHE_BYTES
        self.routes()

    # -- to implement
    def routes(self) -> None:
        raise NotImplementedError

    def authorized(self, req: Request) -> bool:
        raise NotImplementedError

    def error(self, status: int, message: str) -> Response:
        raise NotImplementedError

    # -- routing
    def route(self, pattern: str, handler: Handler) -> None:
        """Register ``handler`` for GET ``prefix + pattern``; ``{name}`` captures a path part."""
        regex = re.escape(self.prefix + pattern).replace(r"\{", "{").replace(r"\}", "}")
        regex = re.sub(r"{(\w+)}", r"(?P<\1>[^/]+)", regex)
        self._routes.append((re.compile(regex), handler))

    def handle(self, req: Request) -> Response:
        if not self.authorized(req):
            return self.error(401, "Unauthorized")
        return self.dispatch(req)

    def dispatch(self, req: Request) -> Response:
        """Route an authorized request, answering a page read before from the page cache."""
        key = None
        if req.fault is None and req.method == "GET":
            query = tuple(sorted((k, tuple(v)) for k, v in req.query.items()))
            key = (req.path, query, *map(req.headers.get, self.vary))
            hit = self._pages.get(key)
            if hit is not None:
                self._pages.move_to_end(key)
                return Response(hit[0], hit[1], hit[2])
        resp = self.route_request(req)
        if key is not None and resp.status == 200 and not resp.headers:
            self._remember(key, resp)
        return resp

    def route_request(self, req: Request) -> Response:
        path = req.path.rstrip("/") or "/"
        for pattern, handler in self._routes:
            m = pattern.fullmatch(path)
            if m:
                if req.method != "GET":
                    return self.error(405, "Method not allowed")
                return handler(req, **m.groupdict())
        return self.error(404, "Not Found")

    def _remember(self, key: tuple[Any, ...], resp: Response) -> None:
        size = len(resp.body)
        if size > self.page_cache_bytes // 8:
            return
        self._pages[key] = (resp.status, resp.body, resp.content_type)
        self._page_bytes += size
        while self._page_bytes > self.page_cache_bytes:
            _, old = self._pages.popitem(last=False)
            self._page_bytes -= len(old[1])

    def forget_pages(self) -> None:
        """Drop every cached response body (the data behind them changed)."""
        self._pages.clear()
        self._page_bytes = 0

    def warm(self) -> None:
        """Render every record and build the usual listings now, not on a client's first read.

        Requests :attr:`warm_targets` as an authorized client would, through the same code (so
        it builds exactly the caches those requests use); their answers are not kept. The
        cyclic garbage collector is paused meanwhile: the renders allocate millions of
        short-lived objects that reference counting frees, over a large long-lived world.
        """
        from sandbox.http import parse_request

        enabled = gc.isenabled()
        gc.disable()
        try:
            for target in self.warm_targets:
                req = parse_request(f"GET {self.prefix}{target} HTTP/1.1\r\n\r\n".encode())
                self.route_request(req)
        finally:
            if enabled:
                gc.enable()

    def json(
        self, obj: Any, status: int = 200, headers: list[tuple[str, str]] | None = None
    ) -> Response:
        return Response(status, orjson.dumps(obj), JSON, headers or [])

    # -- record caches
    def cached(
        self, kind: str, rid: str, render: Callable[[], dict[str, Any]], doc: Document | None = None
    ) -> bytes:
        """Bytes of one record, rendered once (and malformed once, under ``hostile``)."""
        key = (kind, rid)
        data = self._cache.get(key)
        if data is None:
            obj = render()
            if doc is not None:
                fault = self.faults.record_fault(self.name, rid)
                if fault in ("bad_amount", "missing_id", "unknown_enum"):
                    obj = self.corrupt(fault, obj)
            if self.faults.drift:
                obj = self.faults.reshape(self.name, kind, obj)
            # orjson's bytes keep its whole output buffer (4 kB and up, whatever the record's
            # size): a tight copy makes the record cache 5-10 times smaller
            data = bytes(memoryview(self.encode(obj)))
            self._cache[key] = data
        return data

    def encode(self, obj: Any) -> bytes:
        """JSON bytes of one rendered record (vendors with their own amount types override)."""
        return orjson.dumps(obj)

    def corrupt(self, fault: str, obj: dict[str, Any]) -> dict[str, Any]:
        """Malform one rendered document record; vendors say which fields."""
        raise NotImplementedError

    def listing(
        self, kind: str, build: Callable[[], Iterable[tuple[str, bytes]]], docs: bool = False
    ) -> list[tuple[str, bytes]]:
        """The full ordered list for one endpoint, cached until the clock moves.

        Under ``hostile``, a few document records show twice, the copy further down the list.
        """
        items = self._lists.get(kind)
        if items is None:
            items = list(build())
            if docs and self.faults.profile == "hostile":
                items = self._with_duplicates(items)
            self._lists[kind] = items
        return items

    def _with_duplicates(self, items: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
        out = list(items)
        inserts = [
            i
            for i, (rid, _) in enumerate(items)
            if self.faults.record_fault(self.name, rid) == "duplicate"
        ]
        for shift, i in enumerate(inserts):
            pos = min(i + shift + DUPLICATE_OFFSET, len(out))
            out.insert(pos, items[i])
        return out

    def index(
        self, kind: str, build: Callable[[], Iterable[tuple[str, bytes]]], docs: bool = False
    ) -> dict[str, bytes]:
        """Record bytes by id for one endpoint (single-object GETs), cached like the listing."""
        idx = self._indexes.get(kind)
        if idx is None:
            idx = dict(self.listing(kind, build, docs))
            self._indexes[kind] = idx
        return idx

    def filtered(
        self, key: tuple[Any, ...], items: list[tuple[str, bytes]], keep: Callable[[str], bool]
    ) -> list[tuple[str, bytes]]:
        """A filtered view of a listing, cached until the clock moves."""
        hit = self._filtered.get(key)
        if hit is None:
            hit = [it for it in items if keep(it[0])]
            self._filtered[key] = hit
        return hit

    def forget_all(self) -> None:
        """Forget every rendered record (the records' shape changed: :class:`~sandbox.faults.Drift`)."""
        self.refresh({rid for _, rid in self._cache})

    def refresh(self, changed: set[str]) -> None:
        """Forget what the last clock advance changed."""
        for key in [k for k in self._cache if k[1] in changed]:
            del self._cache[key]
        self._lists.clear()
        self._filtered.clear()
        self._indexes.clear()
        self.forget_pages()

    # -- pagination
    @staticmethod
    def int_arg(req: Request, name: str, default: int, lo: int, hi: int | None = None) -> int:
        raw = req.arg(name)
        if raw is None or raw == "":
            return default
        value = int(raw)  # ValueError -> caller answers 400
        if value < lo or (hi is not None and value > hi):
            raise ValueError(name)
        return value

    @staticmethod
    def page_items(
        req: Request, items: list[tuple[str, bytes]], start: int, limit: int
    ) -> list[bytes]:
        """The records of one page; ``empty_page`` and ``repeat_page`` faults apply here."""
        if req.fault == "empty_page" and start < len(items):
            return []
        if req.fault == "repeat_page" and start >= limit:
            start -= limit
        return [b for _, b in items[start : start + limit]]

    @staticmethod
    def join(records: list[bytes]) -> bytes:
        return b"[" + b",".join(records) + b"]"

    @staticmethod
    def envelope(head: bytes, records: list[bytes], tail: bytes) -> bytes:
        return envelope(head, records, tail)

    # -- shared lookups
    def customer_by_id(self) -> dict[str, Customer]:
        return {c.id: c for c in self.world.customers(self.name)}

    def live_docs(self, endpoint: str = "invoices") -> list[Document]:
        """Visible documents of one endpoint, without hard-deleted ones."""
        return [
            d
            for d in self.world.documents(self.name)
            if d.endpoint == endpoint and d.deleted != "hard"
        ]
