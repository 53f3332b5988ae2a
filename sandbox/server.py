"""The sandbox: the world, the five emulators, the admin API and the HTTP server together."""

from __future__ import annotations

import gc
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson

from sandbox.faults import Drift, FaultPlan
from sandbox.http import HttpServer, Request, Response, http_date
from sandbox.vendors import APPS, Credentials, VendorApp
from sandbox.world import DEFAULT_START, World

ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Endpoint:
    vendor: str
    base_url: str


class AdminApp:
    """Sandbox control on its own port: clock, health, stats. Not part of any vendor's API."""

    name = ADMIN

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    def error(self, status: int, message: str) -> Response:
        return Response(status, orjson.dumps({"error": message}))

    def handle(self, req: Request) -> Response:
        sb = self.sandbox
        if req.path == "/health":
            return Response(200, b'{"ok":true}')
        if req.path == "/stats" and req.method == "GET":
            return Response(200, orjson.dumps(sb.stats()))
        if req.path == "/clock" and req.method == "GET":
            return Response(200, orjson.dumps(sb.describe_clock()))
        if req.path == "/clock/advance" and req.method == "POST":
            try:
                days = int(req.arg("days", "1") or 1)
                sb.advance(days)
            except ValueError as exc:
                return self.error(400, str(exc))
            return Response(200, orjson.dumps(sb.describe_clock()))
        return self.error(404, "not found")


