"""The one HTTP layer of all five sources.

An :class:`ApiClient` keeps keep-alive connections per vendor and sends every request
through the same policy: timeouts; retries on 429, 5xx and broken connections with exponential
backoff and full jitter, honouring ``Retry-After`` up to a cap; a proactive request budget that
keeps under the vendor's published rate limits (read live from ``X-RateLimit-*`` headers when
the vendor sends them); and responses checked before they are trusted (status, content type,
complete JSON). :func:`fetch_pages` fetches the pages of one endpoint in parallel when their
number is known (which dlt's REST helper does not do), as many at once as pay off.

Nothing here ever puts a credential into a message, a log line or an exception.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import random
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx
import msgspec

log = logging.getLogger("ledgerline.sources")

_decoder = msgspec.json.Decoder(float_hook=Decimal)
T = TypeVar("T")


def decode_json(data: bytes) -> Any:
    """Decode JSON with every non-integer number as an exact :class:`~decimal.Decimal`."""
    return _decoder.decode(data)


# ----------------------------------------------------------------------------- errors


class SourceError(Exception):
    """A sync problem explained in one sentence that says what to do."""


class AuthError(SourceError):
    """The vendor refused the credentials (401/403)."""


class TransientError(SourceError):
    """A retryable failure that outlived every retry.

    ``unreachable`` when no attempt even connected (a wrong base URL, a host that is down):
    retrying the whole sync at once will not help either.
    """

    def __init__(self, message: str, unreachable: bool = False) -> None:
        super().__init__(message)
        self.unreachable = unreachable


class BadResponse(Exception):
    """A response that cannot be trusted (wrong content type, truncated or invalid JSON)."""


# ----------------------------------------------------------------------------- statistics


@dataclass
class SyncStats:
    """Counters of one vendor's sync, shared by its threads; shown in progress and summaries."""

    vendor: str
    requests: int = 0
    pages: int = 0
    rows: int = 0
    unchanged: int = 0  # records read again exactly as the warehouse holds them (not loaded)
    rejected: int = 0
    retries: int = 0
    waited: float = 0.0  # seconds spent waiting on rate limits and backoff
    errors: list[str] = field(default_factory=list)
    tables: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    listeners: list[Callable[[SyncStats], None]] = field(default_factory=list, repr=False)

    def add(self, **counts: float) -> None:
        with self._lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)
        for fn in self.listeners:
            fn(self)

    def add_rows(self, table: str, n: int) -> None:
        with self._lock:
            self.tables[table] = self.tables.get(table, 0) + n
            self.rows += n
        for fn in self.listeners:
            fn(self)

    def as_dict(self) -> dict[str, Any]:
        return {
            "vendor": self.vendor,
            "requests": self.requests,
            "pages": self.pages,
            "rows": self.rows,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "retries": self.retries,
            "waited_s": round(self.waited, 2),
            "tables": dict(self.tables),
        }


# ----------------------------------------------------------------------------- budget


class RequestBudget:
    """Keeps a client under a vendor's rate limits before the vendor has to say so.

    ``windows`` are (requests, seconds) pairs, all enforced as sliding windows over the times
    requests were sent. When the vendor reports ``X-RateLimit-Remaining: 0`` the budget also
    waits for ``X-RateLimit-Reset``.
    """

    def __init__(
        self, windows: list[tuple[int, float]], clock: Callable[[], float] = time.time
    ) -> None:
        self.windows = sorted(windows, key=lambda w: w[1])
        self.clock = clock
        self._sent: deque[float] = deque()
        self._blocked_until = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Block until one more request fits; return the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self.clock()
                delay = max(0.0, self._blocked_until - now)
                longest = self.windows[-1][1] if self.windows else 0
                while self._sent and self._sent[0] <= now - longest:
                    self._sent.popleft()
                for limit, seconds in self.windows:
                    in_window = [t for t in self._sent if t > now - seconds]
                    if len(in_window) >= limit:
                        delay = max(delay, in_window[-limit] + seconds - now + 0.01)
                if delay <= 0:
                    self._sent.append(now)
                    return waited
            time.sleep(delay)
            waited += delay

    def observe(self, headers: Mapping[str, str]) -> None:
        """Learn from the vendor's ``X-RateLimit-*`` headers."""
        remaining = headers.get("x-ratelimit-remaining")
        reset = headers.get("x-ratelimit-reset")
        limit = headers.get("x-ratelimit-limit")
        if remaining is None or reset is None:
            return
        with contextlib.suppress(ValueError), self._lock:
            if limit is not None and self.windows:
                # The plan may allow more (or less) than the documented default.
                first_limit, first_seconds = self.windows[0]
                if int(limit) != first_limit and int(limit) > 0:
                    self.windows[0] = (int(limit), first_seconds)
            if int(remaining) <= 0:
                self._blocked_until = max(self._blocked_until, float(reset))


