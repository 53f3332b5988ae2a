"""The Baloom source against the sandbox over loopback: what lands in ``raw_baloom``.

Baloom has no change filters, so every run scans every list (pages in parallel) and therefore
sees every change, edits to closed invoices and hard deletes included, on every run.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import duckdb
import pytest

from pipelines import config
from pipelines.sync import VendorResult, sync
from sandbox.server import Sandbox
from sandbox.vendors.baloom import baloom_status
from sandbox.world.books import BaloomBooks
from sandbox.world.model import Document, cents_to_decimal, rate_to_decimal
from sources.baloom import settings
from tests.sources.helpers import raw_snapshot, without_and_with_faults

VENDOR = "baloom"
SCALE = 1500
DOC_COLS = (
    "id, type, status, total_amount, subtotal, tax_amount, discount_amount, shipping_amount, "
    "due_date, paid_at, currency, order_id"
)


def run(full_refresh: bool = False) -> VendorResult:
    (result,) = sync([VENDOR], full_refresh=full_refresh)
    assert result.error is None, result.error
    return result


def query(sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(config.warehouse_path()), read_only=True) as con:
        return con.execute(sql).fetchall()


def current() -> dict[str, tuple[Any, ...]]:
    """The live invoices as the warehouse holds them now (current scd2 versions)."""
    rows = query(
        f"select {DOC_COLS} from raw_baloom.invoices "
        "where _dlt_valid_to is null and not deleted_upstream"
    )
    return {r[0]: r[1:] for r in rows}


def ms(at: datetime | None) -> datetime | None:
    """A timestamp as Baloom sends it: to the millisecond."""
    return None if at is None else at.replace(microsecond=at.microsecond // 1000 * 1000)


def expected(sb: Sandbox) -> dict[str, tuple[Any, ...]]:
    """The invoices Baloom serves, less the records it serves malformed (hostile)."""
    out: dict[str, tuple[Any, ...]] = {}
    for d in sb.world.documents(VENDOR):
        fault = sb.faults.record_fault(VENDOR, d.id)
        if d.deleted == "hard" or fault in ("bad_amount", "missing_id"):
            continue
        out[d.id] = (
            "REFUND" if d.kind == "credit_note" else "SALE",
            "ON_HOLD" if fault == "unknown_enum" else baloom_status(d, sb.world.clock),
            cents_to_decimal(d.gross),
            cents_to_decimal(sum(ln.net for ln in d.lines)),
            cents_to_decimal(d.vat),
            cents_to_decimal(d.discount),
            cents_to_decimal(d.shipping),
            d.effective_due_date,
            ms(d.paid_at),
            settings.DEFAULT_CURRENCY,
            d.order.id if d.order else None,
        )
    return out


def expected_orders(sb: Sandbox, site: str | None = None) -> dict[str, tuple[Any, ...]]:
    books = sb.world.books[VENDOR]
    return {
        o.id: (
            o.status,
            cents_to_decimal(sum(ln.net for ln in o.lines) - o.discount + o.shipping + o.tax),
        )
        for o in books.orders
        if o.created_at <= sb.world.now and (site is None or o.site_id == site)
    }


def totals() -> tuple[Any, ...]:
    """Row counts (history included) and exact sums of every table: must not move on a rerun."""
    return query(
        "select (select count(*) from raw_baloom.invoices), "
        "(select sum(total_amount) from raw_baloom.invoices), "
        "(select count(*) from raw_baloom.orders), "
        "(select sum(total_amount) from raw_baloom.orders), "
        "(select sum(total) from raw_baloom.order_items), "
        "(select count(*) from raw_baloom.customers), "
        "(select sum(price) from raw_baloom.products), "
        "(select count(*) from raw_baloom.categories)"
    )[0]


def pages(n: int) -> int:
    return max(1, -(-n // settings.PAGE_LIMIT))


def full_scan_requests(sb: Sandbox) -> int:
    """One request per page of every list, plus the probe: Baloom can only be read whole."""
    books = sb.world.books[VENDOR]
    live = [d for d in sb.world.documents(VENDOR) if d.deleted != "hard"]
    orders = [o for o in books.orders if o.created_at <= sb.world.now]
    return 1 + sum(
        map(
            pages,
            (
                len(live),
                len(orders),
                len(books.customers),
                len(books.products),
                len(books.categories),
            ),
        )
    )


def test_full_incremental_history_and_deletes(
    make_sandbox: Callable[..., Sandbox],
    point_at: Callable[[Sandbox], None],
    hard_delete: Callable[[Sandbox, Document], None],
) -> None:
    sb = make_sandbox(scale=SCALE)
    point_at(sb)

    full = run()
    want = expected(sb)
    assert current() == want
    assert full.stats.requests == full_scan_requests(sb)
    total, tax = query(
        "select sum(total_amount), sum(tax_amount) from raw_baloom.invoices where _dlt_valid_to is null"
    )[0]
    assert isinstance(total, Decimal)
    assert total == sum(v[2] for v in want.values())
    assert tax == sum(v[4] for v in want.values())
    types = dict(
        query(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'raw_baloom' and table_name = 'invoices'"
        )
    )
    assert (
        types["total_amount"] == types["tax_amount"] == types["shipping_amount"] == "DECIMAL(18,2)"
    )
    assert (types["due_date"], types["paid_at"]) == ("DATE", "TIMESTAMP WITH TIME ZONE")

    # orders with their items, exact to the cent; the catalogue and the customers
    books = sb.world.books[VENDOR]
    orders = {r[0]: r[1:] for r in query("select id, status, total_amount from raw_baloom.orders")}
    assert orders == expected_orders(sb)
    items = query(
        "select order_id, line_number, product_id, quantity, unit_price, tax_rate, total "
        "from raw_baloom.order_items order by order_id, line_number"
    )
    assert items == sorted(
        (
            o.id,
            n,
            ln.product_id,
            cents_to_decimal(ln.quantity),
            cents_to_decimal(ln.unit_price),
            rate_to_decimal(ln.rate),
            cents_to_decimal(ln.net),
        )
        for o in books.orders
        if o.created_at <= sb.world.now
        for n, ln in enumerate(o.lines, 1)
    )
    assert {r[0] for r in query("select id from raw_baloom.products")} == {
        p.id for p in books.products
    }
    assert {r[0] for r in query("select id from raw_baloom.categories")} == {
        c.id for c in books.categories
    }
    assert {r[0] for r in query("select id from raw_baloom.customers")} == {
        c.id for c in books.customers
    }

    # a rerun with nothing changed: same rows, same sums
    before = totals()
    again = run()
    assert totals() == before
    assert again.stats.requests == full.stats.requests  # no change filters: a full scan again

    # two days on: new, paid and deleted invoices, one of them deleted after it was paid
    live = [d for d in sb.world.documents(VENDOR) if d.deleted != "hard"]
    was_open = {d.id for d in live if d.state in ("open", "draft")}
    paid_victim = next(d for d in live if d.state == "paid")
    open_victim = next(d for d in live if d.id in was_open)
    for victim in (paid_victim, open_victim):
        hard_delete(sb, victim)
    first_clock = sb.world.clock
    sb.advance(2)
    inc = run()
    assert current() == expected(sb)
    assert inc.stats.requests == full_scan_requests(sb)
    new = {d.id for d in sb.world.documents(VENDOR) if d.issue_date > first_clock}
    paid = {d.id for d in sb.world.documents(VENDOR) if d.id in was_open and d.state == "paid"}
    assert new and paid, "the sandbox should create and settle invoices within two days"
    assert new <= current().keys()
    assert orders.keys() < {r[0] for r in query("select id from raw_baloom.orders")}
    assert {
        r[0]: r[1:] for r in query("select id, status, total_amount from raw_baloom.orders")
    } == (expected_orders(sb))
    assert query(
        "select id, deleted_upstream from raw_baloom.invoices "
        f"where id in ('{paid_victim.id}', '{open_victim.id}') and _dlt_valid_to is null order by id"
    ) == sorted([(paid_victim.id, True), (open_victim.id, True)])
    # history: the settled invoices have a new version from the sandbox clock on
    history = query(
        "select id, _dlt_valid_from, _dlt_valid_to from raw_baloom.invoices "
        f"where id in ({', '.join(repr(i) for i in paid)}) order by id, _dlt_valid_from"
    )
    for rid in paid:
        versions = [(vf, vt) for i, vf, vt in history if i == rid]
        assert len(versions) == 2
        assert versions[1] == (sb.world.now, None)
        assert versions[0][1] == sb.world.now
    # unchanged invoices keep their one version: the run loaded the changes only
    changed = query(
        "select count(distinct id) from raw_baloom.invoices where _dlt_valid_from = "
        "(select max(_dlt_valid_from) from raw_baloom.invoices)"
    )[0][0]
    assert changed < len(current()) // 4

    assert run(full_refresh=True).stats.requests == inc.stats.requests
    assert current() == expected(sb)


def test_site_scope_narrows_products_orders_and_customers(
    make_sandbox: Callable[..., Sandbox],
    point_at: Callable[[Sandbox], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sb = make_sandbox(scale=600)
    point_at(sb)
    books = sb.world.books[VENDOR]
    assert isinstance(books, BaloomBooks)
    site = books.sites[0]
    monkeypatch.setenv("SOURCES__BALOOM__SITE_ID", site)
    run()
    assert {
        r[0]: r[1:] for r in query("select id, status, total_amount from raw_baloom.orders")
    } == (expected_orders(sb, site))
    assert {r[0] for r in query("select id from raw_baloom.products")} == {
        p.id for p in books.products if p.site_id == site
    }
    # the site's customers and the organisation-wide ones (includeGlobal)
    assert {r[0] for r in query("select id from raw_baloom.customers")} == {
        c.id for c in books.customers if c.site_id in (site, None)
    }
    assert current() == expected(sb)  # invoices are not site-scoped


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every raw table's rows, history included, without dlt's load bookkeeping."""
    return raw_snapshot(
        query,
        "raw_baloom",
        ("invoices", "orders", "order_items", "customers", "products", "categories"),
    )


