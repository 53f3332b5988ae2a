"""A small, fast HTTP/1.1 server on asyncio streams, with fault injection.

Hand-written rather than an ASGI stack because the sandbox must misbehave in ways a framework
hides (connection resets, truncated bodies, wrong content types) and must serve pre-serialized
pages faster than any client can read them. It only ever binds loopback addresses.

It runs on uvloop when that is installed (a libuv event loop: vectored writes, less per-request
overhead), else on asyncio's own loop; both serve the same bytes. A response's head and body go
to the socket as two buffers of one write, so a large page is never copied to prepend its head.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import format_datetime
from functools import partial
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from sandbox.faults import Action, FaultPlan

try:  # optional: the sandbox serves the same bytes without it, only slower
    import uvloop
except ImportError:  # pragma: no cover - uvloop is in the lock
    uvloop = None  # type: ignore[assignment]

log = logging.getLogger("ledgerline.sandbox")
SMALL_BODY = 16 << 10  # bodies up to this size are sent joined to their head (one buffer)

REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


@dataclass(slots=True)
class Request:
    method: str
    target: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes = b""
    # Set by the fault layer for faults that only the vendor's pagination can render.
    fault: str | None = None

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(slots=True)
class Response:
    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)


class App(Protocol):
    """One emulated API (or the admin API) behind one port."""

    name: str

    def handle(self, req: Request) -> Response: ...

    def error(self, status: int, message: str) -> Response: ...


def parse_request(head: bytes) -> Request:
    text = head.decode("latin-1")
    lines = text.split("\r\n")
    method, target, _version = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if not line:
            continue
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    if target.startswith("/") and not target.startswith("//") and target.isprintable():
        # origin-form, as every client sends: what urlsplit would return, without its cost
        path, _, query = target.partition("#")[0].partition("?")
    else:
        parts = urlsplit(target)
        path, query = parts.path, parts.query
    return Request(
        method=method.upper(),
        target=target,
        path=unquote(path) if "%" in path else path,
        query=parse_qs(query, keep_blank_values=True) if query else {},
        headers=headers,
    )


def new_event_loop() -> asyncio.AbstractEventLoop:
    """A uvloop event loop when uvloop is installed, else asyncio's default one."""
    return uvloop.new_event_loop() if uvloop is not None else asyncio.new_event_loop()


def check_loopback(host: str) -> None:
    """Refuse anything but a loopback address: the sandbox never listens on a network."""
    addr = "127.0.0.1" if host == "localhost" else host
    if not ipaddress.ip_address(addr).is_loopback:
        raise ValueError(f"the sandbox binds loopback addresses only, not {host!r}")


