"""``ledgerline export``: the marts accountants paste into their own files.

``--what`` picks a set of marts (aging, vat, open-items), ``--format`` the file type:

- ``csv``: one UTF-8 file per mart, comma-separated, a header row; decimals written exactly as
  the warehouse holds them (``1234.50``, a point, no thousands separator), dates ISO
  (``2026-09-30``), booleans ``true``/``false``, nothing for null.
- ``parquet``: one file per mart, decimals kept as Arrow decimals (``decimal128(18, 2)``), never
  floats; the as-of date and reporting currency are in the file's metadata.
- ``xlsx``: one workbook, an ``About`` sheet (what the numbers were built for) and one sheet per
  mart, with number formats (``#,##0.00`` for amounts, ``yyyy-mm-dd`` for dates), a frozen
  header and filters. Excel holds numbers as binary floating point: the cells carry the exact
  decimal text, and every amount reads back equal to the cent.

Files are named ``<mart>_<as-of>[_<basis>].<ext>`` (the workbook ``<what>_<as-of>[_<basis>].xlsx``)
in ``--out`` (a directory, default ``$LEDGERLINE_HOME/exports``); an ``--out`` ending in
``.xlsx`` is the workbook itself. ``--basis`` (accrual or cash, default accrual) filters the VAT
marts.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

FORMATS = ("csv", "xlsx", "parquet")
BASES = ("accrual", "cash")
CA3_ORDER = "['08','9B','09','T6','16','20','23','28','25']"


class ExportError(Exception):
    """The export cannot be made; the message says why and what to do."""


@dataclass(frozen=True)
class Sheet:
    table: str  # the mart, in schema marts
    title: str  # the xlsx sheet name (31 characters at most)
    order_by: str
    by_basis: bool = False
    name_of: str | None = None  # key column to add the counterparty's name for


WHAT: dict[str, tuple[Sheet, ...]] = {
    "aging": (
        Sheet(
            "receivables_aging",
            "Receivables aging",
            "m.is_total, m.is_converted desc, m.currency, m.total desc, m.customer_key",
        ),
        Sheet(
            "payables_aging",
            "Payables aging",
            "m.is_total, m.is_converted desc, m.currency, m.total desc, m.supplier_key",
        ),
    ),
    "open-items": (
        Sheet(
            "receivables_open_items",
            "Receivables open items",
            "m.due_date, m.invoice_key",
            name_of="customer_key",
        ),
        Sheet(
            "payables_open_items",
            "Payables open items",
            "m.due_date, m.invoice_key",
            name_of="supplier_key",
        ),
    ),
    "vat": (
        Sheet("vat_return", "VAT return", "m.period, m.country", by_basis=True),
        Sheet(
            "vat_by_rate",
            "VAT by rate",
            "m.period, m.country, m.direction, m.vat_rate",
            by_basis=True,
        ),
        Sheet(
            "vat_return_fr_ca3",
            "FR CA3",
            f"m.period, array_position({CA3_ORDER}, m.line)",
            by_basis=True,
        ),
        Sheet("vat_return_uk_9box", "UK 9-box", "m.quarter, m.box", by_basis=True),
        Sheet("vat_coverage", "VAT coverage", "m.period, m.invoice_key"),
    ),
}


def sheet_sql(sheet: Sheet) -> str:
    """The query of one exported mart (``$basis`` is its parameter when ``by_basis``)."""
    name = ""
    join = ""
    if sheet.name_of:
        label = sheet.name_of.replace("_key", "_name")
        name = f", c.name as {label}"
        join = f" left join core.customers as c on c.customer_key = m.{sheet.name_of}"
    where = " where m.basis = $basis" if sheet.by_basis else ""
    return f"select m.*{name} from marts.{sheet.table} as m{join}{where} order by {sheet.order_by}"


def fetch(con: duckdb.DuckDBPyConnection, sheet: Sheet, basis: str) -> pa.Table:
    """One mart as an Arrow table (decimals stay decimals)."""
    params = {"basis": basis} if sheet.by_basis else None
    return con.sql(sheet_sql(sheet), params=params).to_arrow_table()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def write_csv(table: pa.Table, path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(table.column_names)
        for row in table.to_pylist():
            out.writerow([_text(v) for v in row.values()])


def write_parquet(table: pa.Table, path: Path, meta: dict[str, str]) -> None:
    metadata = {
        **(table.schema.metadata or {}),
        **{f"ledgerline.{k}".encode(): v.encode() for k, v in meta.items()},
    }
    pq.write_table(table.replace_schema_metadata(metadata), path)


def _number_format(typ: pa.DataType) -> str | None:
    if pa.types.is_decimal(typ):
        scale = typ.scale  # type: ignore[attr-defined]
        if scale == 2:
            return "#,##0.00"
        return "0." + "0" * min(scale, 2) + "#" * max(scale - 2, 0) if scale else "0"
    if pa.types.is_integer(typ):
        return "0"
    if pa.types.is_date(typ):
        return "yyyy-mm-dd"
    if pa.types.is_timestamp(typ):
        return "yyyy-mm-dd hh:mm:ss"
    return None


def _cell(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)  # Excel has no time zones: UTC
    return value


def write_xlsx(tables: list[tuple[Sheet, pa.Table]], path: Path, meta: dict[str, str]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    about = wb.active
    about.title = "About"
    bold = Font(bold=True)
    about.append(["ledgerline export"])
    about["A1"].font = Font(bold=True, size=13)
    for key, value in meta.items():
        about.append([key.replace("_", " "), value])
    about.append([])
    about.append(["sheet", "warehouse table", "rows"])
    for cell in about[about.max_row]:
        cell.font = bold
    for sheet, table in tables:
        about.append([sheet.title, f"marts.{sheet.table}", table.num_rows])
    about.column_dimensions["A"].width = 24
    about.column_dimensions["B"].width = 32
    for sheet, table in tables:
        ws = wb.create_sheet(sheet.title[:31])
        ws.append(table.column_names)
        for cell in ws[1]:
            cell.font = bold
        for row in table.to_pylist():
            ws.append([_cell(v) for v in row.values()])
        for i, field in enumerate(table.schema, start=1):
            letter = get_column_letter(i)
            fmt = _number_format(field.type)
            if fmt and table.num_rows:
                for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                    cell.number_format = fmt
            width = max(
                [len(field.name)] + [len(_text(v)) for v in table.column(i - 1).to_pylist()[:500]]
            )
            ws.column_dimensions[letter].width = min(max(width + 2, 8), 48)
        ws.freeze_panes = "A2"
        if table.num_rows:
            ws.auto_filter.ref = ws.dimensions
    wb.save(path)


def export(
    con: duckdb.DuckDBPyConnection,
    what: str,
    fmt: str,
    out: Path,
    basis: str | None = None,
) -> list[Path]:
    """Write the marts of ``what`` as ``fmt`` into ``out``; returns the files written."""
    if what not in WHAT:
        raise ExportError(f"--what must be one of {', '.join(WHAT)}, not {what!r}.")
    if fmt not in FORMATS:
        raise ExportError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}.")
    if basis is not None and basis not in BASES:
        raise ExportError(f"--basis must be accrual or cash, not {basis!r}.")
    if basis is not None and what != "vat":
        raise ExportError("--basis applies to --what vat only.")
    basis = basis or "accrual"
    as_of, currency = con.sql(
        "select as_of_date, reporting_currency from core.parameters"
    ).fetchall()[0]
    suffix = f"_{as_of}" + (f"_{basis}" if what == "vat" else "")
    meta = {
        "as_of_date": str(as_of),
        "reporting_currency": currency,
        "exported_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    if what == "vat":
        meta["basis"] = basis
    workbook = fmt == "xlsx" and out.suffix.lower() == ".xlsx"
    if not workbook and (out.is_file() or out.suffix.lower() in {f".{f}" for f in FORMATS}):
        if fmt == "xlsx":
            raise ExportError(f"--out {out} must be a directory or a .xlsx file name.")
        raise ExportError(
            f"--out {out} must be a directory: {fmt} writes one file per mart "
            "(only xlsx takes a file name)."
        )
    tables = [(sheet, fetch(con, sheet, basis)) for sheet in WHAT[what]]
    if fmt == "xlsx":
        target = out if workbook else out / f"{what}{suffix}.xlsx"
        target.parent.mkdir(parents=True, exist_ok=True)
        write_xlsx(tables, target, meta)
        return [target]
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for sheet, table in tables:
        path = out / f"{sheet.table}{suffix}.{fmt}"
        if fmt == "csv":
            write_csv(table, path)
        else:
            write_parquet(table, path, {**meta, "table": f"marts.{sheet.table}"})
        written.append(path)
    return written
