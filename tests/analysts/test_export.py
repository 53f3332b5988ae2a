"""``ledgerline export``: every format reads back equal to the warehouse, to the cent."""

from __future__ import annotations

import csv
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.export import WHAT, Sheet, export

runner = CliRunner()


def expected(
    con: duckdb.DuckDBPyConnection, sheet: Sheet, basis: str
) -> tuple[list[str], list[str], list[tuple[Any, ...]]]:
    """The mart straight from the warehouse: column names, DuckDB types, rows (sorted)."""
    where = f" where basis = '{basis}'" if sheet.by_basis else ""
    rel = con.sql(f"select * from marts.{sheet.table}{where}")
    return rel.columns, [str(t) for t in rel.types], sorted(rel.fetchall(), key=repr)


def parse(value: str, typ: str) -> Any:
    """A CSV field back to the warehouse's value for a column of DuckDB type ``typ``."""
    if value == "":
        return None if typ != "VARCHAR" else value
    if typ.startswith("DECIMAL"):
        return Decimal(value)
    if typ in ("INTEGER", "BIGINT"):
        return int(value)
    if typ == "DATE":
        return date.fromisoformat(value)
    if typ == "BOOLEAN":
        return {"true": True, "false": False}[value]
    return value


def from_excel(value: Any, typ: str) -> Any:
    if value is None:
        return None
    if typ.startswith("DECIMAL"):
        scale = int(typ.rstrip(")").split(",")[1])
        return Decimal(repr(value)).quantize(Decimal(1).scaleb(-scale))  # the cent, exactly
    if typ == "DATE" and isinstance(value, datetime):
        return value.date()
    return value


def _norm(rows: list[tuple[Any, ...]], types: list[str]) -> list[tuple[Any, ...]]:
    """Null strings compare as empty (CSV cannot tell them apart)."""
    return sorted(
        (
            tuple("" if v is None and t == "VARCHAR" else v for v, t in zip(r, types, strict=True))
            for r in rows
        ),
        key=repr,
    )


def read_back(
    fmt: str, path: Path, sheet: Sheet, types: list[str], n: int
) -> tuple[list[str], list[tuple[Any, ...]]]:
    if fmt == "csv":
        with path.open(newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            header = next(reader)
            rows = [tuple(parse(v, t) for v, t in zip(r[:n], types, strict=True)) for r in reader]
        return header, rows
    if fmt == "parquet":
        table = pq.read_table(path)
        for field, typ in zip(table.schema, types, strict=False):
            if typ.startswith("DECIMAL"):
                assert pa.types.is_decimal(field.type), (
                    f"{field.name} must stay a decimal, not {field.type}"
                )
        cols = table.column_names
        return cols, [tuple(r[c] for c in cols[:n]) for r in table.to_pylist()]
    from openpyxl import load_workbook

    ws = load_workbook(path, read_only=True)[sheet.title]
    values = list(ws.iter_rows(values_only=True))
    header = [str(h) for h in values[0]]
    rows = [tuple(from_excel(v, t) for v, t in zip(r[:n], types, strict=True)) for r in values[1:]]
    return header, rows


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
@pytest.mark.parametrize("what", list(WHAT))
def test_export_reads_back_exactly(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, fmt: str, what: str
) -> None:
    basis = "cash" if what == "vat" else None
    written = export(con, what, fmt, tmp_path / "out", basis)
    assert written and all(p.exists() for p in written)
    assert len(written) == (1 if fmt == "xlsx" else len(WHAT[what]))
    for i, sheet in enumerate(WHAT[what]):
        cols, types, want = expected(con, sheet, basis or "accrual")
        path = written[0] if fmt == "xlsx" else written[i]
        header, got = read_back(fmt, path, sheet, types, len(cols))
        assert header[: len(cols)] == cols, sheet.table
        if sheet.name_of:
            assert header[len(cols)] == sheet.name_of.replace("_key", "_name")
        if fmt == "csv":
            want = _norm(want, types)
            got = _norm(got, types)
        assert sorted(got, key=repr) == want, sheet.table
        assert want, f"marts.{sheet.table} should not be empty in the sandbox warehouse"


def test_xlsx_has_number_formats_and_about_sheet(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    (path,) = export(con, "vat", "xlsx", tmp_path / "vat.xlsx", "accrual")
    assert path == tmp_path / "vat.xlsx"
    wb = load_workbook(path)
    assert wb.sheetnames == ["About"] + [s.title for s in WHAT["vat"]]
    about = {r[0]: r[1] for r in wb["About"].iter_rows(values_only=True) if r and r[0]}
    assert about["basis"] == "accrual" and about["reporting currency"]
    ws = wb["VAT return"]
    header = [c.value for c in ws[1]]
    assert ws.cell(2, header.index("net_vat_due") + 1).number_format == "#,##0.00"
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref


def test_export_command(own_home: Path, tmp_path: Path) -> None:
    books = tmp_path / "books"
    result = runner.invoke(
        app, ["export", "--what", "open-items", "--format", "csv", "--out", str(books)]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name.split("_20")[0] for p in books.iterdir()) == [
        "payables_open_items",
        "receivables_open_items",
    ]
    # the defaults: xlsx, into $LEDGERLINE_HOME/exports
    result = runner.invoke(app, ["export", "--what", "aging"])
    assert result.exit_code == 0, result.output
    assert list((own_home / "exports").glob("aging_*.xlsx"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--what", "ledger"], "--what must be one of"),
        (["--what", "vat", "--format", "pdf"], "--format must be one of"),
        (["--what", "aging", "--basis", "cash"], "--basis applies to --what vat only"),
        (["--what", "vat", "--basis", "paid"], "--basis must be accrual or cash"),
        (["--what", "vat", "--format", "csv", "--out", "x.csv"], "must be a directory"),
    ],
)
def test_export_usage_errors(home: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["export", *args])
    assert result.exit_code == 2 and message in result.output, result.output
