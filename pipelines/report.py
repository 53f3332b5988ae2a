"""Run summaries: what changed per table, and the aging summary, for people and artifacts."""

from __future__ import annotations

import importlib
from typing import Any

import duckdb

from pipelines import config
from warehouse import scalar


def _tables(vendor: str) -> tuple[list[str], set[str]]:
    helpers = importlib.import_module(f"sources.{vendor}.helpers")
    return sorted(helpers.RAW_TABLES), set(helpers.HISTORY_TABLES)


def table_state(con: duckdb.DuckDBPyConnection, vendor: str) -> dict[str, int]:
    """Live keys per raw table (history tables: current versions)."""
    names, history = _tables(vendor)
    out: dict[str, int] = {}
    for name in names:
        where = "where _dlt_valid_to is null" if name in history else ""
        try:
            out[name] = scalar(
                con, f'select count(*) from "{config.dataset(vendor)}"."{name}" {where}'
            )
        except duckdb.Error:
            out[name] = 0
    return out


def load_changes(
    con: duckdb.DuckDBPyConnection, vendor: str, load_ids: list[str], before: dict[str, int]
) -> dict[str, dict[str, int]]:
    """Rows new, changed and deleted per table by the given loads, plus rejected records."""
    names, history = _tables(vendor)
    after = table_state(con, vendor)
    ds = config.dataset(vendor)
    out: dict[str, dict[str, int]] = {}
    if not load_ids:
        return out
    ids = ", ".join(f"'{i}'" for i in load_ids)
    for name in names:
        try:
            loaded, deleted = con.execute(
                f"select count(*), count(*) filter (where coalesce(deleted_upstream, false)) "
                f'from "{ds}"."{name}" where _dlt_load_id in ({ids})'
            ).fetchone() or (0, 0)
        except duckdb.Error:
            continue
        new = max(0, after.get(name, 0) - before.get(name, 0))
        if name in history:
            new = scalar(
                con,
                f'select count(*) from "{ds}"."{name}" v where _dlt_load_id in ({ids}) and not exists '
                f'(select 1 from "{ds}"."{name}" p where p.id = v.id and p._dlt_valid_from < v._dlt_valid_from)',
            )
        out[name] = {"new": new, "changed": max(0, loaded - new - deleted), "deleted": deleted}
    try:
        rejected = scalar(
            con, f'select count(*) from "{ds}".rejected_records where _dlt_load_id in ({ids})'
        )
    except duckdb.Error:
        rejected = 0
    out["rejected_records"] = {"new": rejected, "changed": 0, "deleted": 0}
    try:  # the vendor changed the shape of its records (see marts.data_quality_issues)
        drifted = con.execute(
            f"select count(*) filter (where first_seen_at = last_seen_at), count(*) "
            f'from "{ds}".schema_changes where _dlt_load_id in ({ids})'
        ).fetchone()
    except duckdb.Error:
        drifted = None
    if drifted and drifted[1]:
        out["schema_changes"] = {
            "new": drifted[0],
            "changed": drifted[1] - drifted[0],
            "deleted": 0,
        }
    return out


def run_summary_markdown(
    results: dict[str, dict[str, Any]],
    failures: dict[str, str],
    seconds: float,
    transformed: dict[str, Any] | None,
) -> str:
    lines = [f"# ledgerline sync ({seconds:.1f} s)", ""]
    lines.append(
        "| vendor | requests | pages | rows | rejected | retries | waited (s) | extract (s) | load (s) |"
    )
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for vendor, r in results.items():
        lines.append(
            f"| {vendor} | {r.get('requests', 0)} | {r.get('pages', 0)} | {r.get('rows', 0)} | "
            f"{r.get('rejected', 0)} | {r.get('retries', 0)} | {r.get('waited_s', 0)} | "
            f"{r.get('extract_s', '')} | {r.get('load_s', '')} |"
        )
    lines += [
        "",
        "## Changes per table",
        "",
        "| vendor | table | new | changed | deleted |",
        "|---|---|---:|---:|---:|",
    ]
    for vendor, r in results.items():
        for table, c in sorted(r.get("changes", {}).items()):
            lines.append(f"| {vendor} | {table} | {c['new']} | {c['changed']} | {c['deleted']} |")
    if failures:
        lines += ["", "## Failures", ""] + [f"- **{v}**: {msg}" for v, msg in failures.items()]
    if transformed:
        lines += [
            "",
            f"Transforms rebuilt as of {transformed['as_of']} in {transformed['seconds']} s.",
        ]
    return "\n".join(lines) + "\n"


def aging_summary_rows(path: str | None = None) -> list[dict[str, Any]]:
    """Receivables aging totals by bucket and currency, read-only."""
    from warehouse import published_path

    target = path or str(published_path())
    try:
        con = duckdb.connect(target, read_only=True)
    except duckdb.Error:
        return []
    try:
        rows = con.execute(
            'select currency, "current", "1-30", "31-60", "61-90", "91-120", "120+", total, open_items '
            "from marts.receivables_aging where is_total order by is_converted desc, currency"
        ).fetchall()
    except duckdb.Error:
        return []
    finally:
        con.close()
    keys = [
        "currency",
        "current",
        "1-30",
        "31-60",
        "61-90",
        "91-120",
        "120+",
        "total",
        "open_items",
    ]
    return [
        {
            k: (str(v) if k not in ("currency", "open_items") else v)
            for k, v in zip(keys, row, strict=True)
        }
        for row in rows
    ]
