"""The example queries answer their questions, and agree with the marts they read."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import duckdb
import pytest

import warehouse
from warehouse import queries, query_docs


def test_connect_and_queries_are_exported() -> None:
    for name in ("connect", *queries.QUERIES):
        assert callable(getattr(warehouse, name)), name


def test_query_docs_are_current() -> None:
    assert query_docs.DOC_PATH.read_text() == query_docs.render_docs(), (
        "run: python -m warehouse.query_docs"
    )


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> Decimal:
    return con.sql(sql).fetchall()[0][0]


def test_who_owes_most_unifies_customers_and_adds_up(con: duckdb.DuckDBPyConnection) -> None:
    top = warehouse.who_owes_most(con, limit=5)
    assert len(top) == 5
    assert list(top["open_amount"]) == sorted(top["open_amount"], reverse=True)
    assert top["unified_customer_id"].is_unique
    everyone = con.sql(queries.QUERIES["who_owes_most"].sql, params={"limit": 100_000}).fetchall()
    total = sum((r[3] for r in everyone if r[3] is not None), Decimal(0))
    assert total == _one(
        con, "select total from marts.receivables_aging where is_total and is_converted"
    )
    assert any("," in r[2] for r in everyone), "some party should be known to several vendors"


def test_overdue_over_60_days(con: duckdb.DuckDBPyConnection) -> None:
    df = warehouse.overdue_over_60_days(con)
    assert not df.empty and (df["days_past_due"] > 60).all()
    assert set(df["aging_bucket"]) <= {"61-90", "91-120", "120+"}
    exact = con.sql(queries.QUERIES["overdue_over_60_days"].sql, params={"days": 60}).fetchall()
    got = sum((r[-1] for r in exact if r[-1] is not None), Decimal(0))
    want = _one(
        con,
        'select "61-90" + "91-120" + "120+" from marts.receivables_aging '
        "where is_total and is_converted",
    )
    assert got == want
    assert len(warehouse.overdue_over_60_days(con, days=120)) < len(df)


def test_vat_due_this_quarter_both_bases(con: duckdb.DuckDBPyConnection) -> None:
    as_of = queries.parameters(con)["as_of_date"]
    df = warehouse.vat_due_this_quarter(con)
    assert set(df["quarter"]) == {queries.quarter_of(as_of)}
    assert set(df["basis"]) == {"accrual", "cash"}
    closed = queries.last_closed_quarter(as_of)
    exact = con.sql(
        queries.QUERIES["vat_due_this_quarter"].sql, params={"quarter": closed}
    ).fetchall()
    for country, basis, net in [(r[1], r[2], r[6]) for r in exact]:
        assert net == _one(
            con,
            f"select sum(net_vat_due) from marts.vat_return where quarter = '{closed}' "
            f"and country = '{country}' and basis = '{basis}'",
        )
    assert {r[3] for r in exact} == {3}, "a closed quarter has three months"


def test_skonto_this_week(con: duckdb.DuckDBPyConnection) -> None:
    as_of = queries.parameters(con)["as_of_date"]
    week = warehouse.skonto_this_week(con)
    assert (week["days_left"].between(0, 6)).all()
    for d in week["skonto_date"]:
        assert as_of <= d.date() < as_of + timedelta(days=7)
    all_open = _one(con, "select count(*) from marts.skonto_opportunities")
    assert len(warehouse.skonto_this_week(con, days=10_000)) == all_open
    assert list(week["skonto_date"]) == sorted(week["skonto_date"])


@pytest.mark.parametrize(
    ("day", "current", "closed"),
    [("2026-01-15", "2026-Q1", "2025-Q4"), ("2026-11-05", "2026-Q4", "2026-Q3")],
)
def test_quarters(day: str, current: str, closed: str) -> None:
    from datetime import date

    assert queries.quarter_of(date.fromisoformat(day)) == current
    assert queries.last_closed_quarter(date.fromisoformat(day)) == closed
