"""The Hoursmith source against the sandbox over loopback: full, incremental, faults, limits."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Collection
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pipelines.sync import VendorResult, sync
from sandbox.faults import record_fault
from sandbox.server import Sandbox
from sandbox.world.model import Document, Event
from tests.sources.helpers import without_and_with_faults

INVOICE_COLS = (
    "client_id, number, status, payment_status, subtotal, discount_amount, tax_rate, total, "
    "amount_paid, currency, notes, issue_date, due_date, sent_at, paid_at, created_at, "
    "updated_at, deleted_at"
)


def money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def second(dt: datetime | None) -> datetime | None:
    return None if dt is None else dt.replace(microsecond=0)


def docs(sb: Sandbox) -> list[Document]:
    return [d for d in sb.world.documents("hoursmith") if d.deleted != "hard"]


def expected(sb: Sandbox, skip: Collection[str] = ()) -> dict[str, tuple[Any, ...]]:
    """Each invoice as the contract describes it (written independently of the emulator)."""
    out = {}
    for d in docs(sb):
        if d.id in skip:
            continue
        status = {"draft": "DRAFT", "paid": "PAID", "cancelled": "CANCELLED"}.get(d.state, "SENT")
        paying = "paid" if d.state == "paid" else ("partially_paid" if d.paid else "unpaid")
        out[d.id] = (
            d.customer.id,
            d.number,
            status,
            paying,
            money(sum(ln.net for ln in d.lines)),
            money(d.discount),
            Decimal(next(iter(d.vat_by_rate), 0)).scaleb(-2),
            money(d.gross),
            money(d.paid),
            d.currency,
            d.effective_notes,
            d.issue_date,
            d.effective_due_date,
            second(d.sent_at),
            second(d.paid_at),
            second(d.created_at),
            second(d.updated_at),
            second(d.deleted_at) if d.deleted == "soft" else None,
        )
    return out


def query(home: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(home / "ledgerline.duckdb"), read_only=True) as con:
        return con.sql(sql).fetchall()


def current(home: Path) -> dict[str, tuple[Any, ...]]:
    rows = query(
        home,
        f"select id, {INVOICE_COLS} from raw_hoursmith.invoices "
        "where _dlt_valid_to is null and not deleted_upstream",
    )
    return {r[0]: r[1:] for r in rows}


def snapshot(home: Path) -> dict[str, Counter[tuple[Any, ...]]]:
    """Every raw table's rows (without dlt's load bookkeeping), as multisets."""
    out = {}
    for t in ("invoices", "clients"):
        cols = [
            r[0]
            for r in query(home, f"describe raw_hoursmith.{t}")
            if r[0] not in ("_dlt_load_id", "_dlt_id")
        ]
        out[t] = Counter(query(home, f"select {', '.join(cols)} from raw_hoursmith.{t}"))
    return out


def run(**kwargs: Any) -> VendorResult:
    (result,) = sync(["hoursmith"], **kwargs)
    assert result.error is None, result.error
    return result


def check_world(sb: Sandbox, home: Path) -> None:
    assert current(home) == expected(sb)
    check_clients(sb, home)


def check_clients(sb: Sandbox, home: Path) -> None:
    clients = {
        r[0]: r[1:]
        for r in query(
            home, "select id, billing_country, deleted_at is not null from raw_hoursmith.clients"
        )
    }
    books = sb.world.books["hoursmith"]
    assert clients == {c.id: (c.party.country, c.deleted) for c in books.customers}


def plan(sb: Sandbox, doc: Document, kind: str) -> None:
    """Delete ``doc`` (``soft`` or ``hard``) during the sandbox's next day."""
    at = sb.world.now + timedelta(hours=12)
    doc.events.append(Event(at, "delete", kind))
    doc.events.sort(key=lambda e: e.at)
    sb.world._watch[at.date()].append(doc)


# ----------------------------------------------------------------------------- tests


def test_full_load_equals_the_world_exactly_and_reruns_idempotent(
    make_sandbox: Callable[..., Sandbox], point_at: Callable[[Sandbox], None], home: Path
) -> None:
    sb = make_sandbox(seed=4, scale=1200, hoursmith_plan="unlimited")
    point_at(sb)
    first = run()
    check_world(sb, home)
    types = dict(
        query(
            home,
            "select column_name, data_type from duckdb_columns() where schema_name = 'raw_hoursmith' and table_name = 'invoices'",
        )
    )
    assert types["total"] == types["amount_paid"] == "DECIMAL(18,2)"
    assert (types["issue_date"], types["updated_at"]) == ("DATE", "TIMESTAMP WITH TIME ZONE")
    ((total,),) = query(home, "select sum(total) from raw_hoursmith.invoices")
    assert isinstance(total, Decimal) and total == money(sum(d.gross for d in docs(sb)))
    assert query(home, "select distinct _dlt_valid_from from raw_hoursmith.invoices") == [
        (sb.world.now,)
    ]
    before = snapshot(home)
    again = run()
    assert snapshot(home) == before
    assert again.stats.requests == 3 < first.stats.requests  # probe, one page of each list


