"""The Wuro source against the sandbox over loopback: full, incremental, faults, credentials."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Collection
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pipelines.sync import VendorResult, sync
from sandbox.faults import record_fault
from sandbox.server import Sandbox
from sandbox.world.model import Document
from tests.sources.helpers import without_and_with_faults

OPEN = ("draft", "waiting", "notpaid", "late")
INVOICE_COLS = (
    "state, type, number, date, payment_expiry_date, title, total_ht, total_tva, total_ttc, "
    "client_id, client_country_code, currency"
)


def money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def state_of(d: Document, today: date) -> str:
    """The Wuro state the contract gives a document (written independently of the emulator)."""
    if d.deleted == "soft":
        return "inactive"
    if d.state in ("draft", "paid"):
        return d.state
    overdue = (today - d.effective_due_date).days
    return "waiting" if overdue <= 0 else ("late" if overdue <= 60 else "notpaid")


def docs(sb: Sandbox) -> list[Document]:
    return [d for d in sb.world.documents("wuro") if d.deleted != "hard"]


def bad_ids(sb: Sandbox, seed: int) -> set[str]:
    """Documents the hostile profile malforms beyond loading (bad amount, missing id)."""
    return {
        d.id for d in docs(sb) if record_fault(seed, "wuro", d.id) in ("bad_amount", "missing_id")
    }


def expected(sb: Sandbox, skip: Collection[str] = ()) -> dict[str, tuple[Any, ...]]:
    today = sb.world.clock
    return {
        d.id: (
            state_of(d, today),
            d.vendor_type,
            d.number if d.sent_at is not None else "",
            d.issue_date,
            d.effective_due_date,
            d.edits.get("notes", d.title),
            money(d.net),
            money(d.vat),
            money(d.gross),
            d.customer.id,
            d.customer.party.country,
            d.currency,
        )
        for d in docs(sb)
        if d.id not in skip
    }


def query(home: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(home / "ledgerline.duckdb"), read_only=True) as con:
        return con.sql(sql).fetchall()


def current(home: Path) -> dict[str, tuple[Any, ...]]:
    rows = query(
        home,
        f"select id, {INVOICE_COLS} from raw_wuro.invoices "
        "where _dlt_valid_to is null and not deleted_upstream",
    )
    return {r[0]: r[1:] for r in rows}


def snapshot(home: Path) -> dict[str, Counter[tuple[Any, ...]]]:
    """Every raw table's rows (without dlt's load bookkeeping), as multisets."""
    tables = [
        r[0]
        for r in query(
            home, "select table_name from duckdb_tables() where schema_name = 'raw_wuro'"
        )
    ]
    out = {}
    for t in tables:
        if t.startswith("_dlt"):
            continue
        cols = [
            r[0]
            for r in query(home, f"describe raw_wuro.{t}")
            if r[0] not in ("_dlt_load_id", "_dlt_id", "rejected_at")
        ]
        out[t] = Counter(query(home, f"select {', '.join(cols)} from raw_wuro.{t}"))
    return out


def run(**kwargs: Any) -> VendorResult:
    (result,) = sync(["wuro"], **kwargs)
    assert result.error is None, result.error
    return result


def check_world(sb: Sandbox, home: Path, skip: Collection[str] = ()) -> None:
    """The warehouse holds exactly the sandbox world (less ``skip``), to the cent."""
    assert current(home) == expected(sb, skip)
    live = {d.id: d for d in docs(sb) if d.id not in skip}
    lines: dict[str, list[Any]] = defaultdict(list)
    for inv, kind, net, gross in query(
        home, "select invoice_id, type, total_ht, total_ttc from raw_wuro.invoice_lines"
    ):
        lines[inv].append((kind, net, gross))
    vat = {
        r[0]: r[1:]
        for r in query(
            home,
            "select invoice_id, sum(total), sum(amount), count(*) from raw_wuro.invoice_vat_rates group by 1",
        )
    }
    adv = {
        r[0]: r[1:]
        for r in query(
            home,
            "select invoice_id, sum(amount), count(*) from raw_wuro.invoice_advances group by 1",
        )
    }
    paid = {
        r[0]: r[1:]
        for r in query(
            home,
            "select invoice_id, sum(amount), count(*) from raw_wuro.invoice_payments group by 1",
        )
    }
    for d in live.values():
        want = [(ln.kind, money(ln.net), money(ln.net + ln.vat)) for ln in d.lines]
        assert sorted(lines[d.id]) == sorted(want)
        base, tax = (
            sum(b for b, _ in d.vat_by_rate.values()),
            sum(v for _, v in d.vat_by_rate.values()),
        )
        assert vat[d.id] == (money(base), money(tax), len(d.vat_by_rate))
        if d.advances:
            assert adv[d.id] == (money(sum(a.gross for a in d.advances)), len(d.advances))
        if d.payments:
            assert paid[d.id] == (money(d.paid), len(d.payments))
    payments = dict(
        query(home, "select id, amount from raw_wuro.payments where not deleted_upstream")
    )
    assert payments == {
        p.id: money(p.amount)
        for d in live.values()
        if state_of(d, sb.world.clock) != "inactive"
        for p in d.payments
    }
    books = sb.world.books["wuro"]
    clients = {
        r[0]: r[1:] for r in query(home, "select id, state, country_code from raw_wuro.clients")
    }
    assert clients == {
        c.id: ("inactive" if c.deleted else "active", c.party.country) for c in books.customers
    }
    products = dict(query(home, "select id, state from raw_wuro.products"))
    assert products == {p.id: "active" if p.active else "inactive" for p in books.products}
    categories = {r[0] for r in query(home, "select id from raw_wuro.product_categories")}
    assert categories == {c.id for c in books.categories}


# ----------------------------------------------------------------------------- tests


def test_full_load_equals_the_world_exactly_and_reruns_idempotent(
    make_sandbox: Callable[..., Sandbox], point_at: Callable[[Sandbox], None], home: Path
) -> None:
    sb = make_sandbox(seed=3, scale=1000)
    point_at(sb)
    first = run()
    check_world(sb, home)
    types = dict(
        query(
            home,
            "select column_name, data_type from duckdb_columns() where schema_name = 'raw_wuro' and table_name = 'invoices'",
        )
    )
    assert types["total_ttc"] == types["total_tva"] == "DECIMAL(18,2)"
    assert (types["date"], types["_dlt_valid_from"]) == ("DATE", "TIMESTAMP WITH TIME ZONE")
    (total,) = query(home, "select sum(total_ttc) from raw_wuro.invoices")[0]
    assert isinstance(total, Decimal) and total == money(sum(d.gross for d in docs(sb)))
    assert {
        r[0] for r in query(home, "select distinct _dlt_valid_from from raw_wuro.invoices")
    } == {sb.world.now}
    before = snapshot(home)
    second = run()
    assert snapshot(home) == before
    assert second.stats.requests < first.stats.requests


def test_incremental_finds_new_changed_paid_and_deleted_invoices(
    make_sandbox: Callable[..., Sandbox],
    point_at: Callable[[Sandbox], None],
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
    hard_delete: Callable[[Sandbox, Document], None],
) -> None:
    sb = make_sandbox(seed=25, scale=1000)
    point_at(sb)
    monkeypatch.setenv("SOURCES__WURO__FULL_RECONCILE_DAYS", "30")
    full = run()
    t0, today0 = sb.world.now, sb.world.clock
    before = {d.id: state_of(d, today0) for d in docs(sb)}
    gone = next(d for d in docs(sb) if before[d.id] == "late" and not d.payments)
    hard_delete(sb, gone)  # an open invoice deleted for good: its re-read answers 404
    sb.advance(14)
    now = {d.id: state_of(d, sb.world.clock) for d in docs(sb)}
    new = set(now) - set(before)
    paid = {i for i in before if before[i] in OPEN and now.get(i) == "paid"}
    deleted = {i for i in before if before[i] in OPEN and now.get(i) == "inactive"}
    moved = {i for i in before if before[i] in OPEN and now.get(i) in OPEN and now[i] != before[i]}
    assert new and paid and deleted and moved
    incremental = run()
    # closed invoices edited since (title, due date) wait for the full reconcile
    closed = {i for i, s in before.items() if s not in OPEN}
    got, want = current(home), expected(sb)
    assert set(got) == set(want)
    for i, row in got.items():
        if i in closed:
            assert row[:4] + row[6:] == want[i][:4] + want[i][6:]
        else:
            assert row == want[i]
    assert query(
        home,
        f"select deleted_upstream from raw_wuro.invoices where id = '{gone.id}' and _dlt_valid_to is null",
    ) == [(True,)]
    # history: one new version per changed invoice, the boundary at the sandbox clock
    versions: dict[str, list[tuple[Any, Any]]] = defaultdict(list)
    for i, start, end in query(
        home,
        "select id, _dlt_valid_from, _dlt_valid_to from raw_wuro.invoices order by id, _dlt_valid_from",
    ):
        versions[i].append((start, end))
    for i in paid | deleted | moved | {gone.id}:
        assert versions[i] == [(t0, sb.world.now), (sb.world.now, None)], i
    assert all(versions[i] == [(sb.world.now, None)] for i in new)
    assert incremental.stats.requests < full.stats.requests
    # a full reconcile brings the edits to closed invoices
    run(full_refresh=True)
    check_world(sb, home)
    # daily runs cost a fraction of a full read
    sb.advance(1)
    daily = run()
    check_world(sb, home)
    assert daily.stats.requests * 2 < full.stats.requests


def test_flaky_vendor_gives_the_same_warehouse(
    make_sandbox: Callable[..., Sandbox],
    point_at: Callable[[Sandbox], None],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    without_and_with_faults(
        make_sandbox, point_at, tmp_path, monkeypatch, run, snapshot, seed=7, scale=500
    )


def test_hostile_records_are_rejected_with_reasons_and_the_rest_loads(
    make_sandbox: Callable[..., Sandbox], point_at: Callable[[Sandbox], None], home: Path
) -> None:
    sb = make_sandbox(seed=17, scale=1200, faults="hostile")
    point_at(sb)
    run()
    bad = bad_ids(sb, 17)
    assert bad
    want = expected(sb, skip=bad)
    odd = {d.id for d in docs(sb) if record_fault(17, "wuro", d.id) == "unknown_enum"}
    dupes = {d.id for d in docs(sb) if record_fault(17, "wuro", d.id) == "duplicate"}
    assert odd and dupes
    for i in odd:
        want[i] = ("archived", *want[i][1:])  # an unknown state is kept as sent
    assert current(home) == want
    ((n, distinct),) = query(home, "select count(*), count(distinct id) from raw_wuro.invoices")
    assert n == distinct
    rejects = query(
        home,
        "select record_id, reason, payload from raw_wuro.rejected_records where endpoint = '/invoices'",
    )
    assert len(rejects) == len(bad)
    assert {r[0] for r in rejects if r[0]} == {
        i for i in bad if record_fault(17, "wuro", i) == "bad_amount"
    }
    assert all("total_ttc" in reason or "_id" in reason for _, reason, _ in rejects)
    before = snapshot(home)
    run()
    assert snapshot(home) == before
