"""Full sync of all five vendors, side by side in one run, against the same sandbox process:

- **floor**: a framework-free script (httpx, orjson, Arrow, one DuckDB insert per batch of
  pages) fetching the same list pages with the same parallelism;
- **ledgerline**: ``pipelines.sync.sync()`` (dlt, parquet loads, history, children, rejects);
- **dlt rest_api**: dlt's ``rest_api_source`` configured plainly for the same endpoints (its
  defaults: pages one after another, ``insert_values`` loads).

Rows are the top-level records the list endpoints return (the same count for all three). The
floor and ledgerline's full sync run three times each, in turns, and their medians are
compared (``runs_seconds`` lists every run: run-to-run noise on this machine is 10-20%); peak
memory is the highest of ledgerline's three.
Goals (issue 3): ledgerline >= 50% of the floor's rows/s, and >= 20x dlt rest_api's.

Then, on the same sandbox and warehouse, the clock advances one day and ledgerline runs an
**incremental** sync (goal: under 10% of the full sync's time). It runs from the same
warehouse: first while the sandbox assembles the day's pages on their first read (reported as
``cold_sandbox_seconds``), then five more times with those pages cached, as they were for the
full sync and the floor after the warm-up, each from a copy of the warehouse as the full sync
left it (``seconds``, the median, is the figure compared; ``runs_seconds`` lists all five:
run-to-run noise on this machine is 10-20%). And a second sandbox at a tenth
of the scale gives the **peak memory** of the same full sync on a tenth of the data (goal:
10x the data raises peak RSS by less than 1.5x).

Usage: ``python -m bench.sync_full [--scale 100000] [--skip-dlt] [--dlt-vendors a,b]
[--memory-scale N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import duckdb
import httpx
import orjson
import pyarrow as pa

from bench.common import record, sandbox_process

FULL_RUNS = 3  # floor and full sync, in turns; the medians are compared
WARM_RUNS = 5  # incremental runs on cached pages (short, so noisier): the median is compared


def median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run of median ``seconds``."""
    return sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]


# (vendor, path, paging, page size, records key)
ENDPOINTS: list[tuple[str, str, str, int, str]] = [
    ("baloom", "/api/categories", "page", 100, "data"),
    ("baloom", "/api/products", "page", 100, "data"),
    ("baloom", "/api/customers", "page", 100, "data"),
    ("baloom", "/api/orders", "page", 100, "data"),
    ("baloom", "/api/invoices", "page", 100, "data"),
    ("katsu", "/api/v1/Counterparties", "Page", 100, "data"),
    ("katsu", "/api/v1/Products", "page_lower", 100, "data"),
    ("katsu", "/api/v1/Invoice/getAll", "Page", 100, "data"),
    ("ibana", "/v1/counterparty", "page", 100, "data"),
    ("ibana", "/v1/invoice", "page", 100, "data"),
    ("ibana", "/v1/accounts-receivable", "page", 100, "data"),
    ("wuro", "/product-categories", "none", 0, "data"),
    ("wuro", "/clients", "offset", 100, "clients"),
    ("wuro", "/products", "offset", 100, "products"),
    ("wuro", "/invoices", "offset", 100, "invoices"),
    ("wuro", "/invoices/payments", "offset", 100, "payments"),
    ("hoursmith", "/clients", "cursor", 200, "data"),
    ("hoursmith", "/invoices", "cursor", 200, "data"),
]
VENDORS = ["baloom", "katsu", "ibana", "wuro", "hoursmith"]
WORKERS = 8


def headers(vendor: str, env: dict[str, str]) -> dict[str, str]:
    if vendor == "baloom":
        return {"X-API-Key": env["SOURCES__BALOOM__API_KEY"]}
    if vendor == "wuro":
        return {
            "X-APP-ID": env["SOURCES__WURO__APP_ID"],
            "X-APP-SECRET": env["SOURCES__WURO__APP_SECRET"],
        }
    return {"Authorization": f"Bearer {env[f'SOURCES__{vendor.upper()}__TOKEN']}"}


def page_params(paging: str, n: int, size: int) -> dict[str, Any]:
    if paging == "page":
        return {"page": n, "limit": size}
    if paging == "Page":
        return {"PageNumber": n, "PageSize": size}
    if paging == "page_lower":
        return {"pageNumber": n, "pageSize": size}
    if paging == "offset":
        return {"skip": (n - 1) * size, "limit": size}
    return {}


def total_of(body: dict[str, Any], paging: str) -> int:
    if paging == "page":
        return int(body["meta"]["total"])
    if paging in ("Page", "page_lower", "offset"):
        # Wuro's payments list counts in `count` (its `total` is the amount paid)
        return int(body["count"] if "payments" in body else body["total"])
    return len(body.get("data", []))