def test_incremental_reads_changes_only_and_keeps_history(
    make_sandbox: Callable[..., Sandbox],
    point_at: Callable[[Sandbox], None],
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sb = make_sandbox(seed=1, scale=1000, hoursmith_plan="unlimited")
    point_at(sb)
    monkeypatch.setenv("SOURCES__HOURSMITH__FULL_RECONCILE_DAYS", "30")
    full = run()
    t0 = sb.world.now
    before = {d.id: (d.state, d.updated_at) for d in docs(sb)}
    unpaid = [d for d in docs(sb) if d.state == "open" and not d.payments]
    soft, hard = unpaid[0], unpaid[1]
    plan(sb, soft, "soft")
    plan(sb, hard, "hard")
    sb.advance(7)
    new = {d.id for d in docs(sb)} - set(before)
    paid = {d.id for d in docs(sb) if d.id in before and d.state == "paid" != before[d.id][0]}
    changed = {d.id for d in docs(sb) if d.id in before and d.updated_at != before[d.id][1]}
    assert new and paid and soft.id in changed
    incremental = run()
    assert incremental.stats.requests * 2 < full.stats.requests
    # every change is in; a hard delete leaves no trace until the full reconcile
    got = current(home)
    assert got == {**expected(sb), hard.id: got[hard.id]}
    assert got[soft.id][-1] is not None  # soft-deleted: kept, dated
    check_clients(sb, home)
    versions: dict[str, list[tuple[Any, Any]]] = defaultdict(list)
    for i, start, end in query(
        home,
        "select id, _dlt_valid_from, _dlt_valid_to from raw_hoursmith.invoices order by id, _dlt_valid_from",
    ):
        versions[i].append((start, end))
    for i in changed:
        assert versions[i] == [(t0, sb.world.now), (sb.world.now, None)], i
    assert all(versions[i] == [(sb.world.now, None)] for i in new)
    assert sum(len(v) for v in versions.values()) == len(before) + len(new) + len(changed)
    run(full_refresh=True)
    check_world(sb, home)
    assert query(
        home,
        f"select deleted_upstream from raw_hoursmith.invoices where id = '{hard.id}' and _dlt_valid_to is null",
    ) == [(True,)]


def test_flaky_vendor_gives_the_same_warehouse(
    make_sandbox: Callable[..., Sandbox],
    point_at: Callable[[Sandbox], None],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # small pages: enough requests for the faults to hit
    monkeypatch.setenv("SOURCES__HOURSMITH__PAGE_LIMIT", "25")
    without_and_with_faults(
        make_sandbox,
        point_at,
        tmp_path,
        monkeypatch,
        run,
        snapshot,
        days=3,
        seed=9,
        scale=500,
        hoursmith_plan="unlimited",
    )


def test_hostile_records_are_rejected_with_reasons_and_the_rest_loads(
    make_sandbox: Callable[..., Sandbox], point_at: Callable[[Sandbox], None], home: Path
) -> None:
    sb = make_sandbox(seed=21, scale=1500, faults="hostile", hoursmith_plan="unlimited")
    point_at(sb)
    run()
    fault = {d.id: record_fault(21, "hoursmith", d.id) for d in docs(sb)}
    bad = {i for i, f in fault.items() if f in ("bad_amount", "missing_id")}
    odd = {i for i, f in fault.items() if f == "unknown_enum"}
    assert bad and odd
    want = expected(sb, skip=bad)
    for i in odd:
        want[i] = (*want[i][:2], "ARCHIVED", *want[i][3:])  # an unknown status is kept as sent
    assert current(home) == want
    rejects = query(home, "select record_id, reason from raw_hoursmith.rejected_records")
    assert len(rejects) == len(bad)
    assert {r[0] for r in rejects if r[0]} == {i for i in bad if fault[i] == "bad_amount"}
    assert all("'total'" in reason or "'id'" in reason for _, reason in rejects)
    before = snapshot(home)
    run()
    assert snapshot(home) == before


def test_the_budget_keeps_under_the_studio_plan(
    make_sandbox: Callable[..., Sandbox],
    point_at: Callable[[Sandbox], None],
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sb = make_sandbox(seed=4, scale=200)  # the Studio plan: 30 requests per 10 s
    point_at(sb)
    monkeypatch.setenv("SOURCES__HOURSMITH__PAGE_LIMIT", "5")  # over 30 requests
    result = run()
    assert result.stats.requests > 30
    assert result.stats.retries == 0  # never refused: no 429 to honour
    assert result.stats.waited > 5  # the budget waited for the next window instead
    check_world(sb, home)
