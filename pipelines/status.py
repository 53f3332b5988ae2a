"""What ``ledgerline status`` shows: per vendor, the last load, its age, rows and state."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import duckdb

from pipelines import config
from warehouse import scalar


def last_run_path():  # type: ignore[no-untyped-def]
    return config.home() / "last_run.json"


def record_run(results: dict[str, dict[str, Any]], failures: dict[str, str]) -> None:
    """Keep the outcome of the last sync for ``status`` (errors are one sentence, no secrets).

    Writes nothing when ``LEDGERLINE_HOME`` does not exist yet: a first run that failed (on
    configuration, say) leaves no trace, and its error was already reported.
    """
    if not config.home().is_dir():
        return
    path = last_run_path()
    previous: dict[str, Any] = {}
    if path.exists():
        try:
            previous = json.loads(path.read_text())
        except ValueError:
            previous = {}
    now = datetime.now(UTC).isoformat(timespec="seconds")
    for vendor, r in results.items():
        previous[vendor] = {
            "at": now,
            "ok": True,
            "rows": r.get("rows", 0),
            "requests": r.get("requests", 0),
        }
    for vendor, message in failures.items():
        previous[vendor] = {"at": now, "ok": False, "error": message}
    path.write_text(json.dumps(previous, indent=2, sort_keys=True))


def _age(ts: datetime | None) -> str:
    if ts is None:
        return "-"
    seconds = (datetime.now(UTC) - ts.astimezone(UTC)).total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit}"
    return f"{seconds:.0f} s"


def _state(vendor: str) -> str:
    path = config.pipelines_dir() / f"ledgerline_{vendor}" / "state.json"
    if not path.exists():
        return "-"
    try:
        state = json.loads(path.read_text())
    except ValueError:
        return "unreadable"
    marks = []
    for source in state.get("sources", {}).values():
        for name, rstate in source.get("resources", {}).items():
            for key, value in rstate.items():
                if isinstance(value, str | int | float):
                    marks.append(f"{name}.{key}={value}")
    return ", ".join(marks[:4]) or "-"


def collect() -> list[tuple[str, ...]]:
    """One row per vendor: vendor, last load, age, rows, state, last error."""
    runs: dict[str, Any] = {}
    if last_run_path().exists():
        try:
            runs = json.loads(last_run_path().read_text())
        except ValueError:
            runs = {}
    con = None
    if config.warehouse_path().exists():
        try:
            con = duckdb.connect(str(config.warehouse_path()), read_only=True)
        except duckdb.Error:
            con = None
    rows: list[tuple[str, ...]] = []
    for vendor in config.VENDORS:
        last, count = None, 0
        if con is not None:
            ds = config.dataset(vendor)
            try:
                last = scalar(
                    con, f'select max(inserted_at) from "{ds}"._dlt_loads where status = 0'
                )
                tables = con.execute(
                    "select table_name from duckdb_tables() where schema_name = ? and not starts_with(table_name, '_dlt')",
                    [ds],
                ).fetchall()
                for (t,) in tables:
                    count += scalar(con, f'select count(*) from "{ds}"."{t}"')
            except duckdb.Error:
                pass
        run = runs.get(vendor, {})
        error = "" if run.get("ok", True) else run.get("error", "")
        rows.append(
            (
                vendor,
                last.isoformat(timespec="seconds") if last else "never",
                _age(last),
                f"{count:,}",
                _state(vendor),
                error,
            )
        )
    if con is not None:
        con.close()
    return rows
