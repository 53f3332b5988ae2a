"""The ``hostile`` profile, all five vendors at once: bad input never crashes a sync or hides.

Besides the flaky faults, the sandbox truncates bodies, answers HTML with a 200, serves empty
and repeated pages, repeats records further down a list (duplicates across pages), and
malforms documents: amounts that are not numbers, missing ids, status codes outside the
contract. The sync must finish, set aside exactly the records the truth oracle says are
malformed (``Oracle.rejected()``), each with its reason and whole payload, load every other
record once, and build marts that agree with the oracle.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest

from pipelines.sync import sync
from sandbox.faults import record_fault
from sandbox.oracle import Oracle
from sandbox.server import Sandbox
from tests.reliability.helpers import snapshot
from transforms.build import build

pytestmark = pytest.mark.slow  # end to end against the sandbox: `make test-fast` skips it

SEED = 17
SCALE = 600
# Where each vendor's documents land: (world endpoint, raw table, wire key of the id).
DOCUMENTS = {
    "baloom": [("invoices", "invoices", "id")],
    "katsu": [("invoices", "invoices", "id")],
    "ibana": [
        ("supplier_invoices", "supplier_invoices", "id"),
        ("customer_invoices", "customer_invoices", "id"),
    ],
    "wuro": [("invoices", "invoices", "_id")],
    "hoursmith": [("invoices", "invoices", "id")],
}


@dataclass
class Hostile:
    sandbox: Sandbox
    path: Path
    first: dict[str, Any]
    second: dict[str, Any]

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        con = duckdb.connect(str(self.path), read_only=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hostile]:
    """A hostile sandbox synced twice at the same clock (the second run must change nothing)."""
    home = tmp_path_factory.mktemp("hostile")
    saved = dict(os.environ)
    os.environ["LEDGERLINE_HOME"] = str(home)
    sb = Sandbox(seed=SEED, scale=SCALE, faults="hostile", hoursmith_plan="unlimited").start()
    os.environ.update(sb.env())
    try:
        runs = []
        for _ in range(2):
            results = sync()
            assert [r.error for r in results if r.error] == []
            build(as_of=sb.world.clock)
            runs.append(snapshot(home / "ledgerline.duckdb"))
        yield Hostile(sb, home / "ledgerline.duckdb", runs[0], runs[1])
    finally:
        sb.stop()
        os.environ.clear()
        os.environ.update(saved)


def test_the_sandbox_was_hostile(hostile: Hostile) -> None:
    injected = hostile.sandbox.faults.injected
    for kind in ("empty_page", "repeat_page", "status", "reset"):
        assert injected.get(kind, 0) > 0, (kind, dict(injected))
    assert injected.get("truncate", 0) + injected.get("html", 0) > 0, dict(injected)
    faults = {
        record_fault(SEED, v, d.id) for v in DOCUMENTS for d in hostile.sandbox.world.documents(v)
    }
    assert {"bad_amount", "missing_id", "unknown_enum", "duplicate"} <= faults


def test_every_malformed_record_is_rejected_with_its_reason(hostile: Hostile) -> None:
    oracle = Oracle(hostile.sandbox.world, profile="hostile")
    want = oracle.rejected()
    assert want
    for vendor, endpoints in DOCUMENTS.items():
        rows = hostile.query(
            f"select endpoint, record_id, reason, payload from raw_{vendor}.rejected_records"
        )
        expected_bad = {r.id for r in want if r.vendor == vendor and r.reason == "bad_amount"}
        expected_missing = [r for r in want if r.vendor == vendor and r.reason == "missing_id"]
        got_bad = {rid for _, rid, _, _ in rows if rid is not None}
        assert got_bad == expected_bad, vendor
        no_id = [row for row in rows if row[1] is None]
        assert len(no_id) == len(expected_missing), vendor
        for endpoint, rid, reason, payload in rows:
            record = orjson.loads(payload)  # the whole record, as sent
            if rid is None:
                assert "missing required field" in reason, reason
                assert all(key not in record for _, _, key in endpoints)
            else:
                assert "is not a number" in reason, reason
                assert record[next(k for _, _, k in endpoints)] == rid
            assert endpoint.startswith("/"), endpoint


def test_every_good_record_is_loaded_once(hostile: Hostile) -> None:
    world = hostile.sandbox.world
    for vendor, endpoints in DOCUMENTS.items():
        for world_endpoint, table, _ in endpoints:
            want = {
                d.id
                for d in world.documents(vendor)
                if d.endpoint == world_endpoint
                and d.deleted != "hard"
                and record_fault(SEED, vendor, d.id) not in ("bad_amount", "missing_id")
            }
            rows = hostile.query(
                f"select id, count(*) from raw_{vendor}.{table} where _dlt_valid_to is null group by id"
            )
            assert {r[0] for r in rows} == want, (vendor, table)
            assert all(n == 1 for _, n in rows), (vendor, table, "a current row repeats")


def test_marts_agree_with_the_oracle_despite_the_bad_input(hostile: Hostile) -> None:
    oracle = Oracle(hostile.sandbox.world, profile="hostile")
    got = {
        r[0]: r[1]
        for r in hostile.query("select invoice_key, open_amount from marts.receivables_open_items")
    }
    want = {i.invoice_key: i.open_amount for i in oracle.receivables_open_items()}
    # Known limit, left to the sources: Wuro marks a deleted invoice only by its state
    # ("inactive"); when that very field comes malformed, the warehouse cannot see the delete
    # and counts the invoice by its amounts, flagged unknown_status_code (the oracle drops it).
    hidden = {
        f"wuro:{d.id}"
        for d in hostile.sandbox.world.documents("wuro")
        if d.deleted == "soft" and record_fault(SEED, "wuro", d.id) == "unknown_enum"
    }
    assert {k: v for k, v in got.items() if k not in hidden} == want
    payables = dict(hostile.query("select invoice_key, open_amount from marts.payables_open_items"))
    assert payables == {i.invoice_key: i.open_amount for i in oracle.payables_open_items()}
    issues = hostile.query(
        "select record_key from marts.data_quality_issues where \"check\" = 'rejected_record'"
    )
    assert len(issues) == len(oracle.rejected())
    unknown = {
        r[0]
        for r in hostile.query(
            "select record_key from marts.data_quality_issues where \"check\" = 'unknown_status_code'"
        )
    }
    assert set(oracle.unknown_status()) <= unknown


def test_malformed_records_are_not_taken_for_a_new_schema(hostile: Hostile) -> None:
    for vendor in DOCUMENTS:
        assert f"raw_{vendor}.schema_changes" not in hostile.first, vendor


def test_a_second_run_over_the_same_bad_input_changes_nothing(hostile: Hostile) -> None:
    raw = {k: v for k, v in hostile.second.items() if k.startswith("raw_")}
    assert raw == {k: v for k, v in hostile.first.items() if k.startswith("raw_")}
