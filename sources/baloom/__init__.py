"""Baloom source: products, categories, orders (with items), customers and invoices.

Baloom offers no change filters, so every run scans every endpoint, with pages fetched in
parallel (the total is known from the first page). Because every run is a full scan, every run
also flags records Baloom no longer returns (hard deletes). Invoices keep their history (scd2).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

import dlt

from sources.baloom import helpers, settings
from sources.http import ApiClient, SyncStats
from sources.sync import RAW_CONTRACT, SyncContext, child, no_reader, resource, scan, tombstones

VENDOR = "baloom"


def make_client(
    base_url: str, api_key: str, stats: SyncStats | None = None, workers: int = 8
) -> ApiClient:
    return ApiClient(
        VENDOR,
        base_url,
        {"X-API-Key": api_key, "Accept": "application/json"},
        credential_hint=settings.CREDENTIAL_HINT,
        stats=stats,
        max_connections=workers,
    )


@dlt.source(name="baloom", max_table_nesting=0, schema_contract=RAW_CONTRACT)
def baloom_source(
    base_url: str = dlt.config.value,
    api_key: str = dlt.secrets.value,
    site_id: str | None = None,
    currency: str = settings.DEFAULT_CURRENCY,
    workers: int = 8,
    full_refresh: bool = False,
    stats: Any = None,
    reader: Any = None,
    dataset: str = "raw_baloom",
) -> Any:
    """Every Baloom entity; ``site_id`` narrows products, orders and customers to one site."""
    client = make_client(base_url, api_key, stats, workers)
    probe = client.get(
        settings.ENDPOINTS["categories"], {settings.PAGE_PARAM: 1, settings.LIMIT_PARAM: 1}
    )
    assert probe is not None and probe.served_at is not None
    ctx = SyncContext(
        VENDOR,
        client,
        probe.served_at,
        full=True,
        read=reader or no_reader,
        workers=workers,
        dataset=dataset,
        refresh=full_refresh,
    )
    observed = ctx.observed_at.isoformat()

    def entity(name: str, **extra_kwargs: Any) -> Iterator[Any]:
        table = helpers.TABLES[name]
        seen: set[str] = set()
        # dedupe: a record listed twice (the list shifted while it was read) is emitted once
        yield from scan(
            ctx,
            helpers.page_spec(name, site_id),
            table,
            endpoint=settings.ENDPOINTS[name],
            seen=seen,
            dedupe=seen,
            **extra_kwargs,
        )
        gone = tombstones(ctx, table, "id", seen)
        if gone is not None:
            yield gone

    def items_of(orders: list[dict[str, Any]]) -> Any:
        rows = [dict(it, _order=o.get("id")) for o in orders for it in helpers.order_items(o)]
        if not rows:
            return None
        arrow, bad, _ = helpers.ORDER_ITEMS.convert(
            rows,
            "/api/orders items",
            extra=lambda r: {"order_id": r["_order"], "line_number": r["_n"]},
        )
        return child(arrow, helpers.ORDER_ITEMS, "order_id")

    resources = []
    for name in ("categories", "products", "customers"):
        resources.append(
            resource(
                partial(entity, name),
                name=name,
                write_disposition="merge",
                primary_key="id",
            )
        )
    resources.append(
        resource(
            lambda: entity("orders", children=[items_of]),
            name="orders",
            write_disposition="merge",
            primary_key="id",
        )
    )
    resources.append(
        resource(
            lambda: entity("invoices", extra=lambda r: {"currency": currency}),
            name="invoices",
            write_disposition={
                "disposition": "merge",
                "strategy": "scd2",
                "boundary_timestamp": observed,
                "row_version_column_name": "row_hash",
            },
            merge_key="id",
        )
    )
    return resources
