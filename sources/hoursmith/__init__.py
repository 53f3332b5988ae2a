"""Hoursmith source: invoices (with history) and clients, under the plan's rate limits.

Every change to a Hoursmith record moves its ``updatedAt`` (soft deletes included), so an
incremental run reads invoices newest change first (``sort=-updatedAt``) and stops at the
newest change the last run saw, less a lag; clients filter on ``updatedAtFrom``. Every
``full_reconcile_days`` a run walks both lists whole, which also flags hard deletes. Requests
go through a budget that keeps under the plan's documented windows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import dlt
import pyarrow as pa

from sources.hoursmith import helpers, settings
from sources.records import Table
from sources.sync import (
    RAW_CONTRACT,
    SyncContext,
    Watermark,
    coalesce,
    emit_page,
    is_due,
    no_reader,
    resource,
    tombstones,
    utc_now,
)

VENDOR = "hoursmith"
LAST_FULL = "last_full"  # resource state: when the last full reconcile ran (vendor clock)
WATERMARK = "updated_at"


def sync_list(
    ctx: SyncContext,
    entity: str,
    page_limit: int,
    every_days: float,
    *,
    extra: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> Iterator[Any]:
    """One Hoursmith list: whole when a reconcile is due, else the changes since the watermark."""
    table: Table = helpers.TABLES[entity]
    state = dlt.current.resource_state(entity)
    full = ctx.full or is_due(state.get(LAST_FULL), ctx.observed_at, every_days)
    mark = Watermark(state, WATERMARK, settings.UPDATED_LAG, ctx.observed_at)
    since = None if full else mark.start()
    if since is None:
        walk = helpers.pages(ctx, entity, {"sort": settings.FULL_SORT}, page_limit)
    elif entity == "invoices":
        # no change filter on invoices [absent]: newest change first, down to the watermark
        sort = {"sort": settings.CHANGES_SORT}
        walk = helpers.pages(ctx, entity, sort, page_limit, stop=helpers.older_than(since))
    else:
        query = {"sort": settings.FULL_SORT, settings.CLIENTS_SINCE_PARAM: since.isoformat()}
        walk = helpers.pages(ctx, entity, query, page_limit)
    seen: set[str] = set()
    for batch in coalesce(walk):
        for item in emit_page(
            ctx,
            table,
            batch,
            endpoint=settings.ENDPOINTS[entity],
            seen=seen,
            dedupe=seen,
            extra=extra,
        ):
            if isinstance(item, pa.Table):
                mark.see(item.column(WATERMARK).to_pylist())
            yield item
    if full:
        flagged = tombstones(ctx, table, "id", seen)
        if flagged is not None:
            yield flagged
        state[LAST_FULL] = ctx.observed_at.isoformat()


@dlt.source(name="hoursmith", max_table_nesting=0, schema_contract=RAW_CONTRACT)
def hoursmith_source(
    base_url: str = settings.BASE_URL,
    token: str = dlt.secrets.value,
    full_reconcile_days: float = settings.FULL_RECONCILE_DAYS,
    plan_limits: list[Any] | None = None,
    page_limit: int = settings.PAGE_LIMIT,
    workers: int = 8,
    full_refresh: bool = False,
    stats: Any = None,
    reader: Any = None,
    dataset: str = "raw_hoursmith",
) -> Any:
    """Hoursmith invoices and clients.

    Args:
        base_url: The API root.
        token: The API token (``hsk_...``).
        full_reconcile_days: How often a run reads everything (and flags hard deletes).
        plan_limits: The plan's ``(requests, seconds)`` windows the client keeps under
            (default :data:`settings.PLAN_LIMITS`, the Studio plan's); an empty list for a
            plan without limits (``X-RateLimit-*`` headers and 429s are still obeyed).
        page_limit: Records per page (at most 200).
        workers: Unused: cursor pages are read one after another.
        full_refresh: Read everything on this run.
        stats: Counters of the run.
        reader: Read access to the warehouse.
        dataset: The warehouse dataset of this source.
    """
    limits = settings.PLAN_LIMITS if plan_limits is None else plan_limits
    client = helpers.make_client(base_url, token, stats, limits)
    # a small first request: fails fast on a bad token and reads the vendor's clock
    probe = client.get(settings.ENDPOINTS["clients"], {settings.LIMIT_PARAM: 1})
    assert probe is not None
    observed = probe.served_at or utc_now()
    ctx = SyncContext(
        VENDOR,
        client,
        observed,
        full=full_refresh,
        refresh=full_refresh,
        read=reader or no_reader,
        workers=workers,
        dataset=dataset,
    )
    return [
        resource(
            lambda: sync_list(
                ctx, "invoices", page_limit, full_reconcile_days, extra=helpers.invoice_extra
            ),
            name="invoices",
            write_disposition={
                "disposition": "merge",
                "strategy": "scd2",
                "boundary_timestamp": observed.isoformat(),
                "row_version_column_name": "row_hash",
            },
            merge_key="id",
        ),
        resource(
            lambda: sync_list(ctx, "clients", page_limit, full_reconcile_days),
            name="clients",
            write_disposition="merge",
            primary_key="id",
        ),
    ]
