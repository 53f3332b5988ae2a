"""Helpers shared by the source tests."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from pipelines.sync import VendorResult
from sandbox.server import Sandbox

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


def without_and_with_faults(
    make_sandbox: Callable[..., Sandbox],
    point_at: Callable[[Sandbox], None],
    homes: Path,
    monkeypatch: pytest.MonkeyPatch,
    run: Callable[[], VendorResult],
    snapshot: Callable[[Path], Any],
    days: int = 2,
    **sandbox: Any,
) -> None:
    """The same world synced twice, into two homes: without faults, then through the flaky profile.

    Each time a full run, then, ``days`` later, an incremental one. The flaky vendor answers with
    5xx, 429 with Retry-After, resets and slow answers; the two warehouses must be the same, and
    only the flaky one needed retries.
    """
    snapshots, retries = [], []
    for faults in ("none", "flaky"):
        home = homes / faults
        monkeypatch.setenv("LEDGERLINE_HOME", str(home))
        sb = make_sandbox(faults=faults, **sandbox)
        point_at(sb)
        first = run()
        sb.advance(days)
        second = run()
        snapshots.append(snapshot(home))
        retries.append(first.stats.retries + second.stats.retries)
    assert retries[0] == 0 and retries[1] > 0
    assert snapshots[1] == snapshots[0]
