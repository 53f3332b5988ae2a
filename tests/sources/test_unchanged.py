"""Records read again exactly as the warehouse holds them are not loaded again."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, cast

import duckdb
import msgspec
import pytest

from pipelines import config
from pipelines.sync import sync
from sandbox.server import Sandbox
from sources.baloom import helpers, make_client
from sources.records import record_hash
from sources.rescan import ARROW_LOOKUPS, Known, KnownDecoder, Versions, from_ipc
from sources.sync import SyncContext, not_in, unchanged, utc_now


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


# -- which stored versions a run reads


class Recording:
    """A warehouse reader over an in-memory DuckDB that notes each query's parameters."""

    def __init__(self) -> None:
        self.con = duckdb.connect()
        self.con.execute("create schema raw_baloom")
        self.con.execute(
            "create table raw_baloom.customers (id varchar, row_hash varchar, deleted_upstream boolean)"
        )
        self.params: list[list[Any]] = []

    def __call__(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        self.params.append(list(params))
        return self.con.execute(sql, list(params)).fetchall()


def context(reader: Recording) -> SyncContext:
    client = make_client("http://127.0.0.1:9", "key")  # never asked: the lookups read the warehouse
    return SyncContext("baloom", client, utc_now(), full=False, read=reader, dataset="raw_baloom")


def test_a_page_s_stored_versions_are_read_by_its_keys_only() -> None:
    reader = Recording()
    rows = [(f"c{i}", f"h{i}", False) for i in range(1_000)] + [("gone", "hg", True)]
    reader.con.executemany("insert into raw_baloom.customers values (?, ?, ?)", rows)
    ctx = context(reader)
    table = helpers.TABLES["customers"]

    found = ctx.fingerprints(table, ["c1", "c7", "c7", "new", "gone", None, 12])
    assert found == {"c1": "h1", "c7": "h7"}  # a deleted record is not held as live
    assert sorted(reader.params[-1][0]) == ["c1", "c7", "gone", "new"]  # the page's keys, no others
    asked = len(reader.params)
    assert ctx.fingerprints(table, [None]) == {}  # no usable key: nothing read
    assert len(reader.params) == asked


def test_a_filtered_rescan_is_checked_against_the_versions_it_can_return() -> None:
    """An open-set pass narrows the stored versions to its status: the worker and the page
    checks get those only, and a full scan's deletes still come from the whole set."""
    reader = Recording()
    reader.con.execute("alter table raw_baloom.customers add column country varchar")
    records = [
        {"id": f"c{i}", "name": f"n{i}", "country": "FR" if i < 3 else "DE"} for i in range(8)
    ]
    stored = [(r["id"], record_hash(r), False, r["country"]) for r in records]
    reader.con.executemany("insert into raw_baloom.customers values (?, ?, ?, ?)", stored)
    ctx = context(reader)
    table = helpers.TABLES["customers"]

    narrowed = ctx.versions(table, "country = 'FR'")
    assert narrowed == {record_hash(r): r["id"] for r in records[:3]}
    assert ctx.held_versions(table) is None  # not the table's versions: deletes read them whole
    changed = dict(records[1], name="renamed")
    fresh, held = unchanged(ctx, table, [dict(records[0]), changed], "id", "country = 'FR'")
    assert held == ["c0"] and fresh == [changed]
    # an unchanged record the filtered list should not have returned is loaded again, not lost
    fresh, held = unchanged(ctx, table, [dict(records[5])], "id", "country = 'FR'")
    assert held == [] and fresh == [records[5]]
    whole = ctx.versions(table)
    assert len(whole) == 8 and ctx.held_versions(table) is whole


def test_once_a_rescan_read_the_versions_pages_are_checked_against_them() -> None:
    reader = Recording()
    same = {"id": "c1", "name": "Ada", "country": "FR"}
    before = {"id": "c2", "name": "Bob", "country": "DE"}
    stored = [(r["id"], record_hash(r), False) for r in (same, before)]
    reader.con.executemany("insert into raw_baloom.customers values (?, ?, ?)", stored)
    ctx = context(reader)
    table = helpers.TABLES["customers"]

    assert ctx.versions(table) == {record_hash(same): "c1", record_hash(before): "c2"}
    asked = len(reader.params)
    changed = dict(before, country="AT")
    fresh, held = unchanged(ctx, table, [dict(same), changed, {"name": "no id"}], "id")
    assert held == ["c1"]
    assert fresh == [changed, {"name": "no id"}]
    assert len(reader.params) == asked  # no lookup per page
    versions = ctx.held_versions(table)
    assert versions is not None
    assert not_in(versions.keys_column(), {"c1", "other"}) == ["c2"]  # a full scan that missed c2


def test_versions_reach_the_worker_as_arrow_and_are_a_dict_only_when_looked_up() -> None:
    pairs = {f"h{i}": f"k{i}" for i in range(1_000)}
    versions = Versions.of(pairs)
    assert len(versions) == 1_000 and versions._dict is None  # nothing made yet
    assert from_ipc(versions.ipc()) == pairs  # what the worker gets
    assert versions._dict is None
    assert versions.get("h7") == "k7" and versions.get("nope") is None
    assert versions.mapping() == pairs
    assert not_in(versions.keys_column(), {f"k{i}" for i in range(1, 1_000)}) == ["k0"]
    # keys of another type (deliberately not the set[str] not_in takes): not compared here
    assert not_in(versions.keys_column(), cast(set[Any], {1, 2})) is None


def test_a_changed_record_is_checked_against_the_versions_without_making_their_dict() -> None:
    versions = Versions.of({"h1": "k1", "h2": "k2"})
    for _ in range(ARROW_LOOKUPS):
        assert versions.holds([("h1", "k1"), ("h2", "k1"), ("h9", "k9")]) == [True, False, False]
        assert versions._dict is None  # looked up in Arrow
    # a rescan read page by page in this process: the dict is made once, then used
    assert versions.holds([("h1", "k1"), ("h2", "k1")]) == [True, False]
    assert versions._dict == {"h1": "k1", "h2": "k2"}


def test_a_page_decoded_here_finds_held_records_whether_or_not_the_dict_exists() -> None:
    held = {"id": "a1", "total": Decimal("12.50")}
    body = b'{"data":[{"id":"a1","total":12.50},{"id":"b2","total":1}],"meta":{"total":2}}'
    decode = KnownDecoder("data", "id", Versions.of({record_hash(held): "a1"}))
    pages = [decode(body) for _ in range(ARROW_LOOKUPS + 2)]
    assert all([type(r) for r in p["data"]] == [Known, dict] for p in pages)
    assert pages[0] == pages[-1]
