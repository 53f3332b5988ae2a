"""Run the vendor sources into the warehouse: extract concurrently, load one at a time.

Each vendor has its own dlt pipeline (its own state and ``raw_<vendor>`` dataset) writing into
the one DuckDB file. Extraction, which waits on the network, runs for all vendors at once;
normalize and load, which write the file, run one vendor after another. A load package left
behind by a crash is finished before anything new is extracted.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

import dlt
import pandas  # noqa: F401  (imported up front: first imports racing in extract threads fail)
import pyarrow  # noqa: F401
from dlt.common.configuration.exceptions import ConfigFieldMissingException

from pipelines import config, report
from pipelines.progress import new_stats
from sources.http import SourceError, SyncStats

log = logging.getLogger("ledgerline.sync")
LOAD_LOCK = threading.Lock()  # one writer of the DuckDB file per process
LOADER_FILE_FORMAT = "parquet"  # dlt's insert_values default is about 7x slower here

CREDENTIALS = {
    "baloom": ("SOURCES__BALOOM__BASE_URL", "SOURCES__BALOOM__API_KEY"),
    "katsu": ("SOURCES__KATSU__BASE_URL", "SOURCES__KATSU__TOKEN"),
    "ibana": ("SOURCES__IBANA__BASE_URL", "SOURCES__IBANA__TOKEN"),
    "wuro": ("SOURCES__WURO__APP_ID", "SOURCES__WURO__APP_SECRET"),
    "hoursmith": ("SOURCES__HOURSMITH__TOKEN",),
}


class SyncFailed(Exception):
    """A vendor's sync failed; the message says what to do."""


@dataclass
class VendorResult:
    vendor: str
    stats: SyncStats
    seconds: float = 0.0
    error: str | None = None
    load_ids: list[str] = field(default_factory=list)
    changes: dict[str, dict[str, int]] = field(default_factory=dict)
    resumed: bool = False


def source_factory(vendor: str) -> Callable[..., Any]:
    module = importlib.import_module(f"sources.{vendor}")
    return getattr(module, f"{vendor}_source")


def make_pipeline(vendor: str) -> dlt.Pipeline:
    config.home().mkdir(parents=True, exist_ok=True)
    # every row records the load that wrote it: run summaries count changes per load
    dlt.config["normalize.parquet_normalizer.add_dlt_load_id"] = True
    return dlt.pipeline(
        pipeline_name=f"ledgerline_{vendor}",
        destination=dlt.destinations.duckdb(str(config.warehouse_path())),
        dataset_name=config.dataset(vendor),
        pipelines_dir=str(config.pipelines_dir()),
    )


def reader_for(pipeline: dlt.Pipeline) -> Callable[[str, Sequence[Any]], list[tuple[Any, ...]]]:
    """Read access to what the warehouse already holds, for a source's lookups."""

    def read(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        with LOAD_LOCK, pipeline.sql_client() as client, client.execute_query(sql, *params) as cur:
            return list(cur.fetchall())

    return read


def explain(vendor: str, exc: BaseException) -> str:
    """One sentence saying what went wrong and what to do, without a stack trace or secret."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, SourceError):
            return str(cur)
        if isinstance(cur, ConfigFieldMissingException):
            names = " and ".join(CREDENTIALS.get(vendor, ()))
            return f"{vendor} is not configured: set {names} (see .dlt/example.secrets.toml)."
        cur = cur.__cause__ or cur.__context__
    return f"{vendor} sync failed: {type(exc).__name__}: {exc}".splitlines()[0][:300]


def finish_pending(pipeline: dlt.Pipeline) -> bool:
    """Normalize and load whatever a previous, interrupted run left behind."""
    if not pipeline.has_pending_data:
        return False
    log.info("%s: finishing the work an interrupted run left behind", pipeline.pipeline_name)
    with LOAD_LOCK:
        pipeline.normalize()
        pipeline.load()
    return True


def extract(vendor: str, pipeline: dlt.Pipeline, stats: SyncStats, full_refresh: bool, workers: int) -> None:
    factory = source_factory(vendor)
    source = factory(
        full_refresh=full_refresh,
        stats=stats,
        reader=reader_for(pipeline),
        workers=workers,
        dataset=config.dataset(vendor),
    )
    pipeline.extract(source, loader_file_format=LOADER_FILE_FORMAT)


def load(pipeline: dlt.Pipeline, vendor: str | None = None) -> tuple[list[str], dict[str, dict[str, int]]]:
    """Normalize and load the extracted package; returns load ids and changes per table."""
    with LOAD_LOCK:
        before = _state(pipeline, vendor) if vendor else {}
        pipeline.normalize()
        info = pipeline.load()
        load_ids = list(info.loads_ids)
        changes: dict[str, dict[str, int]] = {}
        if vendor:
            with pipeline.sql_client() as client:
                changes = report.load_changes(client.native_connection, vendor, load_ids, before)
    return load_ids, changes


def _state(pipeline: dlt.Pipeline, vendor: str) -> dict[str, int]:
    try:
        with pipeline.sql_client() as client:
            return report.table_state(client.native_connection, vendor)
    except Exception:  # nothing loaded yet
        return {}


def sync(
    vendors: Sequence[str] = config.VENDORS,
    *,
    full_refresh: bool = False,
    workers: int = 8,
    on_stats: Callable[[SyncStats], None] | None = None,
) -> list[VendorResult]:
    """Sync ``vendors``: extract concurrently, then load each as soon as its extract is done."""
    unknown = [v for v in vendors if v not in config.VENDORS]
    if unknown:
        raise SyncFailed(f"unknown source {unknown[0]!r}: choose from {', '.join(config.VENDORS)}.")
    results = {v: VendorResult(v, new_stats(v)) for v in vendors}
    if on_stats:
        for r in results.values():
            r.stats.listeners.append(on_stats)
    pipelines = {v: make_pipeline(v) for v in vendors}
    for v, p in pipelines.items():
        try:
            results[v].resumed = finish_pending(p)
        except Exception as exc:
            results[v].error = explain(v, exc)

    def run_extract(v: str) -> str:
        t0 = time.perf_counter()
        extract(v, pipelines[v], results[v].stats, full_refresh, workers)
        results[v].seconds += time.perf_counter() - t0
        return v

    todo = [v for v in vendors if results[v].error is None]
    for v in todo:  # import every source in this thread, before the extract threads start
        source_factory(v)
    with ThreadPoolExecutor(max_workers=max(1, len(todo)), thread_name_prefix="ledgerline-extract") as pool:
        futures = {pool.submit(run_extract, v): v for v in todo}
        for fut in as_completed(futures):
            v = futures[fut]
            try:
                fut.result()
                t0 = time.perf_counter()
                results[v].load_ids, results[v].changes = load(pipelines[v], v)
                results[v].seconds += time.perf_counter() - t0
            except Exception as exc:
                results[v].error = explain(v, exc)
                results[v].stats.errors.append(results[v].error)
                log.debug("%s failed", v, exc_info=True)
    return [results[v] for v in vendors]
