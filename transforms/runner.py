"""A small model runner: SQL files in layers, dependencies read from the SQL, one transaction.

Layers and what they become:

- ``staging/``: one view per raw table (rename, cast, map vendor codes). The only place raw
  tables are read, always as ``{{ source('vendor', 'table') }}``; a vendor that was never
  synced reads as an empty relation of the right shape, so the model still builds.
- ``intermediate/``: views.
- ``core/`` and ``marts/``: tables, rebuilt on every run.

A model may ask for another materialization than its layer's with a comment line:
``-- materialized: table``, ``-- materialized: view``, or ``-- materialized: temp`` for a heavy
intermediate that several models read: the build computes it once, into a temporary table that
the later models of the same build read (nothing written to the warehouse file), and the
warehouse keeps the model as a view, so its name stays queryable. Views that read a ``temp``
model get a temporary twin during the build too, so nothing is recomputed behind a view.

A model refers to another as ``<layer>.<name>``; those references are the dependency graph, so
nothing keeps a hand-written order. Parameters live in ``core.parameters`` (``as_of_date``,
``reporting_currency``) so every mart can say what it was built for.
"""

from __future__ import annotations

import graphlib
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from pipelines import crashpoints
from warehouse import scalar

ROOT = Path(__file__).parent
LAYERS = ("staging", "intermediate", "core", "marts")
MATERIALIZED = {"staging": "view", "intermediate": "view", "core": "table", "marts": "table"}
# Relations the build's prepare steps create before any model runs.
PROVIDED = {"core.parameters", "core.fx_rates", "core.vendor_settings", "core.vendor_codes"}
_REF = re.compile(r"\b(staging|intermediate|core|marts)\.([a-z_][a-z0-9_]*)\b")
_SOURCE = re.compile(r"\{\{\s*source\(\s*'(\w+)'\s*,\s*'(\w+)'\s*\)\s*\}\}")
_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.S)
# A model may ask for another materialization than its layer's: ``-- materialized: table``.
_MATERIALIZED = re.compile(r"^--\s*materialized:\s*(table|view|temp)\b", re.M)


class ModelError(Exception):
    """A model failed to build; names the model."""


@dataclass
class Model:
    layer: str
    name: str
    path: Path
    sql: str
    deps: set[str] = field(default_factory=set)
    sources: set[tuple[str, str]] = field(default_factory=set)

    @property
    def key(self) -> str:
        return f"{self.layer}.{self.name}"

    @property
    def materialized(self) -> str:
        """``view``, ``table`` or ``temp``: the layer's default unless the SQL says otherwise."""
        m = _MATERIALIZED.search(self.sql)
        return m.group(1) if m else MATERIALIZED[self.layer]


def load_models(root: Path = ROOT) -> dict[str, Model]:
    """Every model under ``root``, with dependencies parsed from its SQL."""
    models: dict[str, Model] = {}
    for layer in LAYERS:
        for path in sorted((root / layer).glob("*.sql")):
            sql = path.read_text()
            body = _COMMENT.sub(" ", sql)
            m = Model(layer, path.stem, path, sql)
            m.deps = {f"{a}.{b}" for a, b in _REF.findall(body)} - {m.key}
            m.sources = set(_SOURCE.findall(body))
            models[m.key] = m
    for m in models.values():
        missing = {d for d in m.deps if d not in models and d not in PROVIDED}
        if missing:
            raise ModelError(
                f"{m.key} refers to {', '.join(sorted(missing))}, which no model defines"
            )
    return models


def build_order(models: dict[str, Model]) -> list[Model]:
    graph = {k: {d for d in m.deps if d in models} for k, m in models.items()}
    try:
        order = list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        raise ModelError(
            f"models depend on each other in a cycle: {' -> '.join(exc.args[1])}"
        ) from None
    return [models[k] for k in order]


def existing_tables(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str]]:
    rows = con.execute("select schema_name, table_name from duckdb_tables()").fetchall()
    rows += con.execute(
        "select schema_name, view_name from duckdb_views() where not internal"
    ).fetchall()
    return {(s, t) for s, t in rows}


def render(
    model: Model, present: set[tuple[str, str]], empty_relation: Callable[[str, str], str]
) -> str:
    """The model's SQL with each ``source()`` resolved to a raw table or an empty relation."""

    def sub(m: re.Match[str]) -> str:
        vendor, table = m.group(1), m.group(2)
        if (f"raw_{vendor}", table) in present:
            return f'"raw_{vendor}"."{table}"'
        return empty_relation(vendor, table)

    return _SOURCE.sub(sub, model.sql)


