"""Katsu Pay source: invoices (with history), counterparties and products.

Katsu has no change filters [absent], so invoices are synced the way the contract allows:

* every run re-scans the open statuses (``InvoiceStatus`` filter, one series per code),
* pages the unfiltered list newest-first down to the newest ``created`` seen before, less a lag,
* re-reads by id every invoice the warehouse holds as open that those scans did not return
  (it was paid or cancelled; a 404 means it was deleted and it is flagged so),
* and every ``full_reconcile_days`` (or on ``full_refresh``) scans every page in parallel,
  flagging the invoices Katsu no longer lists. When more invoices left the open set than a
  full scan has pages, the run does the full scan instead of the re-reads.

The newest ``created`` and the last full reconcile live in the resource's dlt state, which is
committed with the load: a failed load never moves them ahead of the data. Counterparties and
products are small and scanned in full on every run.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from datetime import datetime
from functools import partial
from typing import Any

import dlt
from dlt.common.schema.typing import TScd2StrategyDict

from sources.http import ApiClient, SourceError, SyncStats
from sources.katsu import helpers, settings
from sources.katsu.helpers import INVOICES
from sources.sync import (
    RAW_CONTRACT,
    DocumentRun,
    SyncContext,
    Watermark,
    is_due,
    leavers,
    no_reader,
    pages_until,
    resource,
)

VENDOR = "katsu"
__all__ = ["katsu_source"]


def make_client(
    base_url: str, token: str, stats: SyncStats | None = None, workers: int = 8
) -> ApiClient:
    """Katsu's HTTP client: Bearer token [assumed], JSON."""
    return ApiClient(
        VENDOR,
        base_url,
        {"Authorization": f"Bearer {token}", "Accept": "application/json"},
        credential_hint=settings.CREDENTIAL_HINT,
        stats=stats,
        max_connections=workers,
    )


def sync_invoices(ctx: SyncContext, state: dict[str, Any], full: bool) -> Iterator[Any]:
    """This run's invoice rows, tombstones and rejects; updates the resource ``state``."""
    mark = Watermark(state, "newest_created", settings.NEW_INVOICES_LAG, ctx.observed_at)
    run = DocumentRun(ctx, INVOICES, settings.ENDPOINTS["invoices"], mark=helpers.created)
    cutoff = mark.start()  # None before the first run: nothing to be incremental from
    passes = None if full or cutoff is None else (lambda: incremental(run, cutoff))
    yield from run.sync(state, helpers.page_spec("invoices"), passes)
    mark.see([run.newest])


def incremental(run: DocumentRun, cutoff: datetime) -> Generator[Any, None, bool]:
    """The open invoices, the new ones (down to ``cutoff``), and those that left the open set.

    Returns True, having re-read nothing, when more invoices left the open set than a full
    scan has pages (a full scan is then cheaper).
    """
    ctx = run.ctx
    for code in settings.OPEN_STATUSES:
        spec = helpers.page_spec("invoices", **{settings.STATUS_PARAM: code})
        yield from run.scan(spec, narrow=f"invoice_status = {int(code)}")

    spec = helpers.page_spec("invoices")
    total = 0

    def reached(items: list[Any]) -> bool:
        return any(at < cutoff for at in map(helpers.created, items) if at is not None)

    for items, page in pages_until(ctx, spec, reached):
        total = spec.total(page.body)
        yield from run.emit(items)

    codes = ", ".join(str(c) for c in settings.OPEN_STATUSES)
    ids = [r[0] for r in leavers(ctx, INVOICES, f"invoice_status in ({codes})", run.seen)]
    if len(ids) > -(-total // settings.PAGE_SIZE):
        return True
    path = settings.ENDPOINTS["invoice"]
    yield from run.reread(
        ids,
        lambda rid: ctx.client.get(path, {settings.INVOICE_ID_PARAM: rid}, allow_404=True),
        helpers.data,
    )
    return False


@dlt.source(name="katsu", max_table_nesting=0, schema_contract=RAW_CONTRACT)
def katsu_source(
    base_url: str = dlt.config.value,
    token: str = dlt.secrets.value,
    full_reconcile_days: float = settings.FULL_RECONCILE_DAYS,
    workers: int = 8,
    full_refresh: bool = False,
    stats: Any = None,
    reader: Any = None,
    dataset: str = "raw_katsu",
) -> Any:
    """Katsu Pay's invoices (scd2 history), counterparties and products.

    Args:
        base_url: Katsu's API root (no public host: required).
        token: The Bearer token.
        full_reconcile_days: Days between full reconciles of the invoices.
        workers: Requests in flight at once.
        full_refresh: Scan everything now, whatever the state says.
        stats: Counters to fill (the runner's).
        reader: Read access to the warehouse (what it holds as open).
        dataset: The warehouse dataset of this source.
    """
    client = make_client(base_url, token, stats, workers)
    number, size = settings.PAGE_PARAMS["counterparties"]
    # one small request first: fails fast on bad credentials and reads Katsu's clock
    probe = client.get(settings.ENDPOINTS["counterparties"], {number: 1, size: 1})
    if probe is None or probe.served_at is None:
        raise SourceError("katsu sent no Date header: check SOURCES__KATSU__BASE_URL.")
    helpers.items(probe.body)
    ctx = SyncContext(
        VENDOR,
        client,
        probe.served_at,
        full=full_refresh,
        refresh=full_refresh,
        read=reader or no_reader,
        workers=workers,
        dataset=dataset,
    )

    def invoices() -> Iterator[Any]:
        state = dlt.current.resource_state()
        full = full_refresh or is_due(
            state.get("last_full_at"), ctx.observed_at, full_reconcile_days
        )
        yield from sync_invoices(ctx, state, full)

    def catalogue(name: str) -> Iterator[Any]:
        run = DocumentRun(ctx, helpers.TABLES[name], settings.ENDPOINTS[name])
        yield from run.full_scan(helpers.page_spec(name))

    resources: list[Any] = [
        resource(
            partial(catalogue, name),
            name=name,
            write_disposition="merge",
            primary_key="id",
        )
        for name in ("counterparties", "products")
    ]
    history: TScd2StrategyDict = {
        "disposition": "merge",
        "strategy": "scd2",
        "boundary_timestamp": ctx.observed_at.isoformat(),
        "row_version_column_name": "row_hash",
    }
    resources.append(resource(invoices, name="invoices", write_disposition=history, merge_key="id"))
    return resources
