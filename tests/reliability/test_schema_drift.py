"""A vendor changes the shape of its records: the load goes on, the change is recorded and
reported, and the marts are never silently wrong.

The sandbox reshapes every record of one kind (``Sandbox(drift=...)``): Katsu stops sending
``paidAmount`` (a money field: a null would read as unpaid), Baloom sends ``totalAmount`` as a
string, Hoursmith adds a field, Wuro stops sending ``title`` (text). Each source compares the
records with its table specs (the wire contract) and writes what differs to its raw
``schema_changes`` table, which ``marts.data_quality_issues`` reports; records missing a money
field are rejected (and listed) rather than loaded as zero; values still readable are read
exactly. The raw tables' own columns and types are frozen by a dlt schema contract.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import dlt
import duckdb
import pytest

from pipelines.sync import explain, make_pipeline, sync
from sandbox.faults import Drift
from sandbox.oracle import Oracle
from sandbox.server import Sandbox
from sandbox.world.model import cents_to_decimal
from transforms.build import build

pytestmark = pytest.mark.slow  # end to end against the sandbox: `make test-fast` skips it

SEED = 23
SCALE = 250
DRIFT = (
    Drift("katsu", "invoice", "drop", "paidAmount"),
    Drift("baloom", "invoice", "to_string", "totalAmount"),
    Drift("hoursmith", "invoice", "add", "projectCode", "P-17"),
    Drift("wuro", "invoice", "drop", "title"),
)
EXPECTED = {  # vendor: (field, change, severity)
    "katsu": ("paidAmount", "missing", "error"),
    "baloom": ("totalAmount", "type_changed", "warning"),
    "hoursmith": ("projectCode", "added", "warning"),
    "wuro": ("title", "missing", "warning"),
}


@dataclass
class Drifted:
    sandbox: Sandbox
    path: Path
    observed: list[date]

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        con = duckdb.connect(str(self.path), read_only=True)
        try:
            return con.execute(sql, list(params)).fetchall()
        finally:
            con.close()


def run(home: Path, drift_from_start: bool) -> Drifted:
    """Two syncs days apart and a build; the drift from the start, or from the second sync."""
    saved = dict(os.environ)
    os.environ["LEDGERLINE_HOME"] = str(home)
    sb = Sandbox(
        seed=SEED, scale=SCALE, hoursmith_plan="unlimited", drift=DRIFT if drift_from_start else ()
    )
    sb.start()
    os.environ.update(sb.env())
    observed = []
    try:
        for step in range(2):
            if step:
                sb.advance(3)
                sb.set_drift(*DRIFT)
            results = sync()
            assert [r.error for r in results if r.error] == []  # the load goes on
            observed.append(sb.world.clock)
        build(as_of=sb.world.clock)
        return Drifted(sb, home / "ledgerline.duckdb", observed)
    except BaseException:
        sb.stop()
        raise
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(scope="module")
def from_start(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Drifted]:
    d = run(tmp_path_factory.mktemp("drift") / "home", drift_from_start=True)
    yield d
    d.sandbox.stop()


@pytest.fixture(scope="module")
def midway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Drifted]:
    d = run(tmp_path_factory.mktemp("midway") / "home", drift_from_start=False)
    yield d
    d.sandbox.stop()


def test_each_change_is_recorded_once_with_an_example(from_start: Drifted) -> None:
    for vendor, (field, change, severity) in EXPECTED.items():
        rows = from_start.query(
            f"select field, change, severity, example_record_id, first_seen_at::date, last_seen_at::date "
            f"from raw_{vendor}.schema_changes"
        )
        assert [r[:3] for r in rows] == [(field, change, severity)], vendor
        (_, _, _, example, first, last) = rows[0]
        assert example is not None
        assert (first, last) == (from_start.observed[0], from_start.observed[-1])
    for vendor in ("ibana",):
        assert from_start.query(
            "select count(*) from duckdb_tables() where schema_name = ? and table_name = 'schema_changes'",
            f"raw_{vendor}",
        ) == [(0,)]


def test_each_change_is_reported_in_data_quality_issues(from_start: Drifted) -> None:
    rows = from_start.query(
        "select vendor, severity, record_key, detail from marts.data_quality_issues where \"check\" = 'schema_change'"
    )
    got = {(v, s, key.rsplit(":", 1)[-1]) for v, s, key, _ in rows}
    assert got == {(v, sev, field) for v, (field, _, sev) in EXPECTED.items()}
    katsu = next(detail for v, _, _, detail in rows if v == "katsu")
    assert "paidAmount" in katsu and "rejected" in katsu and "never read as zero" in katsu


def test_a_dropped_amount_is_never_read_as_zero(from_start: Drifted) -> None:
    katsu_docs = [d for d in from_start.sandbox.world.documents("katsu") if d.deleted != "hard"]
    # every Katsu invoice was set aside with its reason, none loaded with a null paid amount
    assert from_start.query(
        "select count(*) from duckdb_tables() where schema_name = 'raw_katsu' and table_name = 'invoices'"
    ) == [(0,)]
    rejected = from_start.query("select distinct record_id, reason from raw_katsu.rejected_records")
    assert {r[0] for r in rejected} == {d.id for d in katsu_docs}
    assert all("paidAmount" in reason for _, reason in rejected)
    assert from_start.query("select count(*) from core.invoices where source_system = 'katsu'") == [
        (0,)
    ]


def test_the_marts_equal_the_oracle_for_what_could_be_read(from_start: Drifted) -> None:
    readable = ["baloom", "ibana", "wuro", "hoursmith"]  # Katsu's invoices were all set aside
    oracle = Oracle(from_start.sandbox.world, observed=from_start.observed, vendors=readable)
    got = dict(
        from_start.query("select invoice_key, open_amount from marts.receivables_open_items")
    )
    assert got == {i.invoice_key: i.open_amount for i in oracle.receivables_open_items()}
    # Baloom's amounts came as text and were read exactly
    baloom = dict(
        from_start.query(
            "select id, total_amount from raw_baloom.invoices where _dlt_valid_to is null"
        )
    )
    world = from_start.sandbox.world.documents("baloom")
    assert baloom == {d.id: cents_to_decimal(d.gross) for d in world if d.deleted != "hard"}


def test_a_change_midway_keeps_the_last_good_version_and_flags_the_documents(
    midway: Drifted,
) -> None:
    first, second = midway.observed
    (row,) = midway.query(
        "select change, first_seen_at::date from raw_katsu.schema_changes where field = 'paidAmount'"
    )
    assert row == ("missing", second)
    # no Katsu invoice got a version without its paid amount: the current ones are day-one versions
    assert midway.query(
        "select count(*) from raw_katsu.invoices where _dlt_valid_to is null and paid_amount is null"
    ) == [(0,)]
    assert midway.query("select max(_dlt_valid_from)::date from raw_katsu.invoices") == [(first,)]
    # and every Katsu document the second sync could not read is flagged as an error
    flagged = {
        key
        for (key,) in midway.query(
            "select record_key from marts.data_quality_issues where \"check\" = 'rejected_record' and vendor = 'katsu'"
        )
    }
    rejected = {
        f"katsu:{rid}"
        for (rid,) in midway.query("select distinct record_id from raw_katsu.rejected_records")
    }
    assert rejected and rejected <= flagged


def test_the_raw_tables_refuse_accidental_evolution(
    from_start: Drifted, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEDGERLINE_HOME", str(from_start.path.parent))
    pipeline = make_pipeline("hoursmith")
    row = {
        "id": "x",
        "name": "n",
        "vendor_added_this": 1,
    }  # a resource yielding wire dicts by mistake
    with pytest.raises(Exception) as info:
        pipeline.extract(
            dlt.resource([row], name="clients", write_disposition="merge", primary_key="id")
        )
        pipeline.normalize()
    message = explain("hoursmith", info.value)
    assert (
        "raw_hoursmith.clients" in message
        and "vendor_added_this" in message
        and "contract" in message
    )
    assert from_start.query(
        "select count(*) from duckdb_columns() where schema_name = 'raw_hoursmith' and column_name = 'vendor_added_this'"
    ) == [(0,)]
    pipeline.drop_pending_packages()
