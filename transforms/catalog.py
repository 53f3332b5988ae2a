"""What each vendor's raw tables look like, from the sources' own table specs.

A vendor that was never synced has no raw tables; staging models then read an empty relation
with exactly the columns and types a sync would create, so every model still builds.
"""

from __future__ import annotations

import importlib

import pyarrow as pa

from sources.records import REJECTED_TABLE, SCHEMA_CHANGES_TABLE, Table
from sources.sync import DELETED_UPSTREAM

_DUCK = {
    pa.string(): "varchar",
    pa.int64(): "bigint",
    pa.bool_(): "boolean",
    pa.date32(): "date",
}


def duck_type(t: pa.DataType) -> str:
    if pa.types.is_decimal(t):
        return f"decimal({t.precision}, {t.scale})"
    if pa.types.is_timestamp(t):
        return "timestamptz"
    return _DUCK[t]


def raw_table(vendor: str, table: str) -> tuple[Table, bool]:
    """The spec of one raw table and whether it keeps history (scd2)."""
    for written_by_every_source in (REJECTED_TABLE, SCHEMA_CHANGES_TABLE):
        if table == written_by_every_source.name:
            return written_by_every_source, False
    helpers = importlib.import_module(f"sources.{vendor}.helpers")
    try:
        spec = helpers.RAW_TABLES[table]
    except KeyError:
        raise KeyError(f"sources.{vendor} writes no raw table {table!r}") from None
    return spec, table in helpers.HISTORY_TABLES


def empty_relation(vendor: str, table: str) -> str:
    """SQL for an empty relation shaped like ``raw_<vendor>.<table>``."""
    spec, history = raw_table(vendor, table)
    cols = [f'null::{duck_type(f.type)} as "{f.name}"' for f in spec.schema]
    if table not in (REJECTED_TABLE.name, SCHEMA_CHANGES_TABLE.name):
        cols.append(f"null::boolean as {DELETED_UPSTREAM}")
    if history:
        cols += ["null::timestamptz as _dlt_valid_from", "null::timestamptz as _dlt_valid_to"]
    cols += ["null::varchar as _dlt_load_id", "null::varchar as _dlt_id"]
    return f"(select {', '.join(cols)} where false)"
