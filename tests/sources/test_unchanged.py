"""Records read again exactly as the warehouse holds them are not loaded again."""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from pipelines import config
from pipelines.sync import sync
from sandbox.server import Sandbox


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
