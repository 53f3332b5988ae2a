"""The model runner: dependencies from SQL, order, one transaction, unsynced vendors."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from transforms import runner
from transforms.build import build


def first(row: tuple[Any, ...] | None) -> Any:
    """The first column of a ``fetchone()`` row, which is there."""
    assert row is not None
    return row[0]


def write(root: Path, layer: str, name: str, sql: str) -> None:
    (root / layer).mkdir(parents=True, exist_ok=True)
    (root / layer / f"{name}.sql").write_text(sql)


def test_dependencies_come_from_the_sql(tmp_path: Path) -> None:
    write(tmp_path, "staging", "a", "select 1 as x")
    write(
        tmp_path,
        "intermediate",
        "b",
        "-- reads staging.zzz only in a comment\nselect * from staging.a",
    )
    write(tmp_path, "marts", "c", "select * from intermediate.b join staging.a using (x)")
    models = runner.load_models(tmp_path)
    assert models["intermediate.b"].deps == {"staging.a"}
    assert models["marts.c"].deps == {"intermediate.b", "staging.a"}
    order = [m.key for m in runner.build_order(models)]
    assert order.index("staging.a") < order.index("intermediate.b") < order.index("marts.c")


def test_cycles_and_unknown_references_are_refused(tmp_path: Path) -> None:
    write(tmp_path, "intermediate", "a", "select * from intermediate.b")
    write(tmp_path, "intermediate", "b", "select * from intermediate.a")
    with pytest.raises(runner.ModelError, match="cycle"):
        runner.build_order(runner.load_models(tmp_path))
    write(tmp_path, "marts", "c", "select * from core.nowhere")
    with pytest.raises(runner.ModelError, match="core.nowhere"):
        runner.load_models(tmp_path)


def test_a_failing_model_leaves_nothing_half_built(tmp_path: Path) -> None:
    write(tmp_path, "core", "good", "select 1 as x")
    write(tmp_path, "marts", "bad", "select * from core.good where no_such_column = 1")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    with pytest.raises(runner.ModelError, match="marts.bad"):
        runner.run(
            con,
            date(2026, 1, 1),
            empty_relation=lambda v, t: "(select 1 where false)",
            root=tmp_path,
        )
    assert (
        first(
            con.execute("select count(*) from duckdb_tables() where table_name = 'good'").fetchone()
        )
        == 0
    )


def test_a_temp_model_is_computed_once_and_kept_as_a_view(tmp_path: Path) -> None:
    """``-- materialized: temp``: every later model of the build reads the same rows (even through
    a view), nothing temporary outlives the build, and the warehouse keeps a queryable view."""
    write(
        tmp_path,
        "intermediate",
        "drawn",
        "-- materialized: temp\nselect random() as r from range(3)",
    )
    write(tmp_path, "intermediate", "through_view", "select r from intermediate.drawn")
    write(tmp_path, "marts", "direct", "select sum(r) as s from intermediate.drawn")
    write(tmp_path, "marts", "via_view", "select sum(r) as s from intermediate.through_view")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    result = runner.run(
        con, date(2026, 1, 1), empty_relation=lambda v, t: "(select 1 where false)", root=tmp_path
    )
    assert dict((k, rows) for k, _, rows in result.models)["intermediate.drawn"] == 3
    direct = first(con.execute("select s from marts.direct").fetchone())
    assert first(con.execute("select s from marts.via_view").fetchone()) == direct
    assert (
        first(con.execute("select count(*) from duckdb_tables() where temporary").fetchone()) == 0
    )
    assert (
        first(
            con.execute(
                "select count(*) from duckdb_views() where temporary and not internal"
            ).fetchone()
        )
        == 0
    )
    views = {
        r[0]
        for r in con.execute(
            "select view_name from duckdb_views() where schema_name = 'intermediate'"
        ).fetchall()
    }
    assert views == {"drawn", "through_view"}
    assert first(con.execute("select count(*) from intermediate.through_view").fetchone()) == 3


def test_builds_with_no_vendor_synced(tmp_path: Path) -> None:
    """A vendor never synced reads as empty: every model still builds, every mart is empty."""
    path = tmp_path / "empty.duckdb"
    result = build(path, as_of=date(2026, 11, 2))
    assert result.models
    con = duckdb.connect(str(path), read_only=True)
    for (table,) in con.execute(
        "select table_name from duckdb_tables() where schema_name = 'marts'"
    ).fetchall():
        if table != "dso":
            assert first(con.execute(f"select count(*) from marts.{table}").fetchone()) == 0, table
    assert con.execute("select as_of_date, reporting_currency from core.parameters").fetchone() == (
        date(2026, 11, 2),
        "EUR",
    )


def test_refuses_an_unknown_reporting_currency(tmp_path: Path) -> None:
    with pytest.raises(runner.ModelError, match="XYZ"):
        build(tmp_path / "x.duckdb", as_of=date(2026, 1, 1), currency="XYZ")
