"""Per-model tests: keys unique and not null, foreign keys, accounting identities."""

from __future__ import annotations

from typing import Any, cast

import pytest

from tests.transforms.conftest import Built

KEYS = {
    "core.invoices": ["invoice_key"],
    "core.payments": ["payment_key"],
    "core.customers": ["customer_key"],
    "core.fx_factors": ["rate_date", "from_currency", "to_currency"],
    "marts.receivables_open_items": ["invoice_key"],
    "marts.payables_open_items": ["invoice_key"],
    "marts.skonto_opportunities": ["invoice_key"],
    "marts.vat_by_rate": ["period", "basis", "direction", "country", "vat_rate"],
    "marts.vat_return": ["period", "basis", "country"],
    "marts.vat_return_fr_ca3": ["period", "basis", "line"],
    "marts.vat_return_uk_9box": ["quarter", "basis", "box"],
    "marts.dso": ["period"],
    "marts.expected_collections": ["due_week"],
    "marts.vat_coverage": ["invoice_key"],
    # the VAT marts convert and round each of these rows on its own: one per document and rate
    "intermediate.int_invoice_vat_rates": ["invoice_key", "vat_rate"],
    "intermediate.int_vat_cells": ["invoice_key", "basis", "period", "vat_rate"],
}

FOREIGN_KEYS = [
    ("core.payments", "invoice_key", "core.invoices", "invoice_key"),
    ("core.invoices", "customer_key", "core.customers", "customer_key"),
    ("marts.receivables_open_items", "invoice_key", "core.invoices", "invoice_key"),
    ("marts.payables_open_items", "invoice_key", "core.invoices", "invoice_key"),
    ("marts.vat_coverage", "invoice_key", "core.invoices", "invoice_key"),
]


@pytest.mark.parametrize("table", sorted(KEYS))
def test_keys_unique_and_not_null(warehouse: Built, table: str) -> None:
    cols = ", ".join(KEYS[table])
    nulls = " or ".join(f"{c} is null" for c in KEYS[table])
    with warehouse.connect() as con:
        assert (
            cast(tuple[Any, ...], con.execute(f"select count(*) from {table}").fetchone())[0] > 0
        ), f"{table} is empty"
        dupes = con.execute(
            f"select {cols}, count(*) from {table} group by all having count(*) > 1 limit 3"
        ).fetchall()
        missing = cast(
            tuple[Any, ...], con.execute(f"select count(*) from {table} where {nulls}").fetchone()
        )[0]
    assert not dupes, dupes
    assert missing == 0


@pytest.mark.parametrize(("table", "col", "ref", "ref_col"), FOREIGN_KEYS)
def test_foreign_keys(warehouse: Built, table: str, col: str, ref: str, ref_col: str) -> None:
    with warehouse.connect() as con:
        orphans = con.execute(
            f"select {col} from {table} where {col} is not null and {col} not in (select {ref_col} from {ref}) limit 3"
        ).fetchall()
    assert not orphans, orphans


def test_gross_is_net_plus_vat(warehouse: Built) -> None:
    with warehouse.connect() as con:
        bad = con.execute(
            "select invoice_key, net_amount, tax_amount, gross_amount from core.invoices "
            "where net_amount is not null and tax_amount is not null and gross_amount <> net_amount + tax_amount limit 3"
        ).fetchall()
    assert not bad, bad


def test_open_is_gross_minus_paid(warehouse: Built) -> None:
    with warehouse.connect() as con:
        bad = con.execute(
            "select invoice_key, gross_amount, paid_amount, open_amount from core.invoices "
            "where status in ('open', 'paid') and not is_deleted and open_amount <> gross_amount - paid_amount limit 3"
        ).fetchall()
        closed = cast(
            tuple[Any, ...],
            con.execute(
                "select count(*) from core.invoices where (status in ('draft', 'cancelled') or is_deleted) and open_amount <> 0"
            ).fetchone(),
        )[0]
    assert not bad, bad
    assert closed == 0


def test_vat_by_rate_matches_header_vat(warehouse: Built) -> None:
    """Per-rate VAT adds up to the document's header VAT (within a cent per rate)."""
    with warehouse.connect() as con:
        bad = con.execute(
            "select i.invoice_key, i.tax_amount, sum(r.vat_amount) * any_value(i.sign), count(*) "
            "from core.invoices i join intermediate.int_invoice_vat_rates r using (invoice_key) "
            "group by i.invoice_key, i.tax_amount "
            "having abs(i.tax_amount - sum(r.vat_amount) * any_value(i.sign)) > 0.01 * count(*) limit 3"
        ).fetchall()
    assert not bad, bad


def test_payments_add_up_to_paid_amounts(warehouse: Built) -> None:
    with warehouse.connect() as con:
        bad = con.execute(
            "select i.invoice_key, i.paid_amount, coalesce(sum(p.amount), 0) from core.invoices i "
            "left join core.payments p using (invoice_key) where not i.is_deleted "
            "group by i.invoice_key, i.paid_amount having i.paid_amount <> coalesce(sum(p.amount), 0) limit 3"
        ).fetchall()
    assert not bad, bad


def test_money_columns_are_exact_decimals(warehouse: Built) -> None:
    with warehouse.connect() as con:
        floats = con.execute(
            "select table_schema, table_name, column_name, data_type from information_schema.columns "
            "where table_schema in ('staging', 'intermediate', 'core', 'marts') and data_type in ('DOUBLE', 'FLOAT', 'REAL') "
            ""
        ).fetchall()
    assert not floats, floats
