"""Rescans of records the warehouse already holds, and the helper process that reads them.

A rescan (Baloom's every run, a periodic full reconcile, an open-set scan) lists mostly records
the warehouse holds as sent. :class:`KnownDecoder` splits a page into each record's bytes and
hashes them: a record whose bytes hash to a stored version becomes a :class:`Known` stand-in
holding only its key, and only the others are decoded.

Fetching and hashing are most of a rescan's work, and Python runs one thread at a time: in a
process that also decodes, converts and loads four other vendors, a rescan of 2,000 pages
waited on the others for most of its time. So long rescans are read by a helper process
(:class:`PageWorker`, ``python -m sources.rescan``): it fetches their pages with the vendor's
own retry policy and hashes the records, and it answers each page with the keys of the records
held as sent and the bytes of the others. The sync process only decodes what changed.
``LEDGERLINE_PAGE_WORKER`` chooses: ``auto`` (the default: for rescans of at least
:data:`MIN_PAGES` pages on a machine with more than one core), ``on`` (every rescan) or ``off``.

The worker is started by the first rescan that uses it, or ahead of it by a sync over a
warehouse that holds records (:func:`prestart`), and stops with the sync
(:func:`shutdown`), or when the sync process goes away (its input closes). If it cannot start
or stops unexpectedly, the pages it has not answered are fetched in the sync process: a rescan
never fails for the worker's sake.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import hashlib
import logging
import os
import queue
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import msgspec
import pyarrow as pa
import pyarrow.compute as pc

from sources.http import (
    ApiClient,
    AuthError,
    Connections,
    Page,
    RetryPolicy,
    SourceError,
    SyncStats,
    TransientError,
    decode_json,
    fetch_pages,
)

log = logging.getLogger("ledgerline.sources")

MODE_ENV = "LEDGERLINE_PAGE_WORKER"
MIN_PAGES = 20  # shorter rescans stay in the sync process (the worker's start is not worth it)
CHUNK = 32  # pages asked of the worker at once; at most two chunks are outstanding per rescan


def raw_hash(encoded: Any) -> str:
    """The version of a record: the hash of its compact JSON bytes (``bytes`` or ``msgspec.Raw``).

    A vendor's compact JSON re-encodes to the same bytes, so the bytes of a record on the wire
    hash to its stored version without being decoded.
    """
    return hashlib.blake2b(encoded, digest_size=12).hexdigest()


ARROW_LOOKUPS = 8  # lookups of a rescan's versions in Arrow before a dict of them is made


class Versions(Mapping[str, str]):
    """The key of each record the warehouse holds, by its stored version (hash).

    Read from the warehouse as Arrow (``row_hash`` and key columns). A rescan read by the page
    worker hands it the Arrow columns as they are (:meth:`ipc`); the sync process makes the
    mapping a dict only if it looks a version up itself (an in-process rescan, a changed
    record's check). Built as dicts in the sync process and sent key by key, the versions of
    a 100,000-invoice rescan held the interpreter for longer than the rescan's own page work.
    """

    def __init__(self, table: pa.Table) -> None:
        if table.schema.field(0).type != pa.string():
            table = table.set_column(0, table.field(0).name, table.column(0).cast(pa.string()))
        self.table = table
        self._dict: dict[str, str] | None = None
        self._arrow_lookups = 0
        self._lock = threading.Lock()

    @classmethod
    def of(cls, pairs: Mapping[str, str]) -> Versions:
        keys = pa.array(list(pairs.values())) if pairs else pa.array([], pa.string())
        return cls(pa.table({"row_hash": pa.array(list(pairs), pa.string()), "key": keys}))

    def mapping(self) -> dict[str, str]:
        """The versions as a dict (made on first use)."""
        with self._lock:
            if self._dict is None:
                self._dict = as_dict(self.table)
            return self._dict

    def __getitem__(self, version: str) -> str:
        return self.mapping()[version]

    def get(self, version: str, default: Any = None) -> Any:  # type: ignore[override]
        return self.mapping().get(version, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self.mapping())

    def __len__(self) -> int:
        return self.table.num_rows

    def keys_of(self, versions: list[str]) -> list[str | None]:
        """The key each version is of (None for a version not held).

        The first few lookups go to Arrow (about 2 ms each at 100,000 versions); after them
        the dict is made (about 40 ms): a rescan's first page, read here to learn the total,
        or a changed record's check does not make a dict of every version, and a rescan read
        here page by page does. The stored column is searched for the page's few versions
        (``is_in`` hashes the small side); the reverse, ``index_in`` of the page's versions in
        the stored column, hashes all the stored versions at each lookup and costs more than
        the dict.
        """
        if self._dict is None and self._arrow_lookups < ARROW_LOOKUPS:
            self._arrow_lookups += 1
            if not versions:
                return []
            stored = self.table.column(0)
            hits = self.table.filter(pc.is_in(stored, value_set=pa.array(versions, pa.string())))
            found = as_dict(hits)
        else:
            found = self.mapping()
        return [found.get(version) for version in versions]

    def holds(self, pairs: list[tuple[str, str]]) -> list[bool]:
        """Whether each ``(version, key)`` is held: the version is stored, and of that key."""
        keys = self.keys_of([version for version, _ in pairs])
        return [found == key for found, (_, key) in zip(keys, pairs, strict=True)]

    def keys_column(self) -> pa.ChunkedArray:
        """The records' keys (a full scan's deletes are those it did not list)."""
        return self.table.column(1)

    def ipc(self) -> bytes:
        """The columns as an Arrow IPC stream, for the page worker."""
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, self.table.schema) as writer:
            writer.write_table(self.table)
        return sink.getvalue().to_pybytes()


def as_dict(table: pa.Table) -> dict[str, str]:
    """A two-column table as a dict of the first column to the second."""
    return dict(zip(table.column(0).to_pylist(), table.column(1).to_pylist(), strict=True))


def from_ipc(data: bytes) -> dict[str, str]:
    """The dict of :meth:`Versions.ipc`'s columns (the worker's side)."""
    return as_dict(pa.ipc.open_stream(data).read_all())


class Known(dict[str, Any]):
    """Stands for a listed record whose bytes hash to the version the warehouse holds: only
    its key is kept; :func:`sources.sync.emit_page` counts it as seen."""


_decode_object = msgspec.json.Decoder(dict[str, msgspec.Raw])
_decode_list = msgspec.json.Decoder(list[msgspec.Raw])

# A page split by :func:`split`: the body's other fields as JSON bytes, and its records, each
# the key of a record held as sent (``str``) or the record's JSON bytes. None: not splittable.
Split = tuple[dict[str, bytes], list[str | bytes]]


def split(content: bytes, key: str, versions: Mapping[str, str]) -> Split | None:
    """Split a page into its records under ``key``, recognising those held as sent.

    ``versions`` maps a stored version (hash) to the key of its record. None when the body is
    not an object with a list under ``key`` (it is then decoded and checked as usual).
    Raises :class:`msgspec.DecodeError` on invalid JSON.
    """
    try:
        top = _decode_object.decode(content)
    except msgspec.ValidationError:  # valid JSON, not an object
        return None
    raw = top.pop(key, None)
    if raw is None:
        return None
    try:
        records = _decode_list.decode(raw)
    except msgspec.ValidationError:  # not a list: the usual checks say why
        return None
    hashes = [raw_hash(record) for record in records]
    if isinstance(versions, Versions):
        keys = versions.keys_of(hashes)
    else:
        keys = [versions.get(h) for h in hashes]
    out = [bytes(r) if rid is None else rid for r, rid in zip(records, keys, strict=True)]
    return {name: bytes(value) for name, value in top.items()}, out


@dataclasses.dataclass(frozen=True)
class KnownDecoder:
    """A page decoder that leaves the records the warehouse holds as sent undecoded.

    The list under the body's ``key`` is split into each record's bytes; a record whose bytes
    hash to a stored version (``versions``: hash to record key) becomes a :class:`Known` with
    its key as ``id_key``; every other record, and the rest of the body, is decoded as usual.
    A rescan of mostly unchanged pages then costs hashing, not decoding.
    """

    key: str
    id_key: str
    versions: Mapping[str, str]

    def __call__(self, content: bytes) -> Any:
        parts = split(content, self.key, self.versions)
        return decode_json(content) if parts is None else self.assemble(parts)

    def assemble(self, parts: Split) -> dict[str, Any]:
        """The body of a split page: held records as :class:`Known`, the rest decoded."""
        fields, records = parts
        body = {name: decode_json(raw) for name, raw in fields.items()}
        body[self.key] = [
            Known({self.id_key: r}) if isinstance(r, str) else decode_json(r) for r in records
        ]
        return body


# ----------------------------------------------------------------------------- the sync side


def mode() -> str:
    value = (os.environ.get(MODE_ENV) or "auto").strip().lower()
    if value not in ("auto", "on", "off"):
        raise SourceError(f"{MODE_ENV} must be auto, on or off, not {value!r}.")
    return value


def wanted(pages: int) -> bool:
    """Whether a rescan of ``pages`` more pages should be read by the worker."""
    chosen = mode()
    if chosen == "off" or pages < 1:
        return False
    if chosen == "on":
        return True
    return pages >= MIN_PAGES and (os.cpu_count() or 1) > 1


def client_settings(client: ApiClient) -> dict[str, Any] | None:
    """What the worker needs to make an equivalent client; None if it cannot (a test's
    transport or clock, or a request budget the sync process must keep for itself)."""
    if client.budget is not None or client.transport is not None or client.sleep is not time.sleep:
        return None
    return {
        "vendor": client.vendor,
        "base_url": client.base_url,
        "headers": dict(client.headers),
        "credential_hint": client.credential_hint,
        "policy": dataclasses.asdict(client.policy),
        "timeout": client.timeout,
    }


_ERRORS: dict[str, type[SourceError]] = {
    "AuthError": AuthError,
    "TransientError": TransientError,
    "SourceError": SourceError,
}


class WorkerGone(Exception):
    """The worker stopped before answering."""


class PageWorker:
    """The sync process's handle on the helper process (started on first use)."""

    def __init__(self, command: list[str] | None = None) -> None:
        self._command = command or [sys.executable, "-m", "sources.rescan"]
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._failed = False
        self._scans: dict[int, queue.SimpleQueue[Any]] = {}
        self._next = 0

    # -- process
    def start(self) -> None:
        """Start the process unless it runs (if it cannot, rescans read in this process)."""
        self._ensure()

    def _ensure(self) -> subprocess.Popen[bytes] | None:
        with self._lock:
            if self._proc is not None and self._proc.poll() is None:
                return self._proc
            if self._failed:
                return None
            try:
                proc = subprocess.Popen(
                    self._command,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    close_fds=True,
                )
            except OSError as exc:
                log.debug("the page worker did not start (%s): rescans stay in this process", exc)
                self._failed = True
                return None
            self._proc = proc
            threading.Thread(
                target=self._read, args=(proc,), name="ledgerline-page-worker", daemon=True
            ).start()
            return proc

    def _read(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        decoder = msgspec.msgpack.Decoder()
        while True:
            data = _read_frame(proc.stdout)
            if data is None:
                break
            frame = decoder.decode(data)
            with self._lock:
                target = self._scans.get(frame[1])
            if target is not None:
                target.put(frame)
        with self._lock:
            if self._proc is proc:  # stopped on its own: the rest of this sync reads here
                self._failed = True  # (once closed, the next sync may start another)
            for target in self._scans.values():
                target.put(None)

    def _send(self, frame: list[Any]) -> None:
        proc = self._proc
        if proc is None or proc.stdin is None:
            raise WorkerGone
        data = _ENCODER.encode(frame)
        try:
            with self._send_lock:
                proc.stdin.write(struct.pack("!I", len(data)) + data)
                proc.stdin.flush()
        except (OSError, ValueError):
            raise WorkerGone from None

    def close(self) -> None:
        with self._lock:
            proc, self._proc = self._proc, None
            self._failed = False
        if proc is None:
            return
        with self._send_lock:
            try:
                if proc.stdin is not None:
                    proc.stdin.close()
            except OSError:
                pass
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    # -- rescans
    def pages(
        self,
        client: ApiClient,
        requests: list[tuple[str, Mapping[str, Any]]],
        decoder: KnownDecoder,
        workers: int,
        stats: SyncStats,
        local: Callable[[int], Page],
    ) -> Iterator[Page]:
        """The pages of ``requests`` (path and query each), in order, as ``local(i)`` would give
        them: read by the worker, or by ``local`` for those it cannot answer."""
        settings = client_settings(client)
        proc = self._ensure() if settings is not None else None
        if proc is None:
            yield from (local(i) for i in range(len(requests)))
            return
        inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        with self._lock:
            sid = self._next = self._next + 1
            self._scans[sid] = inbox
        done = 0  # pages yielded
        try:
            versions = decoder.versions
            stored = versions if isinstance(versions, Versions) else Versions.of(versions)
            self._send(["open", sid, settings, decoder.key, stored.ipc(), workers])
            asked = 0
            held: dict[int, Any] = {}
            counted = {"requests": 0, "retries": 0, "waited": 0.0}
            while done < len(requests):
                while asked < len(requests) and asked - done < 2 * CHUNK:
                    chunk = requests[asked : asked + CHUNK]
                    self._send(["pages", sid, asked, [[p, dict(q)] for p, q in chunk]])
                    asked += len(chunk)
                while done not in held:
                    frame = inbox.get()
                    if frame is None:
                        raise WorkerGone
                    held[frame[2]] = frame
                frame = held.pop(done)
                kind, _, _, result, sent = frame
                delta = {k: sent[k] - counted[k] for k in counted}
                counted.update(sent)
                stats.add(**delta)
                if kind == "error":
                    name, message, unreachable = result
                    error = _ERRORS.get(name, SourceError)
                    if error is TransientError:
                        raise TransientError(message, unreachable=unreachable)
                    raise error(message)
                body, served_at, headers = result
                if body[0] == "split":
                    decoded = decoder.assemble((body[1], body[2]))
                else:
                    decoded = decode_json(body[1])
                stats.add(pages=1)
                yield Page(decoded, served_at, headers)
                done += 1
        except WorkerGone:
            log.debug("the page worker stopped: the rescan goes on in this process")
            yield from (local(i) for i in range(done, len(requests)))
        finally:
            with self._lock:
                self._scans.pop(sid, None)
            with contextlib.suppress(WorkerGone):
                self._send(["close", sid])


_ENCODER = msgspec.msgpack.Encoder()
WORKER = PageWorker()
atexit.register(WORKER.close)


def prestart() -> None:
    """Start the worker now if rescans may use it: its start-up (about 0.25 s of imports)
    then overlaps the sources' own, instead of delaying the first rescan."""
    try:
        if wanted(MIN_PAGES):
            WORKER.start()
    except SourceError:  # a bad LEDGERLINE_PAGE_WORKER: each vendor's sync reports it
        pass


def shutdown() -> None:
    """Stop the worker (a sync calls this when it is done; the next one starts it again)."""
    WORKER.close()


def _read_frame(stream: Any) -> bytes | None:
    head = stream.read(4)
    if len(head) < 4:
        return None
    (size,) = struct.unpack("!I", head)
    data = stream.read(size)
    return data if len(data) == size else None


# ----------------------------------------------------------------------------- the worker

_CONNECTIONS: dict[bytes, Connections] = {}
_CONNECTIONS_LOCK = threading.Lock()


def shared_connections(settings: Mapping[str, Any], workers: int) -> Connections:
    """The worker's kept-alive connections to the vendor ``settings`` name (its base URL and
    headers): the first rescan opens them, the later ones of the sync reuse them."""
    key = msgspec.json.encode(
        [settings["base_url"], settings["headers"], settings["timeout"], workers]
    )
    with _CONNECTIONS_LOCK:
        found = _CONNECTIONS.get(key)
        if found is None:
            found = _CONNECTIONS[key] = Connections(
                settings["base_url"], settings["headers"], settings["timeout"], workers
            )
        return found


class _Scan:
    def __init__(
        self,
        sid: int,
        settings: dict[str, Any],
        key: str,
        versions: bytes,
        workers: int,
        send: Callable[[list[Any]], None],
    ) -> None:
        """``versions``: :meth:`Versions.ipc`, made a dict in the scan's own thread (the
        worker's input is read meanwhile)."""
        policy = dict(settings["policy"])
        policy["statuses"] = frozenset(policy["statuses"])
        self.client = ApiClient(
            settings["vendor"],
            settings["base_url"],
            settings["headers"],
            credential_hint=settings["credential_hint"],
            policy=RetryPolicy(**policy),
            timeout=settings["timeout"],
            connections=shared_connections(settings, workers),
        )
        self.sid, self.key, self.workers = sid, key, workers
        self._stored = versions
        self.versions: dict[str, str] = {}
        self.send = send
        self.chunks: queue.SimpleQueue[tuple[int, list[Any]] | None] = queue.SimpleQueue()
        self.cancelled = False
        threading.Thread(target=self.run, daemon=True).start()

    def decode(self, content: bytes) -> tuple[Any, ...]:
        parts = split(content, self.key, self.versions)
        if parts is None:
            decode_json(content)  # invalid JSON raises here, to be retried like any other
            return ("raw", content)
        return ("split", parts[0], parts[1])

    def counts(self) -> dict[str, Any]:
        s = self.client.stats
        return {"requests": s.requests, "retries": s.retries, "waited": s.waited}

    def run(self) -> None:
        try:
            self.versions = from_ipc(self._stored)
            while not self.cancelled:
                chunk = self.chunks.get()
                if chunk is None:
                    return
                start, requests = chunk

                def fetch(i: int, requests: list[Any] = requests) -> Page:
                    path, params = requests[i]
                    page = self.client.get(path, params, decode=self.decode)
                    assert page is not None
                    return page

                seq = start
                try:
                    for page in fetch_pages(fetch, list(range(len(requests))), self.workers):
                        if self.cancelled:
                            return
                        result = [page.body, page.served_at, dict(page.headers)]
                        self.send(["page", self.sid, seq, result, self.counts()])
                        seq += 1
                except SourceError as exc:
                    unreachable = getattr(exc, "unreachable", False)
                    error = [type(exc).__name__, str(exc), unreachable]
                    self.send(["error", self.sid, seq, error, self.counts()])
                    return
                except Exception as exc:  # anything else: said as the vendor's failure, scrubbed
                    message = self.client.scrub(f"{type(exc).__name__}: {exc}")
                    self.send(
                        ["error", self.sid, seq, ["SourceError", message, False], self.counts()]
                    )
                    return
        finally:
            self.client.close()


def main() -> None:
    """The worker: reads requests from its input and answers pages on its output."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the sync process decides when to stop
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing else may write into the answers
    decoder = msgspec.msgpack.Decoder()
    send_lock = threading.Lock()

    def send(frame: list[Any]) -> None:
        data = _ENCODER.encode(frame)
        with send_lock:
            out.write(struct.pack("!I", len(data)) + data)
            out.flush()

    scans: dict[int, _Scan] = {}
    while True:
        data = _read_frame(inp)
        if data is None:
            break
        frame = decoder.decode(data)
        kind, sid = frame[0], frame[1]
        if kind == "open":
            _, _, settings, key, versions, workers = frame
            scans[sid] = _Scan(sid, settings, key, versions, workers, send)
        elif kind == "pages" and sid in scans:
            scans[sid].chunks.put((frame[2], frame[3]))
        elif kind == "close":
            scan = scans.pop(sid, None)
            if scan is not None:
                scan.cancelled = True
                scan.chunks.put(None)
    os._exit(0)  # the sync process is gone or done: no page is waited for any more


if __name__ == "__main__":
    main()
