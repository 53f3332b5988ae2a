"""ibana source: supplier invoices (payables), customer invoices (receivables), counterparties.

ibana has no updated-since filter [absent]; the contract allows:

* Supplier invoices: every run re-scans the unpaid statuses (one ``status`` series each),
  reads the tail of the oldest-first list past the record count the last run saw (new
  documents), and re-reads by id (``GET /v1/invoice/{id}``) every document the warehouse holds
  as unpaid that those scans did not return (paid, rejected; a 404 means deleted).
* Customer invoices: every run re-scans ``status=OPEN`` and reads ``dateFrom`` = the newest
  invoice date seen less a lag (new documents). Those that left the open set have no by-id
  route: they are re-read through one-day windows on their invoice date (see settings).
* Both: a full reconcile (every page, in parallel, with tombstones) every
  ``full_reconcile_days``, on ``full_refresh``, or when it is cheaper than the re-reads.

Invoices keep their history (scd2); their lines and splits are child tables replaced per
parent. Watermarks, totals and the last full reconcile live in each resource's dlt state,
committed with the load. Counterparties are small and scanned in full on every run.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote

import dlt
from dlt.common.schema.typing import TScd2StrategyDict

from sources.http import ApiClient, SourceError, SyncStats
from sources.ibana import helpers, settings
from sources.ibana.helpers import CUSTOMER_INVOICES, SUPPLIER_INVOICES
from sources.sync import (
    RAW_CONTRACT,
    DocumentRun,
    SyncContext,
    Watermark,
    is_due,
    leavers,
    nested,
    no_reader,
    resource,
    tail_pages,
)

VENDOR = "ibana"
__all__ = ["ibana_source"]


def make_client(
    base_url: str, token: str, stats: SyncStats | None = None, workers: int = 8
) -> ApiClient:
    """ibana's HTTP client: Bearer token, JSON."""
    return ApiClient(
        VENDOR,
        base_url,
        {"Authorization": f"Bearer {token}", "Accept": "application/json"},
        credential_hint=settings.CREDENTIAL_HINT,
        stats=stats,
        max_connections=workers,
    )