def twin_name(key: str) -> str:
    """Where the build keeps its own copy of model ``key`` (a temporary table or view)."""
    layer, name = key.split(".")
    return f"temp.main.{layer}__{name}"


def build_twins(order: list[Model]) -> set[str]:
    """Models the build reads from a temporary twin: ``temp`` models, and the views that read one."""
    twins: set[str] = set()
    for m in order:
        if m.materialized == "temp" or (m.materialized == "view" and m.deps & twins):
            twins.add(m.key)
    return twins


def to_twins(sql: str, twins: set[str]) -> str:
    """``sql`` reading the build's twins instead of the warehouse's views."""
    if not twins:
        return sql
    return _REF.sub(lambda r: twin_name(r.group(0)) if r.group(0) in twins else r.group(0), sql)


def _drop(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> None:
    """Drop whatever stands at ``schema.name`` (a view or a table) before rebuilding it."""
    is_view = scalar(
        con,
        "select count(*) from duckdb_views() where schema_name = ? and view_name = ?",
        [schema, name],
    )
    con.execute(f"drop {'view' if is_view else 'table'} if exists {schema}.{name}")


@dataclass
class RunResult:
    as_of: date
    currency: str
    models: list[tuple[str, float, int | None]]  # key, seconds, rows (tables only)
    seconds: float


def run(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    currency: str = "EUR",
    *,
    empty_relation: Callable[[str, str], str],
    prepare: Iterable[Callable[[duckdb.DuckDBPyConnection], None]] = (),
    select: set[str] | None = None,
    root: Path = ROOT,
) -> RunResult:
    """Build every model (or ``select``) in dependency order, in one transaction.

    ``prepare`` callables run first inside the same transaction (loading reference data such
    as exchange rates). Nothing is visible to readers until the whole build has succeeded.
    """
    models = load_models(root)
    order = build_order(models)
    if select is not None:
        order = [m for m in order if m.key in select]
    t0 = time.perf_counter()
    timings: list[tuple[str, float, int | None]] = []
    con.execute("begin transaction")
    try:
        for layer in LAYERS:
            con.execute(f"create schema if not exists {layer}")
        # round(n / d) half away from zero, in exact integer arithmetic
        con.execute(
            "create or replace macro round_div(n, d) as "
            "sign(n) * sign(d) * ((2 * abs(n) + abs(d)) // (2 * abs(d)))"
        )
        # round(x * c / g), the same rounding: x itself when c = g, 0 when c = 0 (no division)
        con.execute(
            "create or replace macro share_of(x, c, g) as "
            "case when c = g then x when c = 0 then 0 else round_div(cast(x as hugeint) * c, g) end"
        )
        con.execute(
            "create or replace table core.parameters as "
            "select ?::date as as_of_date, ?::varchar as reporting_currency, now() as built_at",
            [as_of, currency],
        )
        for step in prepare:
            step(con)
        present = existing_tables(con)
        twins = build_twins(order)
        for m in order:
            started = time.perf_counter()
            kind = m.materialized
            sql = render(m, present, empty_relation)
            rows: int | None = None
            try:
                _drop(con, m.layer, m.name)
                if m.key in twins:
                    # the build's copy first (reading the other twins), then the warehouse's view
                    twin = twin_name(m.key)
                    twin_kind = "table" if kind == "temp" else "view"
                    con.execute(
                        f"create or replace temp {twin_kind} {twin} as\n{to_twins(sql, twins)}"
                    )
                    con.execute(f"create view {m.key} as\n{sql}")
                    if kind == "temp":
                        rows = scalar(con, f"select count(*) from {twin}")
                else:
                    con.execute(f"create {kind} {m.key} as\n{to_twins(sql, twins)}")
                    if kind == "table":
                        rows = scalar(con, f"select count(*) from {m.key}")
            except duckdb.Error as exc:
                raise ModelError(f"model {m.key} ({m.path.name}) failed: {exc}") from None
            timings.append((m.key, time.perf_counter() - started, rows))
            crashpoints.reached("transform.model")  # a test hook: nothing unless asked for
        for m in reversed(order):  # the twins are the build's own: none outlives it
            if m.key in twins:
                twin_kind = "table" if m.materialized == "temp" else "view"
                con.execute(f"drop {twin_kind} {twin_name(m.key)}")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return RunResult(as_of, currency, timings, time.perf_counter() - t0)