def test_flaky_vendor_gives_the_same_warehouse(
    make_sandbox: Callable[..., Sandbox],
    point_at: Callable[[Sandbox], None],
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    without_and_with_faults(
        make_sandbox, point_at, tmp_path, monkeypatch, run, lambda _home: snapshot(), scale=SCALE
    )


def test_hostile_records_are_set_aside_with_reasons(
    make_sandbox: Callable[..., Sandbox], point_at: Callable[[Sandbox], None]
) -> None:
    sb = make_sandbox(scale=SCALE, faults="hostile")
    point_at(sb)
    result = run()
    assert current() == expected(sb)  # every good record, the unknown status kept as sent
    served = [d for d in sb.world.documents(VENDOR) if d.deleted != "hard"]
    faults = {d.id: sb.faults.record_fault(VENDOR, d.id) for d in served}
    assert {"bad_amount", "missing_id", "unknown_enum", "duplicate"} <= set(faults.values())
    rejected = query("select record_id, reason, payload from raw_baloom.rejected_records")
    bad_amount = {i for i, f in faults.items() if f == "bad_amount"}
    missing_id = [i for i, f in faults.items() if f == "missing_id"]
    assert {r[0] for r in rejected if r[0] is not None} == bad_amount
    assert all("'totalAmount'" in r[1] and "abc" in r[1] for r in rejected if r[0] is not None)
    assert all('"totalAmount":"abc"' in r[2] for r in rejected if r[0] is not None)  # whole payload
    no_id = [r for r in rejected if r[0] is None]
    assert len(no_id) == len(missing_id)
    assert all(r[1] == "missing required field 'id'" for r in no_id)
    assert result.stats.rejected >= len(rejected)
    assert query(
        "select count(*) - count(distinct id) from raw_baloom.invoices where _dlt_valid_to is null"
    ) == [(0,)]

    before, count = totals(), len(rejected)
    run()
    assert totals() == before
    assert query("select count(*) from raw_baloom.rejected_records") == [(count,)]
    sb.advance(2)
    run()
    assert current() == expected(sb)
