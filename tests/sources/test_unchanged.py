"""Records read again exactly as the warehouse holds them are not loaded again."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import duckdb
import msgspec
import pytest

from pipelines import config
from pipelines.sync import sync
from sandbox.server import Sandbox
from sources.records import record_hash
from sources.rescan import Known, KnownDecoder


def counts() -> dict[str, int]:
    with duckdb.connect(str(config.warehouse_path()), read_only=True) as con:
        return {
            t: con.execute(f"select count(*) from raw_katsu.{t}").fetchone()[0]  # type: ignore[index]
            for t in ("invoices", "counterparties", "products")
        }


def test_a_rerun_without_changes_loads_nothing_and_a_full_refresh_reloads(
    make_sandbox: Callable[..., Sandbox], point_at: Callable[[Sandbox], None]
) -> None:
    sb = make_sandbox(scale=300)
    point_at(sb)
    (first,) = sync(["katsu"])
    assert first.error is None and first.stats.unchanged == 0
    before = counts()

    (again,) = sync(["katsu"])  # nothing changed upstream: rescans read records, load none
    assert again.error is None
    assert again.stats.unchanged > 0
    assert again.stats.tables.get("invoices", 0) == 0
    assert again.stats.tables.get("counterparties", 0) == 0
    assert counts() == before  # no new history versions either

    (refresh,) = sync(["katsu"], full_refresh=True)  # re-loads every record
    assert refresh.error is None and refresh.stats.unchanged == 0
    assert refresh.stats.tables["invoices"] == first.stats.tables["invoices"]
    assert counts() == before  # same versions: a reload of the same records adds none


# -- the decoder that leaves records held as sent undecoded


def test_records_held_as_sent_are_not_decoded_and_the_rest_is_exact() -> None:
    held = {"id": "a1", "total": Decimal("12.50"), "status": "PAID"}  # as the warehouse holds it
    body = b'{"data":[{"id":"a1","total":12.50,"status":"PAID"},{"id":"b2","total":0.10}],"meta":{"total":2}}'
    decode = KnownDecoder("data", "id", {record_hash(held): "a1"})
    page = decode(body)
    first, second = page["data"]
    assert type(first) is Known and first == {"id": "a1"}
    assert second == {"id": "b2", "total": Decimal("0.10")}
    assert page["meta"] == {"total": 2}
    # the same record with one field changed is decoded (a new version), not taken as held
    changed = decode(body.replace(b'"PAID"', b'"SENT"'))
    assert changed["data"][0] == {**held, "status": "SENT"}
    # bodies that are not an object with a list are decoded as usual; broken JSON still fails
    assert decode(b"[1, 2]") == [1, 2]
    assert decode(b'{"data": {"id": "a1"}}') == {"data": {"id": "a1"}}
    with pytest.raises(msgspec.DecodeError):
        decode(b'{"data":[{"id":"a1","total":12.5')
