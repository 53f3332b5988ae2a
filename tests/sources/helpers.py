"""Helpers shared by the source tests."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

Query = Callable[[str], list[tuple[Any, ...]]]


def raw_snapshot(
    query: Query, dataset: str, tables: Sequence[str]
) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of ``tables`` in ``dataset``, history included, without dlt's load bookkeeping."""
    out = {}
    for table in tables:
        cols = [
            r[0]
            for r in query(
                "select column_name from information_schema.columns where table_schema = "
                f"'{dataset}' and table_name = '{table}' and column_name not in "
                "('_dlt_id', '_dlt_load_id', '_dlt_parent_id') order by ordinal_position"
            )
        ]
        out[table] = query(f"select {', '.join(cols)} from {dataset}.{table} order by all")
    return out