# ----------------------------------------------------------------------------- the floor


def fetch(c: httpx.Client, path: str, params: dict[str, Any]) -> Any:
    """One page's JSON; a dropped keep-alive connection is retried once, as any client would."""
    try:
        return orjson.loads(c.get(path, params=params).content)
    except httpx.TransportError:
        return orjson.loads(c.get(path, params=params).content)


def floor(env: dict[str, str], db: Path) -> dict[str, Any]:
    """Fetch every page with httpx (parallel), parse with orjson, insert Arrow batches."""
    con = duckdb.connect(str(db))
    rows = 0
    t0 = time.perf_counter()

    def fetch_endpoint(ep: tuple[str, str, str, int, str]) -> list[pa.Table]:
        vendor, path, paging, size, key = ep
        base = env[f"SOURCES__{vendor.upper()}__BASE_URL"]
        tables: list[pa.Table] = []
        with httpx.Client(
            base_url=base,
            headers=headers(vendor, env),
            timeout=60,
            limits=httpx.Limits(max_connections=WORKERS),
        ) as c:
            if paging == "cursor":
                cursor = None
                while True:
                    params: dict[str, Any] = {"limit": size}
                    if cursor:
                        params["cursor"] = cursor
                    body = fetch(c, path, params)
                    tables.append(pa.Table.from_pylist(body[key]))
                    cursor = body["pagination"]["nextCursor"]
                    if not cursor:
                        return tables
            first = fetch(c, path, page_params(paging, 1, size))
            tables.append(pa.Table.from_pylist(first[key]))
            if paging == "none":
                return tables
            pages = -(-total_of(first, paging) // size)

            def one(n: int) -> pa.Table:
                return pa.Table.from_pylist(fetch(c, path, page_params(paging, n, size))[key])

            with ThreadPoolExecutor(WORKERS) as pool:
                tables.extend(pool.map(one, range(2, pages + 1)))
        return tables

    with ThreadPoolExecutor(len(VENDORS)) as pool:
        results = list(pool.map(fetch_endpoint, ENDPOINTS))
    for i, (ep, tables) in enumerate(zip(ENDPOINTS, results, strict=True)):
        name = f"{ep[0]}_{i}"
        batch = [t for t in tables if t.num_rows]
        if not batch:
            continue
        table = pa.concat_tables(batch, promote_options="permissive")
        rows += table.num_rows
        con.register("batch", table)
        con.execute(f"create table {name} as select * from batch")
        con.unregister("batch")
    con.close()
    seconds = time.perf_counter() - t0
    return {"rows": rows, "seconds": round(seconds, 2), "rows_per_s": round(rows / seconds)}


# ----------------------------------------------------------------------------- ledgerline


def ledgerline(env: dict[str, str], home: Path) -> dict[str, Any]:
    """Run ``ledgerline``'s sync in its own process (peak memory is its own)."""
    code = (
        "import json, time\n"
        "from pipelines.sync import sync\n"
        "t0 = time.perf_counter(); res = sync(); s = time.perf_counter() - t0\n"
        "print(json.dumps({'seconds': s, 'errors': [r.error for r in res if r.error],"
        " 'requests': sum(r.stats.requests for r in res),"
        " 'tables': {r.vendor: r.stats.tables for r in res},"
        " 'vendors': {r.vendor: {'seconds': round(r.seconds, 2), 'requests': r.stats.requests,"
        " 'rows': sum(r.stats.tables.values())} for r in res},"
        # VmHWM, not ru_maxrss: the latter survives exec and would report the bench's own peak
        " 'peak_rss_mb': int(open('/proc/self/status').read().split('VmHWM:')[1].split()[0]) / 1024}))\n"
    )
    # the sandbox serves Hoursmith without rate limits here, as the floor assumes: tell the
    # client its plan has none (it still obeys X-RateLimit-* headers and 429s)
    limits = {"SOURCES__HOURSMITH__PLAN_LIMITS": "[]"}
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **env, **limits, "LEDGERLINE_HOME": str(home)},
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if result["errors"]:
        raise RuntimeError(result["errors"])
    return result


def top_level_rows(tables: dict[str, dict[str, int]]) -> int:
    """Records the list endpoints returned (children and tombstones excluded)."""
    top = {
        "baloom": {"categories", "products", "customers", "orders", "invoices"},
        "katsu": {"counterparties", "products", "invoices"},
        "ibana": {"counterparties", "supplier_invoices", "customer_invoices"},
        "wuro": {"product_categories", "clients", "products", "invoices", "payments"},
        "hoursmith": {"clients", "invoices"},
    }
    return sum(n for v, t in tables.items() for name, n in t.items() if name in top[v])


