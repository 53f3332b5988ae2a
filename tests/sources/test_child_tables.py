"""Child tables (lines, payments) merge on their parent's key: a parent's rows are replaced."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dlt
import duckdb
import pyarrow as pa
import pytest

from pipelines.sync import drop_child_keys
from sources.records import Col, Table
from sources.sync import child, hints

LINES = Table(
    "lines",
    [Col("amount", "amount", "int")],
    extra={"invoice_id": pa.string(), "line_number": pa.int64()},
)


def lines(*rows: tuple[str, int, int]) -> pa.Table:
    return pa.table(
        {
            "amount": [r[2] for r in rows],
            "invoice_id": [r[0] for r in rows],
            "line_number": [r[1] for r in rows],
        }
    )


def load(tmp_path: Path, item: Any) -> tuple[dlt.Pipeline, list[str]]:
    """One load of an invoice and ``item`` (its lines); returns the DELETE statements run."""

    @dlt.resource(name="invoices", write_disposition="merge", primary_key="id")
    def invoices() -> Any:
        yield {"id": "a"}
        yield item

    pipeline = dlt.pipeline(
        "child_tables",
        destination=dlt.destinations.duckdb(str(tmp_path / "w.duckdb")),
        dataset_name="raw",
        pipelines_dir=str(tmp_path / "pipelines"),
    )
    drop_child_keys(pipeline)
    deletes: list[str] = []
    from dlt.destinations.sql_client import SqlClientBase

    original = SqlClientBase.execute_many

    def spy(self: Any, statements: Any, *args: Any, **kwargs: Any) -> Any:
        for sql in statements if isinstance(statements, list) else [statements]:
            if sql.startswith('DELETE FROM "raw"."lines"'):
                deletes.append(sql)
        return original(self, statements, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(SqlClientBase, "execute_many", spy)
        pipeline.run(invoices(), loader_file_format="parquet")
    return pipeline, deletes


def rows(tmp_path: Path) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        return con.execute(
            "select invoice_id, line_number, amount from raw.lines order by all"
        ).fetchall()


def test_a_parents_lines_are_replaced_by_a_join_on_the_parent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
    # a warehouse made by an earlier version: (invoice, line number) was the primary key
    old = dlt.mark.with_hints(
        lines(("a", 1, 10), ("a", 2, 20), ("b", 1, 5)),
        hints(LINES, "merge", primary_key=["invoice_id", "line_number"], merge_key="invoice_id"),
        create_table_variant=True,
    )
    load(tmp_path, old)
    # the invoice now has one line: the other is gone, the other invoice's lines stay
    pipeline, deletes = load(tmp_path, child(lines(("a", 1, 15)), LINES, "invoice_id"))
    assert rows(tmp_path) == [("a", 1, 15), ("b", 1, 5)]
    columns = pipeline.default_schema.tables["lines"]["columns"]
    assert not any(c.get("primary_key") for c in columns.values())
    assert columns["invoice_id"].get("merge_key")
    # an equi-join on the parent, which DuckDB hashes (and spills), not `key or parent`
    assert len(deletes) == 1 and " OR " not in deletes[0]
    assert 'd."invoice_id" = s."invoice_id"' in deletes[0]
