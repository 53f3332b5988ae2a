"""Every mart against the sandbox's truth oracle, to the cent, for several as-of dates."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from sandbox.oracle import Oracle
from tests.transforms.conftest import Built


def oracle(w: Built, currency: str = "EUR") -> Oracle:
    return Oracle(w.sandbox.world, observed=w.observed, currency=currency)


def as_of_dates(w: Built) -> list[date]:
    clock = w.sandbox.world.clock
    return [
        clock,
        clock - timedelta(days=1),
        clock - timedelta(days=45),
        date(clock.year - 1, 12, 31),
    ]


def test_receivables_open_items_per_invoice(warehouse: Built) -> None:
    o = oracle(warehouse)
    for as_of in as_of_dates(warehouse):
        warehouse.build(as_of)
        with warehouse.connect() as con:
            rows = con.execute(
                "select invoice_key, customer_key, source_system, currency, due_date, days_past_due, "
                "aging_bucket, open_amount, open_amount_rc from marts.receivables_open_items"
            ).fetchall()
        got = {r[0]: r for r in rows}
        want = {i.invoice_key: i for i in o.receivables_open_items(as_of)}
        assert set(got) == set(want), (as_of, sorted(set(got) ^ set(want))[:5])
        for key, item in want.items():
            r = got[key]
            assert (r[1], r[2], r[3], r[4], r[5], r[6]) == (
                item.customer_key,
                item.source_system,
                item.currency,
                item.due_date,
                item.days_past_due,
                item.aging_bucket,
            ), key
            assert r[7] == item.open_amount, (as_of, key)
            assert r[8] == item.open_amount_rc, (as_of, key)
    warehouse.build(warehouse.sandbox.world.clock)


def test_receivables_aging_totals(warehouse: Built) -> None:
    report = oracle(warehouse).receivables_aging()
    with warehouse.connect() as con:
        totals = con.execute(
            'select "current", "1-30", "31-60", "61-90", "91-120", "120+", total from marts.receivables_aging '
            "where is_total and is_converted"
        ).fetchone()
        per_customer = con.execute(
            "select customer_key, total from marts.receivables_aging where not is_total and is_converted"
        ).fetchall()
        unconverted = dict(
            con.execute(
                "select currency, total from marts.receivables_aging where is_total and not is_converted"
            ).fetchall()
        )
    assert totals is not None
    buckets = ["current", "1-30", "31-60", "61-90", "91-120", "120+"]
    assert list(totals[:6]) == [report.bucket_totals.get(b, Decimal("0.00")) for b in buckets]
    assert totals[6] == report.total
    want_customers: dict[str, Decimal] = {}
    for row in report.rows:
        want_customers[row.customer_key] = (
            want_customers.get(row.customer_key, Decimal(0)) + row.open_amount_rc
        )
    assert {k: v for k, v in per_customer} == want_customers
    assert unconverted == report.unconverted_totals


@pytest.mark.parametrize("basis", ["accrual", "cash"])
def test_vat_by_rate(warehouse: Built, basis: str) -> None:
    want = {
        (v.period, v.direction, v.country, v.vat_rate.normalize()): (
            v.taxable_base,
            v.vat_amount,
            v.document_count,
        )
        for v in oracle(warehouse).vat_by_rate(basis)
    }
    with warehouse.connect() as con:
        rows = con.execute(
            "select period, direction, country, vat_rate, taxable_base, vat_amount, document_count "
            "from marts.vat_by_rate where basis = ?",
            [basis],
        ).fetchall()
    got = {(p, d, c, r.normalize()): (b, v, n) for p, d, c, r, b, v, n in rows}
    diff = {k: (want.get(k), got.get(k)) for k in set(want) | set(got) if want.get(k) != got.get(k)}
    assert not diff, sorted(diff.items(), key=str)[:5]


def test_payables_and_skonto(warehouse: Built) -> None:
    o = oracle(warehouse)
    for as_of in as_of_dates(warehouse)[:3]:
        warehouse.build(as_of)
        with warehouse.connect() as con:
            got = dict(
                con.execute(
                    "select invoice_key, open_amount from marts.payables_open_items"
                ).fetchall()
            )
            skonto = con.execute(
                "select invoice_key, skonto_date, discount_amount, amount_if_taken, discount_amount_rc "
                "from marts.skonto_opportunities"
            ).fetchall()
        assert got == {i.invoice_key: i.open_amount for i in o.payables_open_items(as_of)}
        assert {r[0]: r[1:] for r in skonto} == {
            s.invoice_key: (
                s.skonto_date,
                s.discount_amount,
                s.amount_if_taken,
                s.discount_amount_rc,
            )
            for s in o.skonto_opportunities(as_of)
        }
    warehouse.build(warehouse.sandbox.world.clock)


def test_vat_coverage(warehouse: Built) -> None:
    want = {(c.document_key, c.reason) for c in oracle(warehouse).vat_coverage()}
    with warehouse.connect() as con:
        got = set(con.execute("select invoice_key, reason from marts.vat_coverage").fetchall())
    assert got == want


def test_unified_customers_follow_parties(warehouse: Built) -> None:
    world = warehouse.sandbox.world
    party_of = {f"{v}:{c.id}": c.party.key for v in world.books for c in world.customers(v)}
    with warehouse.connect() as con:
        rows = con.execute(
            "select customer_key, unified_customer_id from core.customers"
        ).fetchall()
    by_unified: dict[str, set[int]] = {}
    by_party: dict[int, set[str]] = {}
    for key, unified in rows:
        by_unified.setdefault(unified, set()).add(party_of[key])
        by_party.setdefault(party_of[key], set()).add(unified)
    assert all(len(p) == 1 for p in by_unified.values()), "two parties share a unified id"
    assert all(len(u) == 1 for u in by_party.values()), "one party split across unified ids"
    assert any(len({k.split(":")[0] for k, u in rows if u == uid}) > 1 for uid in by_unified), (
        "no cross-vendor match"
    )


def _quarter(period: str) -> str:
    year, month = period.split("-")
    return f"{year}-Q{(int(month) - 1) // 3 + 1}"


@pytest.mark.parametrize("basis", ["accrual", "cash"])
def test_uk_9box_and_french_ca3(warehouse: Built, basis: str) -> None:
    """The returns against the oracle's VAT rows in the return's own currency."""
    gb = oracle(warehouse, currency="GBP").vat_by_rate(basis)
    boxes: dict[tuple[str, int], Decimal] = {}
    for v in gb:
        if v.country != "GB":
            continue
        q = _quarter(v.period)
        box_vat, box_base = (1, 6) if v.direction == "output" else (4, 7)
        boxes[(q, box_vat)] = boxes.get((q, box_vat), Decimal(0)) + v.vat_amount
        boxes[(q, box_base)] = boxes.get((q, box_base), Decimal(0)) + v.taxable_base
    fr = oracle(warehouse, currency="EUR").vat_by_rate(basis)
    lines = {Decimal("20"): "08", Decimal("10"): "9B", Decimal("5.5"): "09", Decimal("2.1"): "T6"}
    ca3: dict[tuple[str, str], Decimal] = {}
    for v in fr:
        if v.country == "FR" and v.direction == "output":
            key = (v.period, lines[v.vat_rate.normalize()])
            ca3[key] = ca3.get(key, Decimal(0)) + v.vat_amount
        if v.country == "FR" and v.direction == "input":
            ca3[(v.period, "20")] = ca3.get((v.period, "20"), Decimal(0)) + v.vat_amount
    with warehouse.connect() as con:
        got_boxes = dict(
            ((q, b), a)
            for q, b, a in con.execute(
                "select quarter, box, amount from marts.vat_return_uk_9box where basis = ?", [basis]
            ).fetchall()
        )
        got_ca3 = dict(
            ((p, line), v)
            for p, line, v in con.execute(
                "select period, line, vat_amount from marts.vat_return_fr_ca3 where basis = ? and line in ('08','9B','09','T6','20')",
                [basis],
            ).fetchall()
        )
    for (q, box), amount in boxes.items():
        want = amount.to_integral_value(rounding="ROUND_DOWN") if box in (6, 7) else amount
        assert got_boxes[(q, box)] == want, (q, box)
        if box == 1:
            assert got_boxes[(q, 5)] == amount - boxes.get((q, 4), Decimal(0))
    for key, amount in ca3.items():
        assert got_ca3[key] == amount, key