class HttpServer:
    """Serves several apps, each on its own loopback port, from one event loop."""

    def __init__(
        self,
        apps: list[App],
        faults: FaultPlan,
        date_header: Callable[[], str],
        host: str = "127.0.0.1",
    ) -> None:
        check_loopback(host)
        self.apps = apps
        self.faults = faults
        self.date_header = date_header
        self.host = host
        self.ports: dict[str, int] = {}
        self._servers: list[asyncio.base_events.Server] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()
        self.lock = threading.RLock()  # held while handling, and while the clock advances
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self, ports: dict[str, int] | None = None) -> None:
        for app in self.apps:
            port = (ports or {}).get(app.name, 0)
            server = await asyncio.start_server(
                partial(self._connection, app), self.host, port, limit=2**16
            )
            self._servers.append(server)
            self.ports[app.name] = server.sockets[0].getsockname()[1]

    async def _connection(
        self, app: App, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self._writers.add(writer)
        sock = writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                # a whole page fits the kernel buffer: one send, no copying in user space
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                    return
                try:
                    req = parse_request(head)
                except ValueError:
                    bad = app.error(400, "Malformed request")
                    writer.write(self._head(bad, close=True) + bad.body)
                    return
                length = int(req.headers.get("content-length", "0") or 0)
                if length:
                    req.body = await reader.readexactly(length)
                action = self.faults.decide(app.name, req)
                if action.kind == "reset":
                    writer.transport.abort()
                    return
                if action.delay:
                    await asyncio.sleep(action.delay)
                resp = self._respond(app, req, action)
                close = req.headers.get("connection", "").lower() == "close"
                head_bytes = self._head(resp, close)
                body = resp.body
                if action.kind == "truncate":
                    data = head_bytes + body
                    writer.write(data[: max(len(data) - len(body) // 2 - 1, 1)])
                    await writer.drain()
                    writer.transport.abort()
                    return
                if len(body) <= SMALL_BODY:
                    writer.write(head_bytes + body)
                else:
                    writer.writelines((head_bytes, body))
                if writer.transport.get_write_buffer_size() > 1 << 20:
                    await writer.drain()
                if close:
                    await writer.drain()
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            self._writers.discard(writer)
            with contextlib.suppress(Exception):
                writer.close()

    def _respond(self, app: App, req: Request, action: Action) -> Response:
        if action.kind == "status":
            resp = app.error(action.status, REASONS.get(action.status, "Error"))
            if action.retry_after is not None:
                resp.headers.append(("Retry-After", str(action.retry_after)))
            return resp
        if action.kind == "html":
            return Response(
                200,
                b"<html><body><h1>Service temporarily unavailable</h1></body></html>",
                "text/html; charset=utf-8",
            )
        if action.kind in ("empty_page", "repeat_page"):
            req.fault = action.kind
        try:
            with self.lock:
                return app.handle(req)
        except Exception:  # a sandbox bug must show as a 500, and in the log
            log.exception("sandbox %s failed on %s", app.name, req.target)
            return app.error(500, "Internal server error")

    def _head(self, resp: Response, close: bool = False) -> bytes:
        """The status line and headers of ``resp``, through the blank line."""
        head = [
            f"HTTP/1.1 {resp.status} {REASONS.get(resp.status, 'Status')}",
            f"Content-Type: {resp.content_type}",
            f"Content-Length: {len(resp.body)}",
            f"Date: {self.date_header()}",
        ]
        head.extend(f"{k}: {v}" for k, v in resp.headers)
        if close:
            head.append("Connection: close")
        return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")

    def _encode(self, resp: Response, close: bool = False) -> bytes:
        """The whole response as bytes (head and body)."""
        return self._head(resp, close) + resp.body

    # -- running
    def start_in_thread(self, ports: dict[str, int] | None = None) -> None:
        """Run the server on a background thread (tests, benchmarks)."""
        ready = threading.Event()
        error: list[BaseException] = []

        def run() -> None:
            loop = new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self.start(ports))
            except BaseException as exc:  # surfaced to the caller below
                error.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            for s in self._servers:
                s.close()
            # Abort open connections: their handlers see a reset and end on their own.
            for w in list(self._writers):
                w.transport.abort()
            tasks = asyncio.all_tasks(loop)
            if tasks:
                loop.run_until_complete(asyncio.wait(tasks, timeout=5))
            loop.close()
            self._stopped.set()

        self._thread = threading.Thread(target=run, name="ledgerline-sandbox", daemon=True)
        self._thread.start()
        ready.wait(30)
        if error:
            raise error[0]

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def serve_forever(
        self,
        ports: dict[str, int] | None = None,
        on_ready: Callable[[], None] | None = None,
        on_bound: Callable[[], None] | None = None,
    ) -> None:
        """Run in the foreground until interrupted (``ledgerline sandbox serve``).

        ``on_bound`` runs once the ports are bound and before any request is answered (clients
        that connect meanwhile wait in the listen backlog): the ports are held from the start.
        """

        async def main() -> None:
            await self.start(ports)
            if on_bound:
                on_bound()
            if on_ready:
                on_ready()
            await asyncio.gather(*(s.serve_forever() for s in self._servers))

        with (
            contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError),
            asyncio.Runner(loop_factory=new_event_loop) as runner,
        ):
            runner.run(main())


def http_date(dt) -> str:  # type: ignore[no-untyped-def]
    return format_datetime(dt, usegmt=True)
