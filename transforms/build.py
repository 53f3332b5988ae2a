"""Build the warehouse's models: ``ledgerline transform`` and the flows call :func:`build`."""

from __future__ import annotations

import importlib
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines import config
from transforms import runner
from transforms.catalog import empty_relation
from warehouse.checks import register
from warehouse.fx import load_rates

REPORTING_CURRENCIES = ("EUR", "GBP", "USD", "CHF")


def vendor_settings() -> pa.Table:
    """Each vendor's VAT country and default currency, from its ``settings.py``."""
    rows: dict[str, list[str | None]] = {"vendor": [], "vat_country": [], "currency": []}
    for vendor in config.VENDORS:
        try:
            settings = importlib.import_module(f"sources.{vendor}.settings")
        except ModuleNotFoundError:
            continue
        rows["vendor"].append(vendor)
        rows["vat_country"].append(getattr(settings, "VAT_COUNTRY", None))
        rows["currency"].append(getattr(settings, "DEFAULT_CURRENCY", None))
    return pa.table(rows)


def vendor_codes() -> pa.Table:
    """Every vendor's code mappings (``CODES`` in its settings): vendor, field, code, value."""
    rows: dict[str, list[str | None]] = {"vendor": [], "field": [], "code": [], "value": []}
    for vendor in config.VENDORS:
        try:
            settings = importlib.import_module(f"sources.{vendor}.settings")
        except ModuleNotFoundError:
            continue
        for field, mapping in getattr(settings, "CODES", {}).items():
            for code, value in mapping.items():
                rows["vendor"].append(vendor)
                rows["field"].append(field)
                rows["code"].append(str(code))
                rows["value"].append(value)
    return pa.table(rows, schema=pa.schema([(k, pa.string()) for k in rows]))


def load_vendor_settings(con: duckdb.DuckDBPyConnection) -> None:
    """``core.vendor_settings`` and ``core.vendor_codes``, from the sources' settings."""
    con.register("_vendor_settings", vendor_settings())
    con.register("_vendor_codes", vendor_codes())
    try:
        con.execute(
            "create or replace table core.vendor_settings as select * from _vendor_settings"
        )
        con.execute("create or replace table core.vendor_codes as select * from _vendor_codes")
    finally:
        con.unregister("_vendor_settings")
        con.unregister("_vendor_codes")


def build(
    path: Path | None = None,
    as_of: date | None = None,
    currency: str = "EUR",
    con: duckdb.DuckDBPyConnection | None = None,
) -> runner.RunResult:
    """Rebuild every model in the warehouse at ``path`` for ``as_of`` (default today)."""
    currency = currency.upper()
    if currency not in REPORTING_CURRENCIES:
        raise runner.ModelError(
            f"reporting currency {currency} is not supported: choose one of {', '.join(REPORTING_CURRENCIES)}."
        )
    own = con is None
    if con is None:
        from warehouse import wait_for_write_access

        target = Path(path or config.warehouse_path())
        wait_for_write_access(target)  # another process holding the file: wait, bounded
        con = duckdb.connect(str(target))
    try:
        return runner.run(
            con,
            as_of or date.today(),
            currency,
            empty_relation=empty_relation,
            prepare=[load_rates, load_vendor_settings, register],
        )
    finally:
        if own:
            con.close()
