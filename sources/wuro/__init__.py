"""Wuro source: invoices (with lines, VAT rates, advances, payments), payments, clients, products.

Wuro invoices carry no timestamps, so changes are found the way the contract allows: every run
re-reads the open states (one request series per state), the invoices dated since the newest
date seen (less a lag), and, one by one, every invoice the warehouse holds as open that those
scans no longer returned (it was paid or deleted; a 404 flags it deleted). Payments are read
from the newest payment date seen (less a lag). Every ``full_reconcile_days`` a run reads
everything instead, which catches edits to closed invoices and hard deletes. Clients, products
and categories are small: every run reads them whole. Invoices keep their history (scd2).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import quote

import dlt
import pyarrow as pa

from sources.http import ApiClient, Page, SyncStats
from sources.records import Table
from sources.sync import (
    RAW_CONTRACT,
    PageSpec,
    SyncContext,
    Watermark,
    by_id,
    emit_page,
    is_due,
    leavers,
    no_reader,
    numbered_batches,
    resource,
    tombstones,
    utc_now,
)
from sources.wuro import helpers, settings

VENDOR = "wuro"
LAST_FULL = "last_full"  # resource state: when the last full reconcile ran (vendor clock)


def make_client(
    base_url: str, app_id: str, app_secret: str, stats: SyncStats | None = None, workers: int = 8
) -> ApiClient:
    """The Wuro HTTP client: both app headers on every request."""
    return ApiClient(
        VENDOR,
        base_url,
        {
            settings.ID_HEADER: app_id,
            settings.SECRET_HEADER: app_secret,
            "Accept": "application/json",
        },
        credential_hint=settings.CREDENTIAL_HINT,
        stats=stats,
        max_connections=workers,
    )


def invoice_of(body: Any) -> Any:
    """The invoice in a by-id answer (``{"invoice": {...}}``)."""
    return body.get("invoice") if isinstance(body, dict) else body


class InvoiceRun:
    """One run over the invoices: each invoice emitted once, whichever scans return it."""

    def __init__(self, ctx: SyncContext, mark: Watermark) -> None:
        self.ctx = ctx
        self.mark = mark
        self.seen: set[str] = set()
        self.children = [
            helpers.child_rows(ctx, key, table) for key, table in helpers.INVOICE_CHILDREN
        ]

    def emit(self, items: list[Any], narrow: str = "") -> Iterator[Any]:
        """One page of invoice records: typed rows, child rows, rejects; watermark updated
        (``narrow``: see :meth:`scan`)."""
        out = emit_page(
            self.ctx,
            helpers.INVOICES,
            items,
            endpoint=settings.ENDPOINTS["invoices"],
            id_key=settings.ID_KEY,
            seen=self.seen,
            dedupe=self.seen,
            extra=helpers.invoice_extra,
            children=self.children,
            narrow=narrow,
        )
        for item in helpers.country_codes(out, helpers.COUNTRY_COLUMNS["invoices"]):
            if isinstance(item, pa.Table):
                self.mark.see(item.column("date").to_pylist())
            yield item

    def scan(self, spec: PageSpec, narrow: str = "") -> Iterator[Any]:
        """Every page of one invoice list (pages in parallel); ``narrow`` narrows the stored
        versions its pages are checked against (see :meth:`SyncContext.versions`)."""
        for batch in numbered_batches(self.ctx, spec, table=helpers.INVOICES, narrow=narrow):
            yield from self.emit(batch, narrow)

    def reread(self, ids: Sequence[str]) -> Iterator[Any]:
        """Read invoices by id, in parallel; those Wuro no longer has are flagged deleted."""
        path = settings.ENDPOINTS["invoice"]

        def get(uid: str) -> Page | None:
            return self.ctx.client.get(path.format(uid=quote(uid, safe="")), allow_404=True)

        missing: set[str] = set()
        for batch in by_id(self.ctx, ids, get, invoice_of, missing):
            yield from self.emit(batch)
        if missing:
            yield from self.gone(only=missing)

    def gone(self, only: set[str] | None = None) -> Iterator[Any]:
        """Tombstones: current invoices not seen by this run (of ``only``, when given)."""
        flagged = tombstones(self.ctx, helpers.INVOICES, "id", self.seen, only=only)
        if flagged is not None:
            yield flagged


def _full(state: dict[str, Any], ctx: SyncContext, every_days: float) -> bool:
    return ctx.full or is_due(state.get(LAST_FULL), ctx.observed_at, every_days)


def invoices(ctx: SyncContext, every_days: float) -> Iterator[Any]:
    """The invoices resource: a full reconcile when due, else open states, new ones, leavers."""
    state = dlt.current.resource_state("invoices")
    full = _full(state, ctx, every_days)
    run = InvoiceRun(
        ctx, Watermark(state, "date", settings.NEW_INVOICES_LAG, ctx.observed_at.date())
    )
    if full:
        for st in (None, settings.INACTIVE):
            yield from run.scan(helpers.page_spec("invoices", state=st))
        yield from run.gone()
        state[LAST_FULL] = ctx.observed_at.isoformat()
        return
    since = run.mark.start()
    for st in settings.OPEN_STATES:
        yield from run.scan(helpers.page_spec("invoices", state=st), narrow=f"state = '{st}'")
    for st in settings.NEW_INVOICE_STATES:
        min_date = since.isoformat() if since else None
        conds = [f"state = '{st}'"] if st else []
        conds += [f"date >= date '{min_date}'"] if min_date else []
        spec = helpers.page_spec("invoices", state=st, minDate=min_date)
        yield from run.scan(spec, narrow=" and ".join(conds))
    left = leavers(ctx, helpers.INVOICES, helpers.open_states_sql(), run.seen)
    if left:
        yield from run.reread([row[0] for row in left])


def payments(ctx: SyncContext, every_days: float) -> Iterator[Any]:
    """The payments list: all of it when a reconcile is due, else from the watermark."""
    state = dlt.current.resource_state("payments")
    full = _full(state, ctx, every_days)
    mark = Watermark(state, "date", settings.PAYMENTS_LAG, ctx.observed_at.date())
    since = None if full else mark.start()
    spec = helpers.page_spec("payments", minDate=since.isoformat() if since else None)
    seen: set[str] = set()
    for batch in numbered_batches(ctx, spec, table=helpers.PAYMENTS):
        for item in emit_page(
            ctx,
            helpers.PAYMENTS,
            batch,
            endpoint=spec.path,
            id_key=settings.ID_KEY,
            seen=seen,
            dedupe=seen,
        ):
            if isinstance(item, pa.Table):
                mark.see([ts.date() for ts in item.column("date").to_pylist() if ts is not None])
            yield item
    if full:
        flagged = tombstones(ctx, helpers.PAYMENTS, "id", seen)
        if flagged is not None:
            yield flagged
        state[LAST_FULL] = ctx.observed_at.isoformat()


def catalog(ctx: SyncContext, entity: str, table: Table, every_days: float) -> Iterator[Any]:
    """Clients or products: the active list whole, and the inactive (deleted) list when needed.

    The inactive list is read on a full reconcile, and when records the warehouse holds as
    active are no longer listed (deleted since); what neither list returns is flagged deleted.
    """
    state = dlt.current.resource_state(entity)
    full = _full(state, ctx, every_days)
    codes = helpers.COUNTRY_COLUMNS.get(entity, ())
    seen: set[str] = set()

    def read(st: str | None) -> Iterator[Any]:
        spec = helpers.page_spec(entity, state=st)
        for batch in numbered_batches(ctx, spec, table=table):
            out = emit_page(
                ctx,
                table,
                batch,
                endpoint=spec.path,
                id_key=settings.ID_KEY,
                seen=seen,
                dedupe=seen,
            )
            yield from helpers.country_codes(out, codes)

    yield from read(None)
    left = {
        row[0] for row in leavers(ctx, table, f"state is distinct from '{settings.INACTIVE}'", seen)
    }
    if full or left:
        yield from read(settings.INACTIVE)
        flagged = tombstones(ctx, table, "id", seen, only=None if full else left)
        if flagged is not None:
            yield flagged
    if full:
        state[LAST_FULL] = ctx.observed_at.isoformat()


def categories(ctx: SyncContext, page: Page) -> Iterator[Any]:
    """Product categories: one unpaginated list (the run's first request already read it)."""
    seen: set[str] = set()
    table = helpers.PRODUCT_CATEGORIES
    path = settings.ENDPOINTS["product_categories"]
    yield from emit_page(
        ctx, table, page.body["data"], endpoint=path, id_key=settings.ID_KEY, seen=seen, dedupe=seen
    )
    flagged = tombstones(ctx, table, "id", seen)
    if flagged is not None:
        yield flagged


@dlt.source(name="wuro", max_table_nesting=0, schema_contract=RAW_CONTRACT)
def wuro_source(
    base_url: str = settings.BASE_URL,
    app_id: str = dlt.secrets.value,
    app_secret: str = dlt.secrets.value,
    full_reconcile_days: float = settings.FULL_RECONCILE_DAYS,
    workers: int = 8,
    full_refresh: bool = False,
    stats: Any = None,
    reader: Any = None,
    dataset: str = "raw_wuro",
) -> Any:
    """Every Wuro entity; ``full_refresh`` forces the full reconcile a run does when it is due."""
    client = make_client(base_url, app_id, app_secret, stats, workers)
    # a small first request: fails fast on bad credentials and reads the vendor's clock; it is
    # the (short, unpaginated) category list, which the run then loads
    probe = client.get(settings.ENDPOINTS["product_categories"])
    assert probe is not None
    client.stats.add(pages=1)
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
    merge: dict[str, Any] = {"write_disposition": "merge", "primary_key": "id"}
    return [
        resource(
            lambda: invoices(ctx, full_reconcile_days),
            name="invoices",
            write_disposition={
                "disposition": "merge",
                "strategy": "scd2",
                "boundary_timestamp": observed.isoformat(),
                "row_version_column_name": "row_hash",
            },
            merge_key="id",
        ),
        resource(lambda: payments(ctx, full_reconcile_days), name="payments", **merge),
        resource(
            lambda: catalog(ctx, "clients", helpers.CLIENTS, full_reconcile_days),
            name="clients",
            **merge,
        ),
        resource(
            lambda: catalog(ctx, "products", helpers.PRODUCTS, full_reconcile_days),
            name="products",
            **merge,
        ),
        resource(lambda: categories(ctx, probe), name="product_categories", **merge),
    ]
