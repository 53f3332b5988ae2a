"""The Katsu Pay source against the sandbox over loopback: what lands in ``raw_katsu``."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import duckdb
import pytest

from pipelines import config
from pipelines.sync import VendorResult, sync
from sandbox.server import Sandbox
from sandbox.vendors.katsu import CURRENCY, katsu_status
from sandbox.world.model import Document, cents_to_decimal
from sources.katsu import settings
from tests.sources.helpers import raw_snapshot, without_and_with_faults

VENDOR = "katsu"
SCALE = 1500
CLOSED = {4, 7}  # Paid, Cancelled: edits to them wait for the full reconcile
DOC_COLS = "id, amount, paid_amount, invoice_status, due_date, currency, description"


def run(full_refresh: bool = False) -> VendorResult:
    (result,) = sync([VENDOR], full_refresh=full_refresh)
    assert result.error is None, result.error
    return result


def query(sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(config.warehouse_path()), read_only=True) as con:
        return con.execute(sql).fetchall()


def current(notes_of_closed: bool = True) -> dict[str, tuple[Any, ...]]:
    """The live invoices as the warehouse holds them now (current scd2 versions)."""
    rows = query(
        f"select {DOC_COLS} from raw_katsu.invoices "
        "where _dlt_valid_to is null and not deleted_upstream"
    )
    return {r[0]: r[1:6] + ((r[6],) if notes_of_closed or r[3] not in CLOSED else ()) for r in rows}


def expected(sb: Sandbox, notes_of_closed: bool = True) -> dict[str, tuple[Any, ...]]:
    """The invoices Katsu serves, less the records it serves malformed (hostile)."""
    out: dict[str, tuple[Any, ...]] = {}
    for d in sb.world.documents(VENDOR):
        fault = sb.faults.record_fault(VENDOR, d.id)
        if d.deleted == "hard" or fault in ("bad_amount", "missing_id"):
            continue
        status = 99 if fault == "unknown_enum" else katsu_status(d, sb.world.clock)
        out[d.id] = (
            cents_to_decimal(d.gross),
            cents_to_decimal(d.paid),
            status,
            d.effective_due_date,
            CURRENCY[d.currency],
        ) + ((d.effective_notes,) if notes_of_closed or status not in CLOSED else ())
    return out


def totals() -> tuple[Any, ...]:
    """Row counts (history included) and exact sums of every table: must not move on a rerun."""
    return query(
        "select (select count(*) from raw_katsu.invoices), "
        "(select sum(amount) from raw_katsu.invoices), "
        "(select sum(paid_amount) from raw_katsu.invoices), "
        "(select count(*) from raw_katsu.counterparties), "
        "(select sum(price) from raw_katsu.products)"
    )[0]


def open_docs(sb: Sandbox) -> list[Document]:
    return [
        d
        for d in sb.world.documents(VENDOR)
        if d.deleted != "hard" and katsu_status(d, sb.world.clock) in settings.OPEN_STATUSES
    ]


def pages(n: int) -> int:
    return max(1, -(-n // settings.PAGE_SIZE))


def incremental_budget(sb: Sandbox, was_open: set[str]) -> int:
    """The most requests an incremental run may need: it grows with the open invoices and the
    changes, never with the closed history."""
    books = sb.world.books[VENDOR]
    now_open = {d.id for d in open_docs(sb)}
    by_status = [
        sum(katsu_status(d, sb.world.clock) == code for d in open_docs(sb))
        for code in settings.OPEN_STATUSES
    ]
    catalogue = pages(len([c for c in books.customers if not c.deleted])) + pages(
        len(books.products)
    )
    newest_first = 2  # the page that reaches the watermark, and possibly the one before
    return 1 + catalogue + sum(map(pages, by_status)) + newest_first + len(was_open - now_open)


def test_full_incremental_history_and_reconcile(
    make_sandbox: Callable[..., Sandbox],
    point_at: Callable[[Sandbox], None],
    hard_delete: Callable[[Sandbox, Document], None],
) -> None:
    sb = make_sandbox(scale=SCALE)
    point_at(sb)

    full = run()
    want = expected(sb)
    assert current() == want
    amount, paid = query(
        "select sum(amount), sum(paid_amount) from raw_katsu.invoices where _dlt_valid_to is null"
    )[0]
    assert isinstance(amount, Decimal)
    assert amount == sum(v[0] for v in want.values())
    assert paid == sum(v[1] for v in want.values())
    types = dict(
        query(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'raw_katsu' and table_name = 'invoices'"
        )
    )
    assert types["amount"] == types["paid_amount"] == "DECIMAL(18,2)"
    assert (types["due_date"], types["created_at"]) == ("DATE", "TIMESTAMP WITH TIME ZONE")
    assert types["invoice_status"] == types["currency"] == types["billing_cycle"] == "BIGINT"
    books = sb.world.books[VENDOR]
    assert {r[0] for r in query("select id from raw_katsu.products")} == {
        p.id for p in books.products
    }
    assert {r[0] for r in query("select id from raw_katsu.counterparties")} == {
        c.id for c in books.customers if not c.deleted
    }

    # a rerun with nothing changed: same rows, same sums, and far fewer requests
    before = totals()
    again = run()
    assert totals() == before
    assert again.stats.requests < full.stats.requests

    # two days on: new, paid and deleted invoices
    was_open = {d.id for d in open_docs(sb)}
    victim = open_docs(sb)[0]
    hard_delete(sb, victim)
    first_clock = sb.world.clock
    sb.advance(2)
    inc = run()
    assert current(notes_of_closed=False) == expected(sb, notes_of_closed=False)
    new = {d.id for d in sb.world.documents(VENDOR) if d.issue_date > first_clock}
    paid = {d.id for d in sb.world.documents(VENDOR) if d.id in was_open and d.state == "paid"}
    assert new and paid, "the sandbox should create and settle invoices within two days"
    assert new <= current().keys()
    assert query(
        f"select deleted_upstream from raw_katsu.invoices "
        f"where id = '{victim.id}' and _dlt_valid_to is null"
    ) == [(True,)]
    # history: the settled invoices have a new version from the sandbox clock on
    history = query(
        "select id, _dlt_valid_from, _dlt_valid_to from raw_katsu.invoices "
        f"where id in ({', '.join(repr(i) for i in paid)}) order by id, _dlt_valid_from"
    )
    for rid in paid:
        versions = [(vf, vt) for i, vf, vt in history if i == rid]
        assert len(versions) == 2
        assert versions[1] == (sb.world.now, None)
        assert versions[0][1] == sb.world.now
    # the incremental run follows the open invoices and the changes, not the history
    assert inc.stats.requests < full.stats.requests
    assert inc.stats.requests <= incremental_budget(sb, was_open)

    # past full_reconcile_days: a full reconcile, which also sees edits to closed invoices
    sb.advance(6)
    reconcile = run()
    assert reconcile.stats.requests >= full.stats.requests
    assert current() == expected(sb)
    assert run(full_refresh=True).stats.requests >= full.stats.requests
    assert current() == expected(sb)


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every raw table's rows, history included, without dlt's load bookkeeping."""
    return raw_snapshot(query, "raw_katsu", ("invoices", "counterparties", "products"))


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
    assert current() == expected(sb)  # every good record, the unknown status code kept as 99
    faults = {d.id: sb.faults.record_fault(VENDOR, d.id) for d in sb.world.documents(VENDOR)}
    assert {"bad_amount", "missing_id", "unknown_enum", "duplicate"} <= set(faults.values())
    rejected = query("select record_id, reason, payload from raw_katsu.rejected_records")
    bad_amount = {i for i, f in faults.items() if f == "bad_amount"}
    missing_id = [i for i, f in faults.items() if f == "missing_id"]
    assert {r[0] for r in rejected if r[0] is not None} == bad_amount
    assert all("'amount'" in r[1] and "abc" in r[1] for r in rejected if r[0] is not None)
    no_id = [r for r in rejected if r[0] is None]
    assert len(no_id) == len(missing_id)
    assert all(r[1] == "missing required field 'id'" for r in no_id)
    assert result.stats.rejected >= len(rejected)
    assert query(
        "select count(*) - count(distinct id) from raw_katsu.invoices where _dlt_valid_to is null"
    ) == [(0,)]

    before, count = totals(), len(rejected)
    run()
    assert totals() == before
    assert query("select count(*) from raw_katsu.rejected_records") == [(count,)]
    sb.advance(2)
    run()
    assert current(notes_of_closed=False) == expected(sb, notes_of_closed=False)
