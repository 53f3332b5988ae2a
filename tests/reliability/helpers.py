"""What the reliability tests share: warehouse snapshots, their differences, CLI runs."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from pipelines import config

ROOT = Path(__file__).resolve().parents[2]
# Columns that differ between two runs that loaded the same data: dlt's load and row ids, and
# when the models were built. Everything else (validity ranges, observed times) comes from the
# sandbox clock and must be equal.
VOLATILE = frozenset({"_dlt_load_id", "_dlt_id", "built_at"})
NUMERIC = ("DECIMAL", "BIGINT", "INTEGER", "HUGEINT", "DOUBLE", "SMALLINT", "UBIGINT")


@dataclass
class TableSnapshot:
    """One table's rows (volatile columns left out, sorted) and the sum of each numeric column."""

    columns: list[str]
    rows: list[tuple[Any, ...]]
    sums: dict[str, Any] = field(default_factory=dict)


def snapshot(
    path: Path, schemas: tuple[str, ...] = ("raw", "core", "marts")
) -> dict[str, TableSnapshot]:
    """Every raw table (``raw_<vendor>``, dlt's own tables left out) and every core and mart
    table of the warehouse at ``path``."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where not starts_with(table_name, '_dlt') order by all"
        ).fetchall()
        out: dict[str, TableSnapshot] = {}
        for schema, table in tables:
            layer = "raw" if schema.startswith("raw_") else schema
            if layer not in schemas or schema.endswith("_staging"):  # dlt's merge scratch space
                continue
            cols = con.execute(
                "select column_name, data_type from duckdb_columns() where schema_name = ? and table_name = ? "
                "order by column_index",
                [schema, table],
            ).fetchall()
            keep = [(c, t) for c, t in cols if c not in VOLATILE]
            names = ", ".join(f'"{c}"' for c, _ in keep)
            rows = con.execute(f'select {names} from "{schema}"."{table}" order by all').fetchall()
            numeric = [c for c, t in keep if t.upper().startswith(NUMERIC)]
            sums: dict[str, Any] = {}
            if numeric:
                values = con.execute(
                    "select "
                    + ", ".join(f'sum("{c}")' for c in numeric)
                    + f' from "{schema}"."{table}"'
                ).fetchone()
                assert values is not None
                sums = dict(zip(numeric, values, strict=True))
            out[f"{schema}.{table}"] = TableSnapshot([c for c, _ in keep], rows, sums)
        return out
    finally:
        con.close()


def differences(
    got: Mapping[str, TableSnapshot], want: Mapping[str, TableSnapshot], limit: int = 12
) -> list[str]:
    """What differs between two snapshots, table by table: missing tables, row counts, sums,
    then rows lost or duplicated (empty when the warehouses are identical)."""
    out: list[str] = []
    for name in sorted(set(got) | set(want)):
        if name not in got:
            out.append(f"{name}: missing")
            continue
        if name not in want:
            out.append(f"{name}: not expected")
            continue
        g, w = got[name], want[name]
        if g.columns != w.columns:
            out.append(f"{name}: columns {g.columns} != {w.columns}")
            continue
        if g.rows == w.rows:
            continue
        line = f"{name}: {len(g.rows)} rows, expected {len(w.rows)}"
        sums = {c: (g.sums[c], w.sums[c]) for c in w.sums if g.sums.get(c) != w.sums[c]}
        if sums:
            line += f"; sums differ {sums}"
        lost = _multiset_minus(w.rows, g.rows)
        extra = _multiset_minus(g.rows, w.rows)
        line += f"; {len(lost)} lost (e.g. {lost[:1]}), {len(extra)} duplicated or unexpected (e.g. {extra[:1]})"
        out.append(line)
        if len(out) >= limit:
            break
    return out


def assert_same(
    got: Mapping[str, TableSnapshot], want: Mapping[str, TableSnapshot], when: str = ""
) -> None:
    """Fail with every difference, one per line, unless the two snapshots are identical."""
    diffs = differences(got, want)
    assert not diffs, (when + ":\n" if when else "") + "\n".join(diffs)


def _multiset_minus(a: list[tuple[Any, ...]], b: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    counts: dict[str, int] = {}
    for row in b:
        counts[repr(row)] = counts.get(repr(row), 0) + 1
    out = []
    for row in a:
        if counts.get(repr(row), 0):
            counts[repr(row)] -= 1
        else:
            out.append(row)
    return out


def money_total(snap: Mapping[str, TableSnapshot]) -> Decimal:
    """The sum of every numeric column of every table (a quick fingerprint for messages)."""
    total = Decimal(0)
    for t in snap.values():
        for v in t.sums.values():
            if isinstance(v, int | Decimal):
                total += Decimal(v)
    return total


# ----------------------------------------------------------------------------- the CLI


def cli_env(home: Path, base: Mapping[str, str] | None = None, **extra: str) -> dict[str, str]:
    """The environment of a ``ledgerline`` subprocess: this checkout importable from any working
    directory, no telemetry, ``LEDGERLINE_HOME`` set, plus ``base`` (a sandbox's variables)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SOURCES__", "LEDGERLINE_", "PYTEST_", "PREFECT_"))
    }
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "RUNTIME__DLTHUB_TELEMETRY": "false",
            "DO_NOT_TRACK": "1",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            config.HOME_ENV: str(home),
            "COLUMNS": "200",
        }
    )
    env.update(base or {})
    env.update(extra)
    return env


def run_cli(
    args: list[str], env: Mapping[str, str], cwd: Path | None = None, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m pipelines.cli <args>`` and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *args],
        env=dict(env),
        cwd=str(cwd or ROOT),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def error_sentence(stderr: str) -> str:
    """The CLI's error message (``error: ...``), its wrapped lines joined."""
    text = " ".join(stderr.split())
    start = text.rfind("error:")
    assert start >= 0, f"no error message in: {stderr[-2000:]}"
    return text[start + len("error:") :].strip()
