"""How fast the sandbox serves pages to one client on loopback (goal: >= 2,000 pages/s).

The sandbox runs in its own process; the client is the standard library's keep-alive
``http.client`` reading full 100-record pages (200 for Hoursmith), so the figure is the
sandbox's, not a client's.
"""

from __future__ import annotations

import http.client
import json
import time
from urllib.parse import urlsplit

from bench.common import record, sandbox_process

SCALE = 20_000
SECONDS = 3.0

PAGES = {
    "baloom": ("/api/invoices?page={n}&limit=100", {"X-API-Key": "baloom_api_key"}),
    "katsu": ("/api/v1/Invoice/getAll?PageNumber={n}&PageSize=100", {"Authorization": "Bearer katsu_token"}),
    "ibana": ("/v1/invoice?page={n}&limit=100", {"Authorization": "Bearer ibana_token"}),
    "wuro": ("/invoices?skip={skip}&limit=100", {"X-APP-ID": "wuro_app_id", "X-APP-SECRET": "wuro_app_secret"}),
    "hoursmith": ("/invoices?limit=200", {"Authorization": "Bearer hoursmith_token"}),
}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), in seconds."""
    import os

    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_vendor(base: str, path_tpl: str, headers: dict[str, str], pid: int) -> dict[str, float]:
    parts = urlsplit(base)
    cpu0 = cpu_seconds(pid)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    pages, nbytes, n = 0, 0, 1
    cursor = None
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < SECONDS:
        path = parts.path + path_tpl.format(n=n, skip=(n - 1) * 100)
        if cursor:
            path += f"&cursor={cursor}"
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        assert resp.status == 200, (resp.status, body[:200])
        pages += 1
        nbytes += len(body)
        n = n % 50 + 1
        if "limit=200" in path_tpl:
            # the cursor sits in the envelope's tail: no need to parse the whole page
            tail = body[body.rfind(b'"pagination"') :]
            cursor = json.loads(tail[tail.index(b"{") : tail.rindex(b"}")])["nextCursor"]
    elapsed = time.perf_counter() - t0
    cpu = cpu_seconds(pid) - cpu0
    conn.close()
    return {
        "pages_per_s": round(pages / elapsed),
        "mb_per_s": round(nbytes / elapsed / 1e6, 1),
        "avg_page_kb": round(nbytes / pages / 1e3, 1),
        # what the sandbox could serve if the client never made it wait
        "server_pages_per_cpu_s": round(pages / cpu) if cpu > 0 else None,
    }


def main() -> dict:
    from sandbox.vendors.base import Credentials

    creds = Credentials.for_seed(42)
    out: dict[str, dict[str, float]] = {}
    with sandbox_process(SCALE) as (_admin, env, pid):
        for vendor, (tpl, hdrs) in PAGES.items():
            base = env[f"SOURCES__{vendor.upper()}__BASE_URL"]
            headers = {k: v.replace(v.split()[-1], getattr(creds, v.split()[-1])) for k, v in hdrs.items()}
            out[vendor] = bench_vendor(base, tpl, headers, pid)
    result = {"scale": SCALE, "seconds_per_vendor": SECONDS, "vendors": out, "goal_pages_per_s": 2000,
              "min_pages_per_s": min(v["pages_per_s"] for v in out.values())}
    record("sandbox_pages", result)
    return result


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
