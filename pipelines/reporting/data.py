"""What the report shows, read from the marts with exact decimals (no pandas, no floats)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import duckdb

from warehouse.queries import QUERIES, last_closed_quarter

Row = dict[str, Any]

CA3_ORDER = ("08", "9B", "09", "T6", "16", "20", "23", "28", "25")


def rows(con: duckdb.DuckDBPyConnection, sql: str, **params: Any) -> list[Row]:
    """The result of ``sql`` as a list of dicts (decimals stay :class:`Decimal`)."""
    rel = con.sql(sql, params=params or None)
    cols = rel.columns
    return [dict(zip(cols, r, strict=True)) for r in rel.fetchall()]


@dataclass
class ReportData:
    as_of: date
    currency: str
    built_at: datetime
    quarter: str
    aging_totals: list[Row]
    top_overdue: list[Row]
    dso: list[Row]
    vat_by_country: list[Row]
    ca3: list[Row]
    uk_9box: list[Row]
    skonto: list[Row]
    quality: list[Row]
    coverage: list[Row]
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def converted_aging(self) -> Row | None:
        """The total aging row in the reporting currency."""
        return next((r for r in self.aging_totals if r["is_converted"]), None)


def _pivot_basis(items: list[Row], key: str, values: tuple[str, ...]) -> list[Row]:
    """Rows per ``key`` with ``<basis>_<value>`` columns for both bases (null when missing)."""
    out: dict[Any, Row] = {}
    for r in items:
        row = out.setdefault(r[key], {key: r[key], "label": r.get("label")})
        for b in ("accrual", "cash"):
            for v in values:
                row.setdefault(f"{b}_{v}", None)
        for v in values:
            row[f"{r['basis']}_{v}"] = r[v]
    return list(out.values())


def load(con: duckdb.DuckDBPyConnection, top: int = 10) -> ReportData:
    """Everything the report shows, for the build in ``con`` (as-of date and currency)."""
    params = rows(con, "select as_of_date, reporting_currency, built_at from core.parameters")
    if not params:
        raise LookupError("the warehouse has no core.parameters: run `ledgerline transform`.")
    as_of, currency = params[0]["as_of_date"], params[0]["reporting_currency"]
    built_at = params[0]["built_at"].astimezone(UTC)  # shown as UTC whatever the session's zone
    quarter = last_closed_quarter(as_of)
    aging_totals = rows(
        con,
        'select currency, is_converted, "current", "1-30", "31-60", "61-90", "91-120", "120+", '
        "total, open_items from marts.receivables_aging where is_total "
        "order by is_converted desc, currency",
    )
    customers = rows(con, QUERIES["who_owes_most"].sql, limit=1_000_000)
    overdue = [c for c in customers if (c["overdue_amount"] or 0) > 0]
    overdue.sort(key=lambda c: (-c["overdue_amount"], c["unified_customer_id"]))
    dso = rows(con, "select * from marts.dso order by period")
    vat = rows(
        con,
        "select country, basis, sum(output_vat) as output_vat, sum(input_vat) as input_vat, "
        "sum(net_vat_due) as net_vat_due, sum(sales_base) as sales_base, "
        "sum(purchases_base) as purchases_base from marts.vat_return where quarter = $quarter "
        "group by country, basis order by country, basis",
        quarter=quarter,
    )
    months = _quarter_months(quarter)
    ca3 = rows(
        con,
        "select line, any_value(label) as label, basis, sum(taxable_base) as taxable_base, "
        "sum(vat_amount) as vat_amount from marts.vat_return_fr_ca3 "
        "where period in (select unnest($months)) group by line, basis",
        months=months,
    )
    ca3.sort(key=lambda r: CA3_ORDER.index(r["line"]) if r["line"] in CA3_ORDER else 99)
    uk = rows(
        con,
        "select box, label, basis, amount from marts.vat_return_uk_9box "
        "where quarter = $quarter order by box",
        quarter=quarter,
    )
    skonto = rows(
        con,
        "select s.*, c.name as supplier_name from marts.skonto_opportunities as s "
        "left join core.customers as c on c.customer_key = s.supplier_key "
        "order by s.skonto_date, s.discount_amount_rc desc nulls last, s.invoice_key",
    )
    quality = rows(
        con,
        'select "check", severity, count(*) as issues, count(distinct vendor) as vendors, '
        "string_agg(distinct vendor, ', ' order by vendor) as vendor_list "
        'from marts.data_quality_issues group by "check", severity order by issues desc, "check"',
    )
    coverage = rows(
        con,
        "select reason, count(*) as documents, sum(gross_amount_rc) as gross_amount_rc, "
        "count(*) filter (where gross_amount_rc is null) as unconverted "
        "from marts.vat_coverage group by reason order by reason",
    )
    return ReportData(
        as_of=as_of,
        currency=currency,
        built_at=built_at,
        quarter=quarter,
        aging_totals=aging_totals,
        top_overdue=overdue[:top],
        dso=dso,
        vat_by_country=_pivot_basis(vat, "country", ("output_vat", "input_vat", "net_vat_due")),
        ca3=_pivot_basis(ca3, "line", ("taxable_base", "vat_amount")),
        uk_9box=_pivot_basis(uk, "box", ("amount",)),
        skonto=skonto,
        quality=quality,
        coverage=coverage,
        extras={"overdue_customers": len(overdue), "customers": len(customers)},
    )


def _quarter_months(quarter: str) -> list[str]:
    year, q = quarter.split("-Q")
    return [f"{year}-{m:02d}" for m in range(3 * int(q) - 2, 3 * int(q) + 1)]


def total(values: list[Decimal | None]) -> Decimal:
    return sum((v for v in values if v is not None), Decimal(0))
