"""Example queries for the questions analysts ask most, as functions returning DataFrames.

Each function takes a connection (default: :func:`warehouse.connect`, the published copy) and
answers one question from the marts; the SQL is in :data:`QUERIES` so it can be read, copied
and changed. ``docs/queries.md`` shows every query; regenerate it with
``python -m warehouse.query_docs`` (``--check`` fails when the page is out of date)::

    from warehouse import connect, who_owes_most
    who_owes_most(connect(), limit=5)

Amounts come back as floats in pandas (fine for looking and charting). When the cents matter,
run the SQL yourself and keep the decimals: ``con.sql(QUERIES["who_owes_most"].sql,
params={"limit": 5}).to_arrow_table()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import pandas as pd


@dataclass(frozen=True)
class Query:
    """One documented query: the question it answers, its SQL and its parameters."""

    name: str
    question: str
    notes: str
    sql: str
    params: dict[str, str]


QUERIES: dict[str, Query] = {
    q.name: q
    for q in (
        Query(
            name="who_owes_most",
            question="Who owes us most? Top customers by open receivables, across vendors.",
            notes=(
                "One row per party (`unified_customer_id`): the records of one customer at "
                "several vendors are added up. Amounts are in the reporting currency as of the "
                "as-of date; documents in a currency the ECB has no rate for are not converted "
                "and only counted in `unconverted_items` (see `marts.receivables_aging` rows "
                "with `is_converted = false`)."
            ),
            sql="""\
select
    a.unified_customer_id,
    arg_max(a.customer_name, a.total) filter (where a.is_converted) as customer_name,
    string_agg(distinct a.source_system, ', ' order by a.source_system) as vendors,
    sum(a.total) filter (where a.is_converted) as open_amount,
    sum(a.total - a."current") filter (where a.is_converted) as overdue_amount,
    sum(a."61-90" + a."91-120" + a."120+") filter (where a.is_converted) as over_60_days,
    cast(coalesce(sum(a.open_items) filter (where a.is_converted), 0) as bigint) as open_items,
    cast(coalesce(sum(a.open_items) filter (where not a.is_converted), 0) as bigint)
        as unconverted_items,
    any_value(p.reporting_currency) as currency
from marts.receivables_aging as a
cross join core.parameters as p
where not a.is_total
group by a.unified_customer_id
order by open_amount desc nulls last, a.unified_customer_id
limit $limit""",
            params={"limit": "how many customers (default 10)"},
        ),
        Query(
            name="overdue_over_60_days",
            question="What is overdue by more than 60 days?",
            notes=(
                "One row per open receivable more than `days` days past its due date on the "
                "as-of date, largest first. `open_amount` is in the document's currency, "
                "`open_amount_rc` in the reporting currency (null when the ECB has no rate)."
            ),
            sql="""\
select
    o.invoice_key,
    c.unified_customer_id,
    c.name as customer_name,
    o.source_system,
    o.issue_date,
    o.due_date,
    o.days_past_due,
    o.aging_bucket,
    o.currency,
    o.open_amount,
    o.open_amount_rc
from marts.receivables_open_items as o
left join core.customers as c on c.customer_key = o.customer_key
where o.days_past_due > $days
order by o.open_amount_rc desc nulls last, o.days_past_due desc, o.invoice_key""",
            params={"days": "days past due (default 60)"},
        ),
        Query(
            name="vat_due_this_quarter",
            question="How much VAT is due this quarter, by country, on both bases?",
            notes=(
                "One row per country and basis (accrual: invoice date; cash: payment date) for "
                "the quarter of the as-of date, so far (or the `quarter` given, like "
                "`2026-Q3`). Reporting currency; `net_vat_due` negative is a credit. The "
                "official French (EUR) and UK (GBP) forms are `marts.vat_return_fr_ca3` and "
                "`marts.vat_return_uk_9box`."
            ),
            sql="""\
with target as (
    select
        coalesce(
            $quarter,
            strftime(as_of_date, '%Y') || '-Q' || cast(quarter(as_of_date) as varchar)
        ) as quarter,
        reporting_currency
    from core.parameters
)

