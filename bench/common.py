"""Shared bench helpers: a sandbox in its own process, timing, and recording results."""

from __future__ import annotations

import json
import os
import platform
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

RESULTS = Path(__file__).parent / "results"


def free_port_block(n: int = 6) -> int:
    """A port p such that p..p+n-1 look free on 127.0.0.1."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        if base + n > 65000:
            continue
        ok = True
        for p in range(base, base + n):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", p))
                except OSError:
                    ok = False
                    break
        if ok:
            return base
    raise RuntimeError("no free block of ports on 127.0.0.1")


@contextmanager
def sandbox_process(scale: int, seed: int = 42, faults: str = "none", plan: str = "unlimited"):  # type: ignore[no-untyped-def]
    """Run ``ledgerline sandbox serve`` in its own process; yields (admin_url, env, pid)."""
    port = free_port_block()
    cmd = [
        sys.executable,
        "-m",
        "pipelines.cli",
        "sandbox",
        "serve",
        "--scale",
        str(scale),
        "--seed",
        str(seed),
        "--faults",
        faults,
        "--port",
        str(port),
        "--hoursmith-plan",
        plan,
    ]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, "COLUMNS": "200"}
    )
    admin = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 600
        while time.time() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"sandbox exited: {proc.stderr.read().decode()[-500:] if proc.stderr else ''}"
                )
            try:
                if httpx.get(f"{admin}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            raise RuntimeError("sandbox did not start within 10 minutes")
        from sandbox.server import Sandbox
        from sandbox.vendors.base import Credentials

        creds = Credentials.for_seed(seed)
        vendors = ["baloom", "katsu", "ibana", "wuro", "hoursmith"]
        prefixes = {"wuro": "/api/v3.2", "hoursmith": "/api/v1"}
        env = {
            f"SOURCES__{v.upper()}__BASE_URL": f"http://127.0.0.1:{port + 1 + i}{prefixes.get(v, '')}"
            for i, v in enumerate(vendors)
        }
        env.update(
            {
                "SOURCES__BALOOM__API_KEY": creds.baloom_api_key,
                "SOURCES__KATSU__TOKEN": creds.katsu_token,
                "SOURCES__IBANA__TOKEN": creds.ibana_token,
                "SOURCES__WURO__APP_ID": creds.wuro_app_id,
                "SOURCES__WURO__APP_SECRET": creds.wuro_app_secret,
                "SOURCES__HOURSMITH__TOKEN": creds.hoursmith_token,
            }
        )
        del Sandbox
        yield admin, env, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def cpu_probe(n: int = 10_000_000) -> float:
    """CPU seconds one core takes for a fixed pure-Python loop, measured now.

    This machine's speed drifts (a shared host): the same incremental sync (same code, warehouse
    and sandbox world) took 11.6-12.5 CPU-seconds and, an hour later, 14.7-14.9. Recorded beside
    every result, it tells a slower machine from slower code when runs are compared.
    """
    t0 = time.process_time()
    total = 0
    for i in range(n):
        total += i
    return round(time.process_time() - t0, 3)


def record(name: str, result: dict[str, Any]) -> Path:
    """Write one bench's figures to bench/results/<name>.json (with the machine it ran on)."""
    RESULTS.mkdir(exist_ok=True)
    result = {
        "bench": name,
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpu_probe_s": cpu_probe(),
        },
        **result,
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(result, indent=2, default=str) + "\n")
    return path
