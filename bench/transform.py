"""The full transform at 1,000,000 invoices and 4,000,000 lines (goal: under 15 s on 2 cores),
reported against a plain ``SELECT`` scan of the raw line tables in the same run.

The raw tables are generated directly in DuckDB in exactly the shapes the sources write
(``transforms.catalog``), spread over the five vendors, with history versions, payments,
credit notes and several VAT rates, so every model does its real work.

Usage: ``python -m bench.transform [--invoices 1000000] [--lines-per-invoice 4]``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from bench.common import record
from transforms.build import build
from transforms.catalog import empty_relation

AS_OF = date(2026, 11, 2)


def create_raw(con: duckdb.DuckDBPyConnection, vendor: str, table: str, select: str) -> None:
    """``raw_<vendor>.<table>`` shaped as a sync creates it, filled by ``select`` (by name)."""
    con.execute(f"create schema if not exists raw_{vendor}")
    con.execute(f"create table raw_{vendor}.{table} as {empty_relation(vendor, table)}")
    con.execute(f"insert into raw_{vendor}.{table} by name {select}")


def generate(con: duckdb.DuckDBPyConnection, invoices: int, lines_per: int) -> dict[str, int]:
    """Fill the raw datasets: ``invoices`` documents split over the vendors, ``lines_per`` lines each."""
    share = {"baloom": 0.2, "katsu": 0.2, "ibana": 0.2, "wuro": 0.2, "hoursmith": 0.2}
    n = {v: int(invoices * s) for v, s in share.items()}
    cust = max(1000, invoices // 50)
    day = "(date '2024-09-01' + (hash(i, 'd') % 790)::integer)"
    ts = f"({day}::timestamp + interval 10 hour)::timestamptz"
    valid = "timestamptz '2026-11-02 18:00:00+00'"
    paid = "(hash(i, 'p') % 10 < 7)"
    money = "(cast((hash(i, 'm') % 500000) as decimal(18, 2)) / 100 + 10)"
    # -- baloom: invoices with orders and order items
    create_raw(con, "baloom", "customers", f"select 'c' || i as id, 'Customer ' || i as name, 'c' || i || '@x.example' as email, 'FR' as country from range({cust}) t(i)")
    create_raw(con, "baloom", "orders", f"select 'o' || i as id, 'ORD' || i as order_number, 'c' || (i % {cust}) as customer_id, 'EUR' as currency, 0::decimal(18,2) as subtotal, 0::decimal(18,2) as tax_amount, 0::decimal(18,2) as total_amount, {ts} as created_at from range({n['baloom']}) t(i)")
    create_raw(con, "baloom", "order_items", f"select 'o' || (i // {lines_per}) as order_id, (i % {lines_per}) + 1 as line_number, 'p1' as product_id, 1::decimal(18,4) as quantity, cast(10 + i % 90 as decimal(18,2)) as unit_price, [20.0, 10.0, 5.5][1 + (hash(i) % 3)::integer]::decimal(18,4) as tax_rate, cast(10 + i % 90 as decimal(18,2)) as total from range({n['baloom'] * lines_per}) t(i)")
    create_raw(con, "baloom", "invoices", f"""
        select 'b' || i as id, 'INV' || i as invoice_number, case when i % 17 = 0 then 'REFUND' else 'SALE' end as type,
               case when {paid} then 'PAID' else 'SENT' end as status, 'c' || (i % {cust}) as customer_id, 'o' || i as order_id,
               {money} * 1.2 as total_amount, {money} as subtotal, {money} * 0.2 as tax_amount, 0::decimal(18,2) as discount_amount,
               0::decimal(18,2) as shipping_amount, {day} + 30 as due_date, case when {paid} then {ts} + interval 5 day end as paid_at,
               {ts} as created_at, {ts} as updated_at, 'EUR' as currency, md5(i::varchar) as row_hash, false as deleted_upstream,
               {valid} as _dlt_valid_from, null::timestamptz as _dlt_valid_to
        from range({n['baloom']}) t(i)""")
    # -- katsu: amounts and paid amounts, two versions for a tenth (history of payments)
    create_raw(con, "katsu", "counterparties", f"select 'k' || i as id, 'Counterparty ' || i as name from range({cust}) t(i)")
    create_raw(con, "katsu", "invoices", f"""
        select 'k' || i as id, 'KP' || i as invoice_number, 'k' || (i % {cust}) as counterparty_id, {day} + 14 as due_date,
               1 + (hash(i) % 4)::integer as currency, {money} as amount, case when {paid} then {money} else 0 end as paid_amount,
               {ts} as created_at, case when {paid} then 4 else 2 end as invoice_status, md5(i::varchar) as row_hash,
               false as deleted_upstream, {valid} as _dlt_valid_from, null::timestamptz as _dlt_valid_to
        from range({n['katsu']}) t(i)""")
    # -- ibana: supplier invoices with lines, customer invoices with lines
    half = n["ibana"] // 2
    create_raw(con, "ibana", "counterparties", f"select 'i' || i as id, 'Supplier ' || i as name, 'DE' as country from range({cust}) t(i)")
    create_raw(con, "ibana", "supplier_invoices", f"""
        select 's' || i as id, 'i' || (i % {cust}) as payee_id, 'RE' || i as invoice_number, {day} as invoice_date, {day} + 30 as due_date,
               case when i % 3 = 0 then {day} + 10 end as skonto_date, case when i % 3 = 0 then 2.0 end as skonto_rate,
               {money} * 1.19 as total_amount, 'EUR' as currency, 'INVOICE' as type, case when {paid} then 'PAID' else 'APPROVED' end as status,
               {paid} as already_paid, case when {paid} then {day} + 9 end as already_paid_date, 'DE' as debitor_country_code,
               md5(i::varchar) as row_hash, false as deleted_upstream, {valid} as _dlt_valid_from, null::timestamptz as _dlt_valid_to
        from range({half}) t(i)""")
    create_raw(con, "ibana", "supplier_invoice_lines", f"select 's' || (i // {lines_per}) as supplier_invoice_id, (i % {lines_per}) + 1 as line_number, cast(10 + i % 90 as decimal(18,2)) as total_price, 19.0::decimal(18,4) as tax_rate, cast((10 + i % 90) * 0.19 as decimal(18,2)) as tax_amount from range({half * lines_per}) t(i)")
    create_raw(con, "ibana", "customer_invoices", f"""
        select 'a' || i as id, 'AR' || i as invoice_number, 'i' || (i % {cust}) as counterparty_id, {day} as invoice_date, {day} + 30 as due_date,
               'EUR' as currency, {money} as net_amount, {money} * 0.19 as tax_amount, {money} * 1.19 as total_amount,
               case when {paid} then {money} * 1.19 else 0 end as paid_amount, case when {paid} then 'PAID' else 'OPEN' end as status,
               md5(i::varchar) as row_hash, false as deleted_upstream, {valid} as _dlt_valid_from, null::timestamptz as _dlt_valid_to
        from range({half}) t(i)""")
    create_raw(con, "ibana", "customer_invoice_lines", f"select 'a' || (i // {lines_per}) as customer_invoice_id, (i % {lines_per}) + 1 as line_number, cast(10 + i % 90 as decimal(18,2)) as total_price, 19.0::decimal(18,4) as tax_rate, cast((10 + i % 90) * 0.19 as decimal(18,2)) as tax_amount from range({half * lines_per}) t(i)")
    # -- wuro: invoices with lines, VAT rates and payments
    create_raw(con, "wuro", "clients", f"select 'w' || i as id, 'Client ' || i as name, 'active' as state from range({cust}) t(i)")
    create_raw(con, "wuro", "invoices", f"""
        select 'w' || i as id, 'F' || i as number, case when {paid} then 'paid' else 'waiting' end as state,
               case when i % 19 = 0 then 'credit' else 'invoice' end as type, {day} as date, {day} + 30 as payment_expiry_date,
               {money} as total_ht, {money} * 0.2 as total_tva, {money} * 1.2 as total_ttc, 'EUR' as base_currency, 'EUR' as currency,
               'w' || (i % {cust}) as client_id, md5(i::varchar) as row_hash, false as deleted_upstream,
               {valid} as _dlt_valid_from, null::timestamptz as _dlt_valid_to
        from range({n['wuro']}) t(i)""")
    create_raw(con, "wuro", "invoice_lines", f"select 'w' || (i // {lines_per}) as invoice_id, (i % {lines_per}) + 1 as line_number, 'product' as type, cast(10 + i % 90 as decimal(18,2)) as total_ht, cast((10 + i % 90) * 1.2 as decimal(18,2)) as total_ttc, 20.0::decimal(18,4) as tva_rate from range({n['wuro'] * lines_per}) t(i)")
    create_raw(con, "wuro", "invoice_vat_rates", f"select 'w' || i as invoice_id, 1 as line_number, 20.0::decimal(18,4) as rate, {money} as total, {money} * 0.2 as amount from range({n['wuro']}) t(i)")
    create_raw(con, "wuro", "invoice_payments", f"select 'w' || i as invoice_id, 1 as line_number, 'pay' || i as payment_id, {money} * 1.2 as amount, {ts} + interval 12 day as date from range({n['wuro']}) t(i) where {paid}")
    # -- hoursmith
    create_raw(con, "hoursmith", "clients", f"select 'h' || i as id, 'Client ' || i as name, 'GB' as billing_country from range({cust}) t(i)")
    create_raw(con, "hoursmith", "invoices", f"""
        select 'h' || i as id, 'h' || (i % {cust}) as client_id, 'INV-' || i as number, case when {paid} then 'PAID' else 'SENT' end as status,
               {money} as subtotal, 0::decimal(18,2) as discount_amount, 20.0::decimal(18,4) as tax_rate, {money} * 1.2 as total,
               case when {paid} then {money} * 1.2 else 0 end as amount_paid, {day} as issue_date, {day} + 30 as due_date,
               case when {paid} then {ts} + interval 3 day end as paid_at, {ts} as created_at, 'GBP' as currency,
               md5(i::varchar) as row_hash, false as deleted_upstream, {valid} as _dlt_valid_from, null::timestamptz as _dlt_valid_to
        from range({n['hoursmith']}) t(i)""")
    counts = {
        "invoices": sum(n.values()),
        "lines": con.execute(
            "select (select count(*) from raw_baloom.order_items) + (select count(*) from raw_ibana.supplier_invoice_lines)"
            " + (select count(*) from raw_ibana.customer_invoice_lines) + (select count(*) from raw_wuro.invoice_lines)"
        ).fetchone()[0],
    }
    return counts


LINE_SCAN = """
select count(*), sum(total), sum(tax_rate) from raw_baloom.order_items
union all select count(*), sum(total_price), sum(tax_amount) from raw_ibana.supplier_invoice_lines
union all select count(*), sum(total_price), sum(tax_amount) from raw_ibana.customer_invoice_lines
union all select count(*), sum(total_ht), sum(total_ttc) from raw_wuro.invoice_lines
"""


def main() -> dict[str, Any]:
    ap = argparse.ArgumentParser()
    ap.add_argument("--invoices", type=int, default=1_000_000)
    ap.add_argument("--lines-per-invoice", type=int, default=4)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="ledgerline-transform-bench-") as tmp:
        path = Path(tmp) / "bench.duckdb"
        con = duckdb.connect(str(path))
        t0 = time.perf_counter()
        counts = generate(con, args.invoices, args.lines_per_invoice)
        con.execute("checkpoint")
        generated = time.perf_counter() - t0
        t0 = time.perf_counter()
        con.execute(LINE_SCAN).fetchall()
        scan = time.perf_counter() - t0
        con.close()
        t0 = time.perf_counter()
        result = build(path, as_of=AS_OF)
        seconds = time.perf_counter() - t0
        slowest = sorted(result.models, key=lambda m: -m[1])[:8]
    out = {
        **counts,
        "generate_s": round(generated, 1),
        "transform_s": round(seconds, 2),
        "plain_line_scan_s": round(scan, 3),
        "transform_vs_scan": round(seconds / scan, 1) if scan else None,
        "goal_s": 15,
        "slowest_models": [(k, round(s, 2), rows) for k, s, rows in slowest],
    }
    record(f"transform_{args.invoices}", out)
    return out


if __name__ == "__main__":
    print(json.dumps(main(), indent=2, default=str))