select
    v.quarter,
    v.country,
    v.basis,
    count(*) as months,
    sum(v.output_vat) as output_vat,
    sum(v.input_vat) as input_vat,
    sum(v.net_vat_due) as net_vat_due,
    sum(v.sales_base) as sales_base,
    sum(v.purchases_base) as purchases_base,
    any_value(t.reporting_currency) as currency
from marts.vat_return as v
inner join target as t on t.quarter = v.quarter
group by v.quarter, v.country, v.basis
order by v.country, v.basis""",
            params={"quarter": "YYYY-Qn (default: the quarter of the as-of date)"},
        ),
        Query(
            name="skonto_this_week",
            question="Which early-payment discounts (skonto) run out this week?",
            notes=(
                "Open supplier invoices whose skonto deadline falls in the `days` days starting "
                "on the as-of date (default 7: a week), soonest first: pay `amount_if_taken` "
                "by `skonto_date` to save `discount_amount`."
            ),
            sql="""\
select
    s.skonto_date,
    s.days_left,
    c.name as supplier_name,
    s.invoice_key,
    s.currency,
    s.gross_amount,
    s.skonto_rate,
    s.discount_amount,
    s.amount_if_taken,
    s.discount_amount_rc,
    s.amount_if_taken_rc
from marts.skonto_opportunities as s
left join core.customers as c on c.customer_key = s.supplier_key
where s.days_left between 0 and $days - 1
order by s.skonto_date, s.discount_amount_rc desc nulls last, s.invoice_key""",
            params={"days": "length of the window in days (default 7)"},
        ),
    )
}


def _con(con: duckdb.DuckDBPyConnection | None) -> duckdb.DuckDBPyConnection:
    if con is not None:
        return con
    from warehouse import connect

    return connect()


def run(name: str, con: duckdb.DuckDBPyConnection | None = None, **params: Any) -> pd.DataFrame:
    """Run the query ``name`` of :data:`QUERIES` with ``params``; a DataFrame."""
    return _con(con).sql(QUERIES[name].sql, params=params).df()


def parameters(con: duckdb.DuckDBPyConnection | None = None) -> dict[str, Any]:
    """What the models were built for: ``as_of_date``, ``reporting_currency``, ``built_at``."""
    rel = _con(con).sql("select as_of_date, reporting_currency, built_at from core.parameters")
    rows = rel.fetchall()
    if not rows:
        raise LookupError("core.parameters is empty: the warehouse was never built.")
    return dict(zip(rel.columns, rows[0], strict=True))


def who_owes_most(con: duckdb.DuckDBPyConnection | None = None, limit: int = 10) -> pd.DataFrame:
    """Top customers by open receivables (reporting currency), unified across vendors."""
    return run("who_owes_most", con, limit=limit)


def overdue_over_60_days(
    con: duckdb.DuckDBPyConnection | None = None, days: int = 60
) -> pd.DataFrame:
    """Open receivables more than ``days`` days past due on the as-of date, largest first."""
    return run("overdue_over_60_days", con, days=days)


def vat_due_this_quarter(
    con: duckdb.DuckDBPyConnection | None = None, quarter: str | None = None
) -> pd.DataFrame:
    """VAT by country and basis for the as-of date's quarter (or ``quarter``, YYYY-Qn)."""
    return run("vat_due_this_quarter", con, quarter=quarter)


def skonto_this_week(con: duckdb.DuckDBPyConnection | None = None, days: int = 7) -> pd.DataFrame:
    """Skonto deadlines in the ``days`` days from the as-of date, soonest first."""
    return run("skonto_this_week", con, days=days)


def quarter_of(day: date) -> str:
    """``2026-Q4`` for a day in October to December 2026."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def last_closed_quarter(day: date) -> str:
    """The quarter before ``day``'s (the last one that is over)."""
    q = (day.month - 1) // 3
    return f"{day.year}-Q{q}" if q else f"{day.year - 1}-Q4"