# ----------------------------------------------------------------------------- dlt rest_api


def dlt_plain(env: dict[str, str], workdir: Path, vendors: list[str]) -> dict[str, Any]:
    """dlt's rest_api_source, configured plainly, in its own process."""
    code = f"""
import json, time, dlt
from dlt.sources.rest_api import rest_api_source
env = json.loads({json.dumps(json.dumps(env))})
eps = {json.dumps(ENDPOINTS)}
def paginator(paging, size, key):
    if paging == "page":
        return {{"type": "page_number", "page_param": "page", "base_page": 1, "total_path": "meta.totalPages"}}
    if paging == "Page":
        return {{"type": "page_number", "page_param": "PageNumber", "base_page": 1, "total_path": None, "stop_after_empty_page": True}}
    if paging == "page_lower":
        return {{"type": "page_number", "page_param": "pageNumber", "base_page": 1, "total_path": None, "stop_after_empty_page": True}}
    if paging == "offset":
        return {{"type": "offset", "limit": size, "offset_param": "skip", "limit_param": "limit", "total_path": "count" if key == "payments" else "total"}}
    if paging == "cursor":
        return {{"type": "cursor", "cursor_path": "pagination.nextCursor", "cursor_param": "cursor"}}
    return {{"type": "single_page"}}
def auth(v):
    if v == "baloom":
        return {{"type": "api_key", "name": "X-API-Key", "api_key": env["SOURCES__BALOOM__API_KEY"], "location": "header"}}
    if v == "wuro":
        return None
    return {{"type": "bearer", "token": env["SOURCES__" + v.upper() + "__TOKEN"]}}
total_rows = 0
t0 = time.perf_counter()
for v in {json.dumps(vendors)}:
    resources = []
    for i, (vendor, path, paging, size, key) in enumerate(eps):
        if vendor != v:
            continue
        params = {{}}
        if paging in ("page", "offset"):
            params = {{"limit": size}} if paging == "page" else {{}}
        if paging == "Page":
            params = {{"PageSize": size}}
        if paging == "page_lower":
            params = {{"pageSize": size}}
        if paging == "cursor":
            params = {{"limit": size}}
        resources.append({{"name": f"r{{i}}", "endpoint": {{"path": path.lstrip("/"), "params": params, "data_selector": key, "paginator": paginator(paging, size, key)}}}})
    client = {{"base_url": env["SOURCES__" + v.upper() + "__BASE_URL"] + "/"}}
    if auth(v):
        client["auth"] = auth(v)
    else:
        client["headers"] = {{"X-APP-ID": env["SOURCES__WURO__APP_ID"], "X-APP-SECRET": env["SOURCES__WURO__APP_SECRET"]}}
    src = rest_api_source({{"client": client, "resources": resources}})
    p = dlt.pipeline("plain_" + v, destination=dlt.destinations.duckdb("{workdir}/plain.duckdb"), dataset_name="plain_" + v, pipelines_dir="{workdir}/pl")
    info = p.run(src)
    total_rows += sum(n for t, n in p.last_trace.last_normalize_info.row_counts.items() if t.startswith("r") and "__" not in t)
print(json.dumps({{"seconds": time.perf_counter() - t0, "rows": total_rows}}))
"""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "RUNTIME__DLTHUB_TELEMETRY": "false"},
    )
    peak = 0  # its resident memory, sampled each second (a killed process reports nothing)
    while proc.poll() is None:
        try:
            status = Path(f"/proc/{proc.pid}/status").read_text()
            peak = max(peak, int(status.split("VmRSS:")[1].split()[0]) // 1024)
        except (OSError, IndexError):
            pass
        time.sleep(1)
    stdout, stderr = proc.communicate()
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:  # the code holds the sandbox credentials: report the outcome only
        how = (
            f"killed by signal {-proc.returncode}"
            if proc.returncode < 0
            else f"exit {proc.returncode}"
        )
        last = stderr.strip().splitlines()[-1][:200] if stderr.strip() else ""
        return {
            "failed": f"{how} after {seconds:.0f} s",
            "error": last,
            "seconds": seconds,
            "peak_rss_mb": peak,
        }
    return {**json.loads(stdout.strip().splitlines()[-1]), "peak_rss_mb": peak}


def main() -> dict[str, Any]:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=int, default=100_000)
    ap.add_argument("--skip-dlt", action="store_true")
    ap.add_argument(
        "--dlt-vendors", default=",".join(VENDORS), help="vendors to run through dlt rest_api"
    )
    ap.add_argument(
        "--memory-scale",
        type=int,
        default=None,
        help="scale of the smaller run for the peak-memory ratio (default: a tenth; 0 skips)",
    )
    args = ap.parse_args()
    if args.memory_scale is None:
        args.memory_scale = args.scale // 10
    work = Path(tempfile.mkdtemp(prefix="ledgerline-bench-"))
    result: dict[str, Any] = {"scale": args.scale, "workers": WORKERS}
    try:
        with sandbox_process(args.scale) as (admin, env, _pid):
            for k, v in env.items():
                os.environ[k] = v
            t0 = time.perf_counter()
            floor(env, work / "warmup.duckdb")  # the sandbox renders and caches every page once
            result["warmup_s"] = round(time.perf_counter() - t0, 1)
            # floor and full sync taken in turns, FULL_RUNS times each; the medians are compared
            floors, fulls = [], []
            for n in range(FULL_RUNS):
                db = work / f"floor-{n}.duckdb"
                floors.append(floor(env, db))
                db.unlink()
                home = work / ("home" if n == FULL_RUNS - 1 else f"home-{n}")
                fulls.append(ledgerline(env, home))
                if n < FULL_RUNS - 1:
                    shutil.rmtree(home)
            result["floor"] = {
                **median(floors),
                "runs_seconds": [r["seconds"] for r in floors],
            }
            ours = median(fulls)
            peak = max(r["peak_rss_mb"] for r in fulls)
            rows = top_level_rows(ours["tables"])
            result["ledgerline"] = {
                "rows": rows,
                "seconds": round(ours["seconds"], 2),
                "runs_seconds": [round(r["seconds"], 2) for r in fulls],
                "rows_per_s": round(rows / ours["seconds"]),
                "requests": ours["requests"],
                "peak_rss_mb": round(peak),  # the highest of the runs
                "vendors": ours["vendors"],
            }
            result["ledgerline_vs_floor"] = round(
                result["ledgerline"]["rows_per_s"] / result["floor"]["rows_per_s"], 3
            )
            httpx.post(f"{admin}/clock/advance", params={"days": 1}, timeout=600).raise_for_status()
            before = work / "home-before-incremental"
            shutil.copytree(work / "home", before)
            # first read of the day's pages: the sandbox assembles and caches each one now
            cold = ledgerline(env, work / "home")
            # the same run from the same warehouse, the sandbox's pages cached as for the full
            # sync: three times, each from a fresh copy, the median compared
            runs = []
            for n in range(WARM_RUNS):
                home = work / f"home-incremental-{n}"
                shutil.copytree(before, home)
                runs.append(ledgerline(env, home))
                shutil.rmtree(home)
            inc = median(runs)
            result["incremental"] = {
                "seconds": round(inc["seconds"], 2),
                "runs_seconds": [round(r["seconds"], 2) for r in runs],
                "requests": inc["requests"],
                "rows": top_level_rows(inc["tables"]),
                "share_of_full": round(inc["seconds"] / ours["seconds"], 3),
                "cold_sandbox_seconds": round(cold["seconds"], 2),
                "cold_sandbox_share_of_full": round(cold["seconds"] / ours["seconds"], 3),
                "vendors": inc["vendors"],
            }
            if not args.skip_dlt:
                vendors = args.dlt_vendors.split(",")
                plain = dlt_plain(env, work, vendors)
                if "failed" in plain:  # recorded as it happened (the machine's memory ran out, say)
                    result["dlt_rest_api"] = {
                        "vendors": vendors,
                        **plain,
                        "seconds": round(plain["seconds"], 1),
                    }
                else:
                    result["dlt_rest_api"] = {
                        "vendors": vendors,
                        "rows": plain["rows"],
                        "seconds": round(plain["seconds"], 2),
                        "rows_per_s": round(plain["rows"] / plain["seconds"]),
                        "peak_rss_mb": plain["peak_rss_mb"],
                    }
                    result["ledgerline_vs_dlt_rest_api"] = round(
                        result["ledgerline"]["rows_per_s"] / result["dlt_rest_api"]["rows_per_s"], 1
                    )
        if args.memory_scale:
            with sandbox_process(args.memory_scale) as (_admin, env, _pid):
                small = ledgerline(env, work / "small")
            result["memory"] = {
                "small_scale": args.memory_scale,
                "small_peak_rss_mb": round(small["peak_rss_mb"]),
                "peak_rss_mb": result["ledgerline"]["peak_rss_mb"],
                "ratio": round(peak / small["peak_rss_mb"], 2),
            }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    record(f"sync_full_{args.scale}", result)
    return result


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
