"""The ibana source against the sandbox over loopback: what lands in ``raw_ibana``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import duckdb
import pytest

from pipelines import config
from pipelines.sync import VendorResult, sync
from sandbox.server import Sandbox
from sandbox.vendors.ibana import receivable_status, supplier_status
from sandbox.world.model import Document, cents_to_decimal, rate_to_decimal, vat_of
from sources.ibana import settings
from tests.sources.helpers import raw_snapshot, without_and_with_faults

VENDOR = "ibana"
SCALE = 1500
UNKNOWN = {"supplier_invoices": "ON_HOLD", "customer_invoices": "ON_HOLD"}  # hostile enum
CLOSED = {"PAID", "REJECTED"}  # supplier notes edited after closing wait for the reconcile
SUPPLIER_COLS = (
    "id, total_amount, status, already_paid, already_paid_date, invoice_date, due_date, "
    "skonto_amount, skonto_rate, currency, type, payee_id, payee_name, payee_iban, payee_vat, "
    "debitor_country_code, notes"
)
CUSTOMER_COLS = (
    "id, total_amount, net_amount, tax_amount, paid_amount, status, invoice_date, due_date, "
    "counterparty_id"
)


def run(full_refresh: bool = False) -> VendorResult:
    (result,) = sync([VENDOR], full_refresh=full_refresh)
    assert result.error is None, result.error
    return result


def query(sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(config.warehouse_path()), read_only=True) as con:
        return con.execute(sql).fetchall()


def live(table: str) -> str:
    """The current, live versions of a history table (a subquery)."""
    return f"(select * from raw_ibana.{table} where _dlt_valid_to is null and not deleted_upstream)"


def docs(sb: Sandbox, endpoint: str) -> list[Document]:
    """The documents ibana serves on ``endpoint``, less those it serves malformed (hostile)."""
    return [
        d
        for d in sb.world.documents(VENDOR)
        if d.endpoint == endpoint
        and d.deleted != "hard"
        and sb.faults.record_fault(VENDOR, d.id) not in ("bad_amount", "missing_id")
    ]


def status(sb: Sandbox, d: Document) -> str:
    if sb.faults.record_fault(VENDOR, d.id) == "unknown_enum":
        return UNKNOWN[d.endpoint]
    return supplier_status(d) if d.endpoint == "supplier_invoices" else receivable_status(d)


def supplier_row(sb: Sandbox, d: Document) -> tuple[Any, ...]:
    skonto = d.skonto_date is not None
    return (
        cents_to_decimal(d.gross),
        status(sb, d),
        d.state == "paid",
        d.payments[-1].on if d.payments else None,
        d.issue_date,
        d.effective_due_date,
        cents_to_decimal(vat_of(d.gross, d.skonto_rate)) if skonto else None,
        rate_to_decimal(d.skonto_rate) if skonto else None,
        d.currency,
        "CREDIT_NOTE" if d.kind == "credit_note" else "INVOICE",
        d.customer.id,
        d.customer.name,
        d.customer.party.iban,
        d.customer.party.vat_id,
        d.extra["debitor"]["countryCode"],
        d.effective_notes,
    )


def customer_row(sb: Sandbox, d: Document) -> tuple[Any, ...]:
    return (
        cents_to_decimal(d.gross),
        cents_to_decimal(d.net),
        cents_to_decimal(d.vat),
        cents_to_decimal(d.paid),
        status(sb, d),
        d.issue_date,
        d.effective_due_date,
        d.customer.id,
    )


def check_against_world(sb: Sandbox, notes_of_closed: bool = True) -> None:
    """Every live document, its lines and splits, exactly as the sandbox serves them."""

    def trim(row: tuple[Any, ...]) -> tuple[Any, ...]:
        return row if notes_of_closed or row[1] not in CLOSED else row[:-1]

    suppliers = docs(sb, "supplier_invoices")
    got = {
        r[0]: trim(r[1:]) for r in query(f"select {SUPPLIER_COLS} from {live('supplier_invoices')}")
    }
    assert got == {d.id: trim(supplier_row(sb, d)) for d in suppliers}
    customers = docs(sb, "customer_invoices")
    got = {r[0]: r[1:] for r in query(f"select {CUSTOMER_COLS} from {live('customer_invoices')}")}
    assert got == {d.id: customer_row(sb, d) for d in customers}

    for parent, rows in (("supplier_invoice", suppliers), ("customer_invoice", customers)):
        lines = [ln for d in rows for ln in d.lines if ln.kind == "product"]
        got_lines = query(
            f"select count(*), sum(l.total_price), sum(l.tax_amount) "
            f"from raw_ibana.{parent}_lines l join {live(parent + 's')} p "
            f"on p.id = l.{parent}_id"
        )
        assert got_lines == [
            (
                len(lines),
                cents_to_decimal(sum(ln.net for ln in lines)),
                cents_to_decimal(sum(ln.vat for ln in lines)),
            )
        ]
    got_splits = query(
        "select count(*), sum(s.partial_amount) from raw_ibana.supplier_invoice_splits s "
        f"join {live('supplier_invoices')} p on p.id = s.supplier_invoice_id"
    )
    assert got_splits == [
        (
            sum(len(d.vat_by_rate) for d in suppliers),
            cents_to_decimal(sum(d.gross for d in suppliers)),
        )
    ]


def totals() -> tuple[Any, ...]:
    """Row counts (history included) and exact sums: must not move on a rerun."""
    return query(
        "select (select count(*) from raw_ibana.supplier_invoices), "
        "(select sum(total_amount) from raw_ibana.supplier_invoices), "
        "(select count(*) from raw_ibana.customer_invoices), "
        "(select sum(paid_amount) from raw_ibana.customer_invoices), "
        "(select count(*) || '/' || sum(total_price) from raw_ibana.supplier_invoice_lines), "
        "(select count(*) || '/' || sum(total_price) from raw_ibana.customer_invoice_lines), "
        "(select count(*) from raw_ibana.counterparties)"
    )[0]


def pages(n: int) -> int:
    return max(1, -(-n // settings.PAGE_LIMIT))


def open_ids(sb: Sandbox) -> set[str]:
    """Supplier invoices in an unpaid status and OPEN customer invoices."""
    return {
        d.id
        for d in docs(sb, "supplier_invoices") + docs(sb, "customer_invoices")
        if status(sb, d) in settings.SUPPLIER_OPEN_STATUSES + settings.CUSTOMER_OPEN_STATUSES
    }


def incremental_budget(sb: Sandbox, was_open: set[str], since: date) -> int:
    """The most requests an incremental run may need: it grows with the open documents and
    the changes, never with the closed history."""
    suppliers, customers = docs(sb, "supplier_invoices"), docs(sb, "customer_invoices")
    by_status = [
        sum(status(sb, d) == s for d in suppliers)
        for s in settings.SUPPLIER_OPEN_STATUSES + settings.CUSTOMER_OPEN_STATUSES
    ]
    window = sum(d.issue_date >= since for d in customers)
    counterparties = sum(not c.deleted for c in sb.world.books[VENDOR].customers)
    tail = 2  # the page of the first new position, and possibly the one before
    left = len(was_open - open_ids(sb))  # one by-id read or one day window each, at most
    return 1 + pages(counterparties) + sum(map(pages, by_status)) + tail + pages(window) + left


def test_full_incremental_history_and_reconcile(
    make_sandbox: Callable[..., Sandbox],
    point_at: Callable[[Sandbox], None],
    hard_delete: Callable[[Sandbox, Document], None],
) -> None:
    sb = make_sandbox(scale=SCALE)
    point_at(sb)

    full = run()
    check_against_world(sb)
    spellings = {d.extra["new_spelling"] for d in docs(sb, "supplier_invoices")}
    assert spellings == {True, False}, "both payee spellings must be exercised"
    types = dict(
        query(
            "select table_name || '.' || column_name, data_type from information_schema.columns "
            "where table_schema = 'raw_ibana'"
        )
    )
    for col in (
        "supplier_invoices.total_amount",
        "supplier_invoices.skonto_amount",
        "customer_invoices.paid_amount",
        "supplier_invoice_lines.unit_price",
        "supplier_invoice_splits.partial_amount",
    ):
        assert types[col] == "DECIMAL(18,2)", col
    assert types["supplier_invoices.invoice_date"] == "DATE"
    assert types["supplier_invoices.created_at"] == "TIMESTAMP WITH TIME ZONE"
    (total,) = query(f"select sum(total_amount) from {live('supplier_invoices')}")[0]
    assert isinstance(total, Decimal)
    assert total == sum(cents_to_decimal(d.gross) for d in docs(sb, "supplier_invoices"))
    parties = {c.id: c.party for c in sb.world.books[VENDOR].customers if not c.deleted}
    assert {
        r[0]: r[1:] for r in query("select id, bank_iban, vat from raw_ibana.counterparties")
    } == {i: (p.iban, p.vat_id) for i, p in parties.items()}

    # a rerun with nothing changed: same rows, same sums
    before = totals()
    again = run()
    assert totals() == before
    assert again.stats.requests < full.stats.requests

    # two days on: new, reviewed, paid and deleted documents
    was_open = open_ids(sb)
    since = (
        max(d.issue_date for d in docs(sb, "customer_invoices"))
        - settings.NEW_CUSTOMER_INVOICES_LAG
    )
    unpaid_supplier = next(d for d in docs(sb, "supplier_invoices") if d.id in was_open)
    old_open_customer = next(d for d in docs(sb, "customer_invoices") if d.id in was_open)
    assert old_open_customer.issue_date < since  # its delete is found through a day window
    for victim in (unpaid_supplier, old_open_customer):
        hard_delete(sb, victim)
    first_clock = sb.world.clock
    sb.advance(2)
    inc = run()
    check_against_world(sb, notes_of_closed=False)
    new = {d.id for d in sb.world.documents(VENDOR) if d.created_at.date() > first_clock}
    left = was_open - open_ids(sb) - {unpaid_supplier.id, old_open_customer.id}
    assert new and left, "the sandbox should create and settle documents within two days"
    for table, victim in (
        ("supplier_invoices", unpaid_supplier),
        ("customer_invoices", old_open_customer),
    ):
        assert query(
            f"select deleted_upstream from raw_ibana.{table} "
            f"where id = '{victim.id}' and _dlt_valid_to is null"
        ) == [(True,)]
    # history: documents that left the open set have a new version from the sandbox clock on
    history = query(
        "select id, _dlt_valid_from, _dlt_valid_to from raw_ibana.supplier_invoices "
        "union all select id, _dlt_valid_from, _dlt_valid_to from raw_ibana.customer_invoices "
        "order by 1, 2"
    )
    for rid in left:
        versions = [(vf, vt) for i, vf, vt in history if i == rid]
        assert len(versions) == 2
        assert versions[1] == (sb.world.now, None)
        assert versions[0][1] == sb.world.now
    assert inc.stats.requests < full.stats.requests
    assert inc.stats.requests <= incremental_budget(sb, was_open, since)

    # past full_reconcile_days: a full reconcile, which also sees edits to closed documents
    sb.advance(6)
    assert run().stats.requests >= full.stats.requests
    check_against_world(sb)
    assert run(full_refresh=True).stats.requests >= full.stats.requests
    check_against_world(sb)


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every raw table's rows, history included, without dlt's load bookkeeping."""
    return raw_snapshot(
        query,
        "raw_ibana",
        (
            "supplier_invoices",
            "supplier_invoice_lines",
            "supplier_invoice_splits",
            "customer_invoices",
            "customer_invoice_lines",
            "counterparties",
        ),
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
    run()
    check_against_world(sb)  # every good record; unknown statuses kept as sent
    faults = {d.id: sb.faults.record_fault(VENDOR, d.id) for d in sb.world.documents(VENDOR)}
    assert {"bad_amount", "missing_id", "unknown_enum", "duplicate"} <= set(faults.values())
    rejected = query("select endpoint, record_id, reason from raw_ibana.rejected_records")
    assert {r[1] for r in rejected if r[1] is not None} == {
        i for i, f in faults.items() if f == "bad_amount"
    }
    assert all("'totalAmount'" in r[2] and "abc" in r[2] for r in rejected if r[1] is not None)
    no_id = [r for r in rejected if r[1] is None]
    assert len(no_id) == sum(f == "missing_id" for f in faults.values())
    assert all(r[2] == "missing required field 'id'" for r in no_id)
    assert {r[0] for r in rejected} <= set(settings.ENDPOINTS.values())
    for table in ("supplier_invoices", "customer_invoices"):
        assert query(
            f"select count(*) - count(distinct id) from raw_ibana.{table} "
            "where _dlt_valid_to is null"
        ) == [(0,)]

    before, count = totals(), len(rejected)
    run()
    assert totals() == before
    assert query("select count(*) from raw_ibana.rejected_records") == [(count,)]
    sb.advance(2)
    run()
    check_against_world(sb, notes_of_closed=False)
