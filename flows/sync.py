"""Prefect flows: a load per vendor, the transforms, and the top-level ``sync`` flow.

Thin wrappers: the work lives in :mod:`pipelines.sync` and :mod:`transforms.build`, which are
tested directly. Vendors extract concurrently (task runner threads); loads into the single
DuckDB file run one at a time; the transforms run after every load. A load task's retries
finish the pending load package of its vendor rather than extracting again.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.concurrency.sync import concurrency

from pipelines import config
from pipelines import sync as sync_lib
from pipelines.progress import new_stats
from pipelines.report import aging_summary_rows, run_summary_markdown
from pipelines.status import record_run
from sources import rescan


def _worth_retrying(task: Any, task_run: Any, state: Any) -> bool:
    """Retry transient failures only: a refused credential or a broken config stays broken."""
    exc = state.result(raise_on_failure=False)
    return not isinstance(exc, sync_lib.SyncFailed) or exc.retryable


@task(
    name="extract",
    retries=1,
    retry_delay_seconds=5,
    retry_condition_fn=_worth_retrying,
    task_run_name="extract-{vendor}",
)
def extract_task(vendor: str, full_refresh: bool = False, workers: int = 8) -> dict[str, Any]:
    """Finish anything an interrupted run left, then extract one vendor (network-bound).

    A first run creates the vendor's pipeline only once the vendor has answered (see
    :func:`pipelines.sync.extract`): a configuration problem writes nothing.
    """
    stats = new_stats(vendor)
    started = time.perf_counter()
    try:
        pipeline = sync_lib.existing_pipeline(vendor)
        resumed = sync_lib.finish_pending(pipeline)
        sync_lib.extract(vendor, pipeline, stats, full_refresh, workers)
    except Exception as exc:
        raise sync_lib.SyncFailed.of(vendor, exc) from None
    out = stats.as_dict()
    out["resumed"] = resumed
    out["extract_s"] = round(time.perf_counter() - started, 2)
    return out


@task(
    name="load",
    retries=3,
    retry_delay_seconds=2,
    retry_condition_fn=_worth_retrying,
    task_run_name="load-{vendor}",
)
def load_task(vendor: str) -> dict[str, Any]:
    """Normalize and load the vendor's extracted package; a retry resumes the same package."""
    pipeline = sync_lib.make_pipeline(vendor)
    started = time.perf_counter()
    try:
        load_ids, changes = sync_lib.load(pipeline, vendor)
    except Exception as exc:
        raise sync_lib.SyncFailed.of(vendor, exc) from None
    return {
        "load_ids": load_ids,
        "changes": changes,
        "load_s": round(time.perf_counter() - started, 2),
    }


@task(name="transform", retries=1, retry_delay_seconds=2)
def transform_task(as_of: date | None = None, currency: str = "EUR") -> dict[str, Any]:
    from transforms.build import build
    from warehouse import publish

    result = build(as_of=as_of, currency=currency)  # waits while another process holds the file
    publish()  # analysts read the published copy: never blocked, always consistent
    return {
        "as_of": result.as_of.isoformat(),
        "currency": currency,
        "seconds": round(result.seconds, 2),
        "models": len(result.models),
    }


@flow(name="ledgerline-vendor-load", log_prints=True)
def vendor_load_flow(vendor: str, full_refresh: bool = False) -> dict[str, Any]:
    """Extract and load one vendor."""
    stats = extract_task(vendor, full_refresh)
    stats.update(load_task(vendor))
    return stats


@flow(name="ledgerline-transform", log_prints=True)
def transform_flow(as_of: date | None = None, currency: str = "EUR") -> dict[str, Any]:
    """Rebuild every model of the warehouse."""
    with warehouse_slot():
        out = transform_task(as_of, currency)
    _aging_artifact()
    return out


@flow(name="ledgerline-sync", log_prints=True)
def sync_flow(
    vendors: list[str] | None = None,
    full_refresh: bool = False,
    transform: bool = True,
    as_of: date | None = None,
    currency: str = "EUR",
) -> dict[str, Any]:
    """Sync vendors (extract concurrently, load one at a time), then rebuild the models."""
    logger = get_run_logger()
    vendors = list(vendors or config.VENDORS)
    started = time.perf_counter()
    results: dict[str, dict[str, Any]] = {}
    failures: dict[str, str] = {}
    transformed = None
    try:  # a home or .dlt file that cannot work: one sentence, nothing written
        config.check_home()
        config.check_dlt_settings()
    except config.ConfigProblem as exc:
        raise sync_lib.SyncFailed(str(exc), retryable=False) from None
    # one writer of the warehouse at a time, across deployments and manual runs
    for vendor in vendors:  # import every source here, before extract threads race to
        sync_lib.source_factory(vendor)
    with warehouse_slot():
        futures = {v: extract_task.submit(v, full_refresh) for v in vendors}
        try:
            for vendor, fut in futures.items():
                try:
                    results[vendor] = fut.result()
                    results[vendor].update(load_task(vendor))
                except Exception as exc:
                    failures[vendor] = str(exc)
                    logger.error("%s", exc)
        finally:
            rescan.shutdown()  # the page worker, if an extract's rescan started it
        record_run(results, failures)
        if transform and not failures:
            transformed = transform_task(as_of, currency)
    duration = time.perf_counter() - started
    create_markdown_artifact(
        markdown=run_summary_markdown(results, failures, duration, transformed),
        key="ledgerline-sync-summary",
        description="Rows new, changed, deleted and rejected per table; requests, retries, duration.",
    )
    if transformed:
        _aging_artifact()
    if failures:
        # vendors that failed for the same reason (a locked warehouse, say) say it once
        raise sync_lib.SyncFailed("; ".join(dict.fromkeys(failures.values())))
    return {"vendors": results, "transform": transformed, "seconds": round(duration, 2)}


WAREHOUSE_SLOT = "ledgerline-warehouse"


@contextmanager
def warehouse_slot() -> Iterator[None]:
    """Hold the global ``ledgerline-warehouse`` concurrency slot (one writer at a time)."""
    with concurrency(WAREHOUSE_SLOT, occupy=1, timeout_seconds=6 * 3600):
        yield


def _aging_artifact() -> None:
    rows = aging_summary_rows()
    if rows:
        create_table_artifact(
            table=rows,
            key="ledgerline-receivables-aging",
            description="Receivables aging summary by bucket (reporting currency).",
        )