class Sandbox:
    """Five vendor APIs on loopback over one deterministic world.

    >>> with Sandbox(seed=1, scale=100) as sb:
    ...     sb.base_urls["wuro"]      # 'http://127.0.0.1:<port>/api/v3.2'

    Args:
        seed: Seed of the deterministic world (and, by default, of the faults and credentials).
        scale: Invoices per vendor before the clock starts.
        faults: Fault profile: ``none``, ``flaky`` or ``hostile``.
        start: The world's first day.
        hoursmith_plan: Hoursmith rate-limit plan: ``studio``, ``agency`` or ``unlimited``.
        host: A loopback address to listen on.
        fault_seed: Seed of the fault plan (default ``seed``): the same world under other faults.
        credentials: The credentials the emulators accept (default: derived from ``seed``).
        drift: Schema drifts applied to the records served (see :meth:`set_drift`).
        warm: Render every record and build the usual listings before listening, and again
            after the clock moves (see :meth:`warm`), so that no client's first pages pay for
            it. Off, the same work happens lazily on the first request of each list.
    """

    def __init__(
        self,
        seed: int = 42,
        scale: int = 1000,
        faults: str = "none",
        start: date = DEFAULT_START,
        hoursmith_plan: str = "studio",
        host: str = "127.0.0.1",
        *,
        fault_seed: int | None = None,
        credentials: Credentials | None = None,
        drift: Iterable[Drift] = (),
        warm: bool = True,
    ) -> None:
        self.seed = seed
        self.scale = scale
        self.warm_on_start = warm
        self.warm_seconds = 0.0  # wall time of the last :meth:`warm`
        self._date: tuple[date, str] | None = None
        self.world = World(seed=seed, scale=scale, start=start)
        self.faults = FaultPlan(faults, seed if fault_seed is None else fault_seed, drift)
        self.credentials = credentials or Credentials.for_seed(seed)
        self.apps: dict[str, VendorApp] = {}
        for vendor, cls in APPS.items():
            kwargs: dict[str, Any] = {}
            if vendor == "hoursmith":
                kwargs["plan"] = hoursmith_plan
            self.apps[vendor] = cls(self.world, self.faults, self.credentials, **kwargs)
        self.admin = AdminApp(self)
        self.server = HttpServer(
            [*self.apps.values(), self.admin], self.faults, self.date_header, host
        )
        self.host = host

    # -- lifecycle
    def start(self, port: int | None = None) -> Sandbox:
        """Start on a background thread; ``port`` is the admin port, vendors follow it."""
        if self.warm_on_start:
            self.warm()
            gc.collect()  # the full collection the warm-up makes due, now rather than mid-request
        self.server.start_in_thread(self._ports(port))
        return self

    def serve_forever(self, port: int | None = None, on_ready: Any = None) -> None:
        """Serve in the foreground (``ledgerline sandbox serve``: a process of its own).

        The ports are bound first and held while the emulators warm up; requests are answered
        (and ``on_ready`` called) once they have.
        """

        def warm_up() -> None:
            if self.warm_on_start:
                self.warm()
            # The world and the rendered records live as long as the process: keep the cyclic
            # garbage collector from scanning them again (a full pass is a long pause at scale).
            gc.collect()
            gc.freeze()

        self.server.serve_forever(self._ports(port), on_ready, on_bound=warm_up)

    def warm(self) -> float:
        """Build every emulator's record caches and usual listings now; returns the seconds."""
        t0 = time.perf_counter()
        with self.server.lock:
            for app in self.apps.values():
                app.warm()
        self.warm_seconds = time.perf_counter() - t0
        return self.warm_seconds

    def date_header(self) -> str:
        """The HTTP ``Date`` of every response: the sandbox instant (formatted once per day)."""
        memo = self._date
        if memo is None or memo[0] != self.world.clock:
            memo = self._date = (self.world.clock, http_date(self.world.now))
        return memo[1]

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _ports(self, port: int | None) -> dict[str, int] | None:
        if not port:
            return None
        ports = {ADMIN: port}
        for i, vendor in enumerate(self.apps):
            ports[vendor] = port + 1 + i
        return ports

    # -- what clients need
    @property
    def admin_url(self) -> str:
        return f"http://{self.host}:{self.server.ports[ADMIN]}"

    @property
    def base_urls(self) -> dict[str, str]:
        return {
            v: f"http://{self.host}:{self.server.ports[v]}{app.prefix}"
            for v, app in self.apps.items()
        }

    def env(self) -> dict[str, str]:
        """Environment variables that point ledgerline's sources at this sandbox."""
        c = self.credentials
        env = {f"SOURCES__{v.upper()}__BASE_URL": url for v, url in self.base_urls.items()}
        env.update(
            {
                "SOURCES__BALOOM__API_KEY": c.baloom_api_key,
                "SOURCES__KATSU__TOKEN": c.katsu_token,
                "SOURCES__IBANA__TOKEN": c.ibana_token,
                "SOURCES__WURO__APP_ID": c.wuro_app_id,
                "SOURCES__WURO__APP_SECRET": c.wuro_app_secret,
                "SOURCES__HOURSMITH__TOKEN": c.hoursmith_token,
            }
        )
        return env

    # -- the clock
    def advance(self, days: int = 1) -> dict[str, set[str]]:
        """Advance the sandbox clock, applying each day's business events."""
        with self.server.lock:
            changed = self.world.advance(days)
            for vendor, app in self.apps.items():
                app.refresh(changed[vendor])
            if self.warm_on_start:
                self.warm()
        return changed

    def set_drift(self, *drift: Drift) -> None:
        """From now on, serve records reshaped by ``drift`` (none: the documented shapes)."""
        with self.server.lock:
            self.faults.drift = tuple(drift)
            for app in self.apps.values():
                app.forget_all()
            if self.warm_on_start:
                self.warm()

    def stats(self) -> dict[str, Any]:
        """What the sandbox spent on start-up and holds in memory (``GET /stats`` on the admin port)."""
        return {
            "scale": self.scale,
            "warm_seconds": round(self.warm_seconds, 3),
            "vendors": {
                v: {
                    "records": len(app._cache),
                    "pages_cached": len(app._pages),
                    "page_cache_mb": round(app._page_bytes / 1e6, 1),
                }
                for v, app in self.apps.items()
            },
        }

    def describe_clock(self) -> dict[str, Any]:
        return {"clock": self.world.clock.isoformat(), "now": self.world.now.isoformat()}