# ----------------------------------------------------------------------------- client


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 8
    backoff: float = 0.2
    backoff_max: float = 15.0
    retry_after_cap: float = 60.0
    statuses: frozenset[int] = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Page:
    """One decoded response: its JSON body, and the server's clock from the Date header."""

    body: Any
    served_at: datetime | None
    headers: Mapping[str, str]


_TLS_LOCK = threading.Lock()


def tls_context() -> ssl.SSLContext:
    """The process's one TLS context, as httpx makes it (certifi's roots, or ``SSL_CERT_FILE``
    or ``SSL_CERT_DIR``): shared by every connection, since making one reads every root
    certificate (25 ms), and a sync opens dozens. Made once even when the vendors' threads
    ask at the same moment (each made its own, 0.1 s apiece side by side)."""
    with _TLS_LOCK:
        return _new_tls_context()


@functools.cache
def _new_tls_context() -> ssl.SSLContext:
    return httpx.create_ssl_context()


class Connections:
    """Kept-alive connections to one vendor, at most ``max_connections`` of them.

    One httpx client per connection, each used by one thread at a time: threads sharing one
    client's pool queue on its lock, which it holds across socket checks (with eight fetch
    threads per endpoint, most of their time went to that queue). Clients of the same vendor
    may share one (a page worker's rescans do): each rescan then reuses the connections, and
    their TLS sessions, of those before it.
    """

    def __init__(
        self,
        base_url: str,
        headers: Mapping[str, str],
        timeout: float = 30.0,
        max_connections: int = 8,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._options: dict[str, Any] = {
            "base_url": base_url,
            "headers": dict(headers),
            "timeout": httpx.Timeout(timeout, connect=10.0),
            "limits": httpx.Limits(max_connections=1, max_keepalive_connections=1),
            "follow_redirects": False,
            "transport": transport,
            "verify": tls_context(),
        }
        self._slots = threading.BoundedSemaphore(max(1, max_connections))
        self._idle: list[httpx.Client] = []
        self._clients: list[httpx.Client] = []
        self._lock = threading.Lock()

    @property
    def opened(self) -> int:
        """How many connections (clients) were made so far."""
        with self._lock:
            return len(self._clients)

    @contextlib.contextmanager
    def borrow(self) -> Iterator[httpx.Client]:
        """An idle client (a kept-alive connection), or a new one; at most ``max_connections``."""
        with self._slots:
            with self._lock:
                client = self._idle.pop() if self._idle else None
            if client is None:
                client = httpx.Client(**self._options)
                with self._lock:
                    self._clients.append(client)
            try:
                yield client
            finally:
                with self._lock:
                    self._idle.append(client)

    def close(self) -> None:
        with self._lock:
            clients, self._clients, self._idle = self._clients, [], []
        for client in clients:
            client.close()


class ApiClient:
    """A vendor's HTTP client: pooled, retrying, budgeted, and silent about secrets.

    ``connections`` shares another client's kept-alive connections (closed by their owner,
    not by :meth:`close`); by default the client has its own.
    """

    def __init__(
        self,
        vendor: str,
        base_url: str,
        headers: Mapping[str, str],
        *,
        credential_hint: str,
        budget: RequestBudget | None = None,
        policy: RetryPolicy | None = None,
        timeout: float = 30.0,
        max_connections: int = 8,
        stats: SyncStats | None = None,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
        connections: Connections | None = None,
    ) -> None:
        self.vendor = vendor
        self.base_url = base_url.rstrip("/")
        self.credential_hint = credential_hint
        self.budget = budget
        self.policy = policy or RetryPolicy()
        self.stats = stats or SyncStats(vendor)
        self.sleep = sleep
        self.headers = dict(headers)
        self.timeout = timeout
        self.transport = transport
        self._secrets = secrets_in(headers)
        # shared connections stay open for their owner (a page worker's later rescans)
        self._owns_connections = connections is None
        self.connections = connections or Connections(
            self.base_url, headers, timeout, max_connections, transport
        )

    def close(self) -> None:
        if self._owns_connections:
            self.connections.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        allow_404: bool = False,
        decode: Callable[[bytes], Any] = decode_json,
    ) -> Page | None:
        """GET ``path`` and decode it, retrying what is worth retrying.

        Returns None for a 404 when ``allow_404`` (a document deleted since it was listed).
        ``decode`` reads the body (it raises :class:`msgspec.DecodeError` on invalid JSON).
        """
        attempt = 0
        connected = False  # whether any attempt reached the vendor
        while True:
            attempt += 1
            if self.budget is not None:
                waited = self.budget.acquire()
                if waited:
                    self.stats.add(waited=waited)
            self.stats.add(requests=1)
            try:
                with self.connections.borrow() as http:
                    resp = http.get(path, params=params)
                connected = True
                if self.budget is not None:
                    self.budget.observe(resp.headers)
                if resp.status_code == 200:
                    return self._decode(resp, decode)
                if resp.status_code == 404 and allow_404:
                    return None
                if resp.status_code in (401, 403):
                    raise AuthError(
                        f"{self.vendor} refused the credentials (HTTP {resp.status_code}): "
                        f"set {self.credential_hint} to a valid value."
                    )
                if resp.status_code not in self.policy.statuses:
                    raise SourceError(
                        f"{self.vendor} answered HTTP {resp.status_code} to GET {path}: "
                        f"{self.scrub(_short(resp.text))}"
                    )
                retry_after = _retry_after(resp.headers.get("retry-after"))
                failure = f"HTTP {resp.status_code}"
            except (httpx.TransportError, BadResponse) as exc:
                retry_after = None
                failure = self.scrub(type(exc).__name__ + (f": {exc}" if str(exc) else ""))
                connected = connected or not isinstance(
                    exc, httpx.ConnectError | httpx.UnsupportedProtocol
                )
            if attempt >= self.policy.attempts and not connected:
                raise TransientError(
                    f"cannot reach {self.vendor} at {self.base_url} ({failure}, {attempt} attempts): "
                    f"check SOURCES__{self.vendor.upper()}__BASE_URL and the network, then run the sync again.",
                    unreachable=True,
                )
            if attempt >= self.policy.attempts:
                raise TransientError(
                    f"{self.vendor} kept failing on GET {path} ({failure}) after {attempt} attempts: "
                    "check the vendor's status and the base URL, then run the sync again."
                )
            delay = self._delay(attempt, retry_after)
            self.stats.add(retries=1, waited=delay)
            log.debug("%s: %s on %s, retry %d in %.2fs", self.vendor, failure, path, attempt, delay)
            self.sleep(delay)

    def _decode(self, resp: httpx.Response, decode: Callable[[bytes], Any]) -> Page:
        ctype = resp.headers.get("content-type", "")
        if "json" not in ctype:
            raise BadResponse(f"expected JSON, got {ctype or 'no content type'}")
        try:
            body = decode(resp.content)
        except msgspec.DecodeError as exc:
            raise BadResponse(f"invalid JSON ({exc})") from None
        served = None
        if "date" in resp.headers:
            with contextlib.suppress(TypeError, ValueError):
                served = parsedate_to_datetime(resp.headers["date"]).astimezone(UTC)
        return Page(body, served, resp.headers)

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.policy.retry_after_cap) + random.uniform(0, 0.1)
        cap = min(self.policy.backoff_max, self.policy.backoff * 2 ** (attempt - 1))
        return random.uniform(cap / 2, cap)  # jitter

    def scrub(self, text: str) -> str:
        """``text`` with every credential of this client replaced by ``***``."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


# Headers that carry no credential (their values are not scrubbed from messages).
PLAIN_HEADERS = frozenset({"accept", "content-type", "user-agent", "x-site-id"})


def secrets_in(headers: Mapping[str, str]) -> list[str]:
    """The credentials in request headers, longest first: each value, and the token of an
    ``Authorization: <scheme> <token>`` value on its own (a vendor may echo the bare token)."""
    found: set[str] = set()
    for name, value in headers.items():
        if not value or name.lower() in PLAIN_HEADERS:
            continue
        found.add(value)
        scheme, _, token = value.partition(" ")
        if token.strip() and scheme.isalpha():
            found.add(token.strip())
    return sorted(found, key=len, reverse=True)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        with contextlib.suppress(TypeError, ValueError):
            return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    return None


def _short(text: str, n: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[:n] + "…"


# ----------------------------------------------------------------------------- parallel pages


class Parallelism:
    """How parallel an endpoint's page fetching may be: as parallel as pays off.

    At level 1 the pages are fetched one after another; at level L up to 2L pages are requested
    ahead of the one being read, at most ``workers`` at once.

    Parallel requests pay while the process waits on the network (a vendor's latency); they
    only contend when it is busy computing, as against a vendor that answers within a
    millisecond (the sandbox, a LAN): Python runs one thread at a time. On the sandbox, eight
    page threads per vendor made an incremental run of the five vendors take 10.3-11.6 s and
    12.9-14.7 CPU-seconds against 7.9-9.4 s and 10.0-11.8 with one, and a full sync no faster
    (69.6 s vs 68.6 s at 100,000 invoices per vendor).

    So the level is steered by the process's CPU use, sampled every ``interval`` seconds: it
    doubles while the process uses less than ``idle`` of a core (it waits on the network) and
    halves while it uses more than ``busy`` (more threads would only contend). One level for
    the whole process, since its vendors share the interpreter. ``cpu_seconds`` and ``clock``
    are the process's CPU time and a monotonic clock (replaceable in tests).
    """

    def __init__(
        self,
        interval: float = 0.5,
        idle: float = 0.5,
        busy: float = 0.8,
        cpu_seconds: Callable[[], float] = time.process_time,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval, self.idle, self.busy = interval, idle, busy
        self._cpu_seconds, self._clock = cpu_seconds, clock
        self._lock = threading.Lock()
        self._level = 1
        self._since = clock()
        self._cpu = cpu_seconds()

    def level(self, workers: int) -> int:
        """The level allowed now, at most ``workers``."""
        now = self._clock()
        if now - self._since >= self.interval:
            with self._lock:
                elapsed = now - self._since
                if elapsed >= self.interval:
                    cpu = self._cpu_seconds()
                    used = (cpu - self._cpu) / elapsed
                    if used < self.idle:
                        self._level = min(self._level * 2, max(workers, 1))
                    elif used > self.busy:
                        self._level = max(1, min(self._level, workers) // 2)
                    self._since, self._cpu = now, cpu
        return max(1, min(workers, self._level))


PARALLELISM = Parallelism()


def fetch_pages(
    fetch: Callable[[int], T],
    numbers: list[int],
    workers: int,
    parallelism: Parallelism | None = None,
) -> Iterator[T]:
    """Fetch the given page numbers with up to ``workers`` requests in flight, in order.

    How many follows :class:`Parallelism` (the process-wide one unless given): at level 1 the
    pages are fetched one after another in the caller's thread. At most twice the level's pages
    are held at once, so memory stays flat however many pages an endpoint has.
    """
    if workers <= 1 or len(numbers) <= 1:
        for n in numbers:
            yield fetch(n)
        return
    steer = parallelism or PARALLELISM
    pool: ThreadPoolExecutor | None = None
    pending: deque[Future[T]] = deque()
    try:
        for n in numbers:
            level = steer.level(workers)
            if level <= 1:
                while pending:
                    yield pending.popleft().result()
                yield fetch(n)
                continue
            if pool is None:
                pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ledgerline-page")
            pending.append(pool.submit(fetch, n))
            while len(pending) >= 2 * level:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for fut in pending:
            fut.cancel()
        if pool is not None:
            pool.shutdown(wait=True)