def _quoted(values: tuple[str, ...]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _pages(total: int | None) -> int:
    return -(-(total or 0) // settings.PAGE_LIMIT)


# ----------------------------------------------------------------------------- supplier invoices


def sync_supplier_invoices(ctx: SyncContext, state: dict[str, Any], full: bool) -> Iterator[Any]:
    """This run's supplier invoices, lines, splits, tombstones and rejects; updates ``state``."""
    endpoint = settings.ENDPOINTS["supplier_invoices"]
    children = [
        nested(ctx, helpers.SUPPLIER_INVOICE_LINES, "lineItems", "supplier_invoice_id"),
        nested(
            ctx, helpers.SUPPLIER_INVOICE_SPLITS, "splits", "supplier_invoice_id", "split_number"
        ),
    ]
    # no lag: the watermark only tells records seen before from new ones in the tail
    mark = Watermark(state, "newest_created", timedelta(0), ctx.observed_at)
    run = DocumentRun(ctx, SUPPLIER_INVOICES, endpoint, mark=helpers.created_at, children=children)
    newest, total = mark.start(), state.get("total")
    if full or newest is None or total is None:
        passes = None
    else:
        passes = lambda: supplier_passes(run, state, newest, total)  # noqa: E731
    yield from run.sync(state, helpers.page_spec("supplier_invoices"), passes)
    mark.see([run.newest])


def supplier_passes(
    run: DocumentRun, state: dict[str, Any], newest: datetime, known_total: int
) -> Generator[Any, None, bool]:
    """Unpaid statuses, the list's new tail, and re-reads by id of those that left."""
    ctx = run.ctx
    for status in settings.SUPPLIER_OPEN_STATUSES:
        spec = helpers.page_spec("supplier_invoices", **{settings.STATUS_PARAM: status})
        yield from run.scan(spec, narrow=f"status = {_quoted((status,))}")

    def known(record: Any) -> bool:
        at = helpers.created_at(record)
        return at is not None and at < newest

    spec = helpers.page_spec("supplier_invoices")
    for items, page in tail_pages(ctx, spec, known_total, known, settings.TAIL_OVERLAP_PAGES):
        state["total"] = spec.total(page.body)
        yield from run.emit(items)

    where = f"status in ({_quoted(settings.SUPPLIER_OPEN_STATUSES)})"
    ids = [r[0] for r in leavers(ctx, SUPPLIER_INVOICES, where, run.seen)]
    if len(ids) > _pages(state["total"]):
        return True

    def get(rid: str) -> Any:
        path = settings.SUPPLIER_INVOICE_BY_ID.format(id=quote(rid, safe=""))
        return ctx.client.get(path, allow_404=True)

    yield from run.reread(ids, get, lambda body: body)
    return False


# ----------------------------------------------------------------------------- customer invoices


def sync_customer_invoices(ctx: SyncContext, state: dict[str, Any], full: bool) -> Iterator[Any]:
    """This run's customer invoices, lines, tombstones and rejects; updates ``state``."""
    endpoint = settings.ENDPOINTS["customer_invoices"]
    lines = nested(ctx, helpers.CUSTOMER_INVOICE_LINES, "lineItems", "customer_invoice_id")
    lag = settings.NEW_CUSTOMER_INVOICES_LAG
    mark = Watermark(state, "newest_date", lag, ctx.observed_at.date())
    run = DocumentRun(ctx, CUSTOMER_INVOICES, endpoint, mark=helpers.invoice_date, children=[lines])
    since = mark.start()
    if full or since is None:
        passes = None
    else:
        passes = lambda: customer_passes(run, since, state.get("total"))  # noqa: E731
    yield from run.sync(state, helpers.page_spec("customer_invoices"), passes)
    mark.see([run.newest])


def customer_passes(
    run: DocumentRun, since: date, known_total: int | None
) -> Generator[Any, None, bool]:
    """Open ones, those dated since ``since``, and one-day windows for those that left."""
    ctx = run.ctx
    for status in settings.CUSTOMER_OPEN_STATUSES:
        spec = helpers.page_spec("customer_invoices", **{settings.STATUS_PARAM: status})
        yield from run.scan(spec, narrow=f"status = {_quoted((status,))}")
    window = {
        settings.DATE_FROM_PARAM: since.isoformat(),
        settings.DATE_FIELD_PARAM: settings.DATE_FIELD,
    }
    dated = f"{settings.DATE_FIELD} >= date '{since.isoformat()}'"
    yield from run.scan(helpers.page_spec("customer_invoices", **window), narrow=dated)

    where = f"status in ({_quoted(settings.CUSTOMER_OPEN_STATUSES)})"
    rows = leavers(ctx, CUSTOMER_INVOICES, where, run.seen, columns="id, invoice_date")
    days = sorted({day for _, day in rows if day is not None})
    if len(days) < len({day for _, day in rows}) or len(days) > _pages(known_total):
        return True  # a leaver without a date, or more windows than a full scan has pages
    for day in days:
        spec = helpers.page_spec("customer_invoices", **helpers.day_window(day.isoformat()))
        yield from run.scan(spec, narrow=f"{settings.DATE_FIELD} = date '{day.isoformat()}'")
    yield from run.flag({rid for rid, _ in rows} - run.seen)
    return False


# ----------------------------------------------------------------------------- the source


@dlt.source(name="ibana", max_table_nesting=0, schema_contract=RAW_CONTRACT)
def ibana_source(
    base_url: str = dlt.config.value,
    token: str = dlt.secrets.value,
    full_reconcile_days: float = settings.FULL_RECONCILE_DAYS,
    workers: int = 8,
    full_refresh: bool = False,
    stats: Any = None,
    reader: Any = None,
    dataset: str = "raw_ibana",
) -> Any:
    """ibana's supplier and customer invoices (scd2 history, with lines) and counterparties.

    Args:
        base_url: ibana's API root (no public host: required).
        token: The Bearer token.
        full_reconcile_days: Days between full reconciles of the invoices.
        workers: Requests in flight at once.
        full_refresh: Scan everything now, whatever the state says.
        stats: Counters to fill (the runner's).
        reader: Read access to the warehouse (what it holds as unpaid or open).
        dataset: The warehouse dataset of this source.
    """
    client = make_client(base_url, token, stats, workers)
    # one small request first: fails fast on bad credentials and reads ibana's clock
    probe = client.get(
        settings.ENDPOINTS["counterparties"], {settings.PAGE_PARAM: 1, settings.LIMIT_PARAM: 1}
    )
    if probe is None or probe.served_at is None:
        raise SourceError("ibana sent no Date header: check SOURCES__IBANA__BASE_URL.")
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
    history: TScd2StrategyDict = {
        "disposition": "merge",
        "strategy": "scd2",
        "boundary_timestamp": ctx.observed_at.isoformat(),
        "row_version_column_name": "row_hash",
    }

    def invoices(sync: Any) -> Iterator[Any]:
        state = dlt.current.resource_state()
        full = full_refresh or is_due(
            state.get("last_full_at"), ctx.observed_at, full_reconcile_days
        )
        yield from sync(ctx, state, full)

    def counterparties() -> Iterator[Any]:
        run = DocumentRun(ctx, helpers.COUNTERPARTIES, settings.ENDPOINTS["counterparties"])
        yield from run.full_scan(helpers.page_spec("counterparties"))

    return [
        resource(
            counterparties, name="counterparties", write_disposition="merge", primary_key="id"
        ),
        resource(
            lambda: invoices(sync_supplier_invoices),
            name="supplier_invoices",
            write_disposition=history,
            merge_key="id",
        ),
        resource(
            lambda: invoices(sync_customer_invoices),
            name="customer_invoices",
            write_disposition=history,
            merge_key="id",
        ),
    ]
