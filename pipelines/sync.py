"""Run the vendor sources into the warehouse: extract concurrently, load one at a time.

Each vendor has its own dlt pipeline (its own state and ``raw_<vendor>`` dataset) writing into
the one DuckDB file. Extraction, which waits on the network, runs for all vendors at once;
normalize and load run one vendor after another. A load package left
behind by a crash is finished before anything new is extracted.

Nothing is written before the vendor has answered: the source is built (its configuration
resolved, its first request made) before the pipeline's state directory is created, so a run
with missing or wrong credentials or an unreachable host leaves no trace in ``LEDGERLINE_HOME``.
Watermarks live in dlt state, which dlt commits with the load package that carries the data: a
crash before the load finishes leaves the package pending, and the next run loads it first.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any, TypeVar

import dlt
import duckdb
import pandas  # noqa: F401  (imported up front: first imports racing in extract threads fail)
import pyarrow
from dlt.common.configuration import configspec
from dlt.common.configuration.exceptions import ConfigFieldMissingException
from dlt.common.configuration.providers.toml import TomlProviderReadException
from dlt.common.destination import TLoaderFileFormat
from dlt.common.schema.exceptions import DataValidationError
from dlt.destinations.exceptions import DatabaseUndefinedRelation
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

import warehouse
from pipelines import config, crashpoints, report
from pipelines.progress import new_stats
from sources import rescan
from sources.http import AuthError, SourceError, SyncStats, TransientError

T = TypeVar("T")
log = logging.getLogger("ledgerline.sync")
LOAD_LOCK = threading.Lock()  # one writer of the DuckDB file per process
LOADER_FILE_FORMAT: TLoaderFileFormat = (
    "parquet"  # dlt's insert_values default is about 7x slower here
)

CREDENTIALS = {
    "baloom": ("SOURCES__BALOOM__BASE_URL", "SOURCES__BALOOM__API_KEY"),
    "katsu": ("SOURCES__KATSU__BASE_URL", "SOURCES__KATSU__TOKEN"),
    "ibana": ("SOURCES__IBANA__BASE_URL", "SOURCES__IBANA__TOKEN"),
    "wuro": ("SOURCES__WURO__APP_ID", "SOURCES__WURO__APP_SECRET"),
    "hoursmith": ("SOURCES__HOURSMITH__TOKEN",),
}


class SyncFailed(Exception):
    """A vendor's sync failed; the message says what to do.

    ``retryable`` is False for problems another attempt cannot fix (credentials, configuration,
    a warehouse file held open past the wait).
    """

    def __init__(self, message: str, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable

    @classmethod
    def of(cls, vendor: str, exc: BaseException) -> SyncFailed:
        """The failure ``exc`` of ``vendor``'s sync, explained in one sentence."""
        return cls(explain(vendor, exc), retryable=not is_permanent(exc))


def is_permanent(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) is a problem retrying cannot fix."""
    permanent = (
        AuthError,
        ConfigFieldMissingException,
        TomlProviderReadException,
        config.ConfigProblem,
        warehouse.WarehouseLocked,
    )
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if (
            isinstance(cur, (*permanent, DataValidationError))
            or isinstance(cur, SyncFailed)
            and not cur.retryable
        ):
            return True
        if isinstance(cur, TransientError) and cur.unreachable:
            return True
        cur = cur.__cause__ or cur.__context__
    return False


@dataclass
class VendorResult:
    vendor: str
    stats: SyncStats
    seconds: float = 0.0
    error: str | None = None
    load_ids: list[str] = field(default_factory=list)
    changes: dict[str, dict[str, int]] = field(default_factory=dict)
    resumed: bool = False


def source_factory(vendor: str) -> Callable[..., Any]:
    module = importlib.import_module(f"sources.{vendor}")
    return getattr(module, f"{vendor}_source")


def pipeline_name(vendor: str) -> str:
    return f"ledgerline_{vendor}"


FILE_MAX_ROWS = 10_000
# DuckDB's buffer pool would otherwise grow with the warehouse (up to 80% of RAM): a load's
# peak memory stays flat as data grows, and larger joins and sorts spill to disk (next to the
# warehouse file). A load and the checkpoint after it fill the pool to its limit once the
# tables are large: at 100,000 invoices per vendor the full sync peaked at 582-626 MB with
# 128 MB and 512-531 MB with 64 MB, whose loads took about 3 s longer (of 17 s); at 10,000
# both peaked at 388-419 MB. Inserts need not keep row order (raw tables are read by key),
# which lets DuckDB stream them instead of buffering. LEDGERLINE_LOAD_MEMORY_LIMIT raises the
# limit for machines with memory to spare (fewer spills on very large loads).
LOADER_DUCKDB_CONFIG = {
    "memory_limit": os.environ.get("LEDGERLINE_LOAD_MEMORY_LIMIT", "64MB"),
    "preserve_insertion_order": False,
}


@configspec(init=False)
class WarehouseCredentials(DuckDbCredentials):
    """The warehouse file's DuckDB credentials, named by its path.

    dlt renders credentials as SQLAlchemy URLs: showing them (each load's step info does)
    imported SQLAlchemy, 0.3 s of interpreter time in the middle of every sync's first load.
    A DuckDB file has no password or query to hide; its URL is the path.
    """

    def __str__(self) -> str:
        return f"duckdb:///{self.database}"


def make_pipeline(vendor: str) -> dlt.Pipeline:
    """The vendor's dlt pipeline; creates ``LEDGERLINE_HOME`` and its state directory if missing."""
    config.ensure_home()
    # every row records the load that wrote it: run summaries count changes per load
    dlt.config["normalize.parquet_normalizer.add_dlt_load_id"] = True
    # bounded files: normalize and load hold one file at a time, so memory stays flat with data
    dlt.config["data_writer.file_max_items"] = FILE_MAX_ROWS
    # one load job at a time: DuckDB parallelizes each job itself, and parallel jobs only add
    # memory (each holds its own decoded row groups and merge state)
    dlt.config["load.workers"] = 1
    # the path is set, not passed: dlt parses a passed string as a URL with SQLAlchemy, whose
    # import (0.2 s) then delayed every sync's start
    credentials = WarehouseCredentials(global_config=LOADER_DUCKDB_CONFIG)
    credentials.database = str(config.warehouse_path())
    # resolved here, dlt uses them as they are (unresolved, it copies them into its own class)
    credentials.resolve()
    return dlt.pipeline(
        pipeline_name=pipeline_name(vendor),
        destination=dlt.destinations.duckdb(credentials),
        dataset_name=config.dataset(vendor),
        pipelines_dir=str(config.pipelines_dir()),
        progress=crashpoints.collector(),
    )


def existing_pipeline(vendor: str) -> dlt.Pipeline | None:
    """The vendor's pipeline if an earlier run created it, else None (and nothing is created)."""
    if not (config.pipelines_dir() / pipeline_name(vendor)).is_dir():
        return None
    return make_pipeline(vendor)


class Reader:
    """Read access to what the warehouse already holds, for a source's lookups.

    Bound to its pipeline once that exists (a first run creates it only after the source has
    been built); before that, and before the first load, there is nothing to read. Lookups of
    all vendors share one connection to the warehouse, opened by the first and closed when the
    last extract is done (:meth:`session`): a lookup costs milliseconds and never waits for
    another vendor's load (DuckDB reads a committed snapshot).
    """

    _con: duckdb.DuckDBPyConnection | None = None
    _users = 0
    _lock = threading.Lock()
    # held by every lookup, and by :func:`release_memory` while it shrinks the buffer pool
    reading = threading.Lock()

    def __init__(self, pipeline: dlt.Pipeline | None = None) -> None:
        self.pipeline = pipeline

    def __call__(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        if self.pipeline is None or not config.warehouse_path().exists():
            return []
        return self._run(lambda cur: cur.execute(sql, list(params)).fetchall())

    def pairs(self, sql: str, params: Sequence[Any]) -> dict[Any, Any]:
        """A query of two columns as a dict of the first to the second.

        Read column-wise: a lookup of 100,000 keys takes half the time it takes as rows.
        """
        if self.pipeline is None or not config.warehouse_path().exists():
            return {}

        def read(cur: duckdb.DuckDBPyConnection) -> dict[Any, Any]:
            columns = list(cur.execute(sql, list(params)).fetchnumpy().values())
            return dict(zip(columns[0].tolist(), columns[1].tolist(), strict=True))

        return self._run(read)

    def arrow(self, sql: str) -> pyarrow.Table | None:
        """A query's result as an Arrow table (None before the first load).

        Read and converted without the interpreter: the versions of a 100,000-record table
        come in ~15 ms, and the page worker takes them as they are (see ``sources.rescan``).
        """
        if self.pipeline is None or not config.warehouse_path().exists():
            return None
        return self._run(lambda cur: cur.sql(sql).to_arrow_table())

    def _run(self, read: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        try:
            return self._query(read)
        except duckdb.CatalogException as exc:
            raise DatabaseUndefinedRelation(exc) from None
        except Exception as exc:
            if warehouse.lock_holder(exc) is None:
                raise
        with LOAD_LOCK:
            warehouse.wait_for_write_access()  # another process holds the file: wait, bounded
        return self._query(read)

    @classmethod
    @contextlib.contextmanager
    def session(cls) -> Iterator[None]:
        """Keep the shared connection for the extracts running inside (closed by the last)."""
        with cls._lock:
            cls._users += 1
        try:
            yield
        finally:
            with cls._lock:
                cls._users -= 1
                if cls._users == 0 and cls._con is not None:
                    cls._con.close()
                    cls._con = None

    @classmethod
    @contextlib.contextmanager
    def holding(cls) -> Iterator[None]:
        """Keep the warehouse open inside, connection or not.

        dlt opens and closes a connection for each load job; closing the process's last one
        closes the database, which checkpoints it (writes the log into the file). Held open,
        a load checkpoints once, when it is done, not once per job.
        """
        with cls.session():
            cls._cursor().close()
            yield

    @classmethod
    def _cursor(cls) -> duckdb.DuckDBPyConnection:
        with cls._lock:
            if cls._con is None:
                # opened as dlt opens it: one process shares one DuckDB instance per file
                con = duckdb.connect(str(config.warehouse_path()))
                con.execute("set TimeZone = 'UTC'")
                cls._con = con
            return cls._con.cursor()

    def _query(self, read: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        with Reader.reading:
            cur = self._cursor()
            try:
                return read(cur)
            finally:
                cur.close()


def explain(vendor: str, exc: BaseException) -> str:
    """One sentence saying what went wrong and what to do, without a stack trace or secret."""
    holder = warehouse.lock_holder(exc)
    if holder is not None:
        return warehouse.locked_message(config.warehouse_path(), holder)
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, SourceError | config.ConfigProblem | warehouse.WarehouseUnavailable):
            return str(cur)
        if isinstance(cur, ConfigFieldMissingException):
            missing = [f"SOURCES__{vendor.upper()}__{f.upper()}" for f in cur.fields]
            names = " and ".join(missing or CREDENTIALS.get(vendor, ()))
            return f"{vendor} is not configured: set {names} (in the environment or in .dlt/secrets.toml)."
        if isinstance(cur, TomlProviderReadException):
            return config.toml_problem(cur.file_name, cur.full_paths)
        if isinstance(cur, DataValidationError):
            what = f"column {cur.column_name}" if cur.column_name else "its columns"
            return (
                f"{vendor}: the load would change the {cur.schema_entity} of raw table "
                f"{config.dataset(vendor)}.{cur.table_name} ({what}), which its schema contract refuses: "
                "if a new ledgerline version changed the table on purpose, run `dlt pipeline --pipelines-dir "
                f"{config.pipelines_dir()} {pipeline_name(vendor)} drop-pending-packages`, then "
                f"`ledgerline sync --source {vendor} --full-refresh` (docs/guarantees.md)."
            )
        cur = cur.__cause__ or cur.__context__
    return f"{vendor} sync failed: {type(exc).__name__}: {exc}".splitlines()[0][:300]


def finish_pending(pipeline: dlt.Pipeline | None) -> bool:
    """Normalize and load whatever a previous, interrupted run left behind."""
    if pipeline is None or not pipeline.has_pending_data:
        return False
    log.info("%s: finishing the work an interrupted run left behind", pipeline.pipeline_name)
    normalize(pipeline)
    with LOAD_LOCK:
        warehouse.wait_for_write_access()
        crashpoints.reached("load.start")
        pipeline.load()
    return True


def build_source(
    vendor: str, stats: SyncStats, full_refresh: bool, workers: int, reader: Reader
) -> Any:
    """The vendor's dlt source: resolves its configuration and makes its first request."""
    stats.listeners.append(crashpoints.page_listener())
    factory = source_factory(vendor)
    return factory(
        full_refresh=full_refresh,
        stats=stats,
        reader=reader,
        workers=workers,
        dataset=config.dataset(vendor),
    )


def extract(
    vendor: str, pipeline: dlt.Pipeline | None, stats: SyncStats, full_refresh: bool, workers: int
) -> dlt.Pipeline:
    """Extract one vendor into a new load package; returns its pipeline.

    With ``pipeline`` None (a first run), the pipeline is created only once the source has been
    built, so a configuration or network problem writes nothing.
    """
    reader = Reader(pipeline)
    if pipeline is not None:
        drop_child_keys(pipeline)
    with Reader.session():
        source = build_source(vendor, stats, full_refresh, workers, reader)
        if pipeline is None:
            pipeline = reader.pipeline = make_pipeline(vendor)
        pipeline.extract(source, loader_file_format=LOADER_FILE_FORMAT)
    return pipeline


def normalize(pipeline: dlt.Pipeline) -> None:
    """Normalize the extracted package, if any (it writes the pipeline's files, not the warehouse)."""
    if pipeline.list_extracted_load_packages():
        crashpoints.reached("normalize.start")
        pipeline.normalize()


def drop_child_keys(pipeline: dlt.Pipeline) -> None:
    """Drop the primary keys that warehouses made by earlier versions keep on child tables.

    A child table (lines, payments) is merged on its parent's key alone (see
    :func:`sources.sync.child`); a stored primary key of (parent, line number) would make every
    merge a nested-loop join. dlt keeps stored keys when hints stop naming them, so they are
    cleared here, in the pipeline's schema, before the extract that writes the next package.
    """
    for schema in pipeline.schemas.values():
        for table in schema.tables.values():
            columns = table.get("columns", {})
            merge = {c for c, col in columns.items() if col.get("merge_key")}
            keys = {c for c, col in columns.items() if col.get("primary_key")}
            if merge and merge < keys:
                for name in keys:
                    columns[name]["primary_key"] = False


def load(
    pipeline: dlt.Pipeline, vendor: str | None = None
) -> tuple[list[str], dict[str, dict[str, int]]]:
    """Normalize and load the extracted package; returns load ids and changes per table."""
    normalize(pipeline)
    with LOAD_LOCK:
        warehouse.wait_for_write_access()  # before opening: another process may hold the file
        with Reader.holding():
            before = _state(pipeline, vendor) if vendor else {}
            crashpoints.reached("load.start")
            info = pipeline.load()
            load_ids = list(info.loads_ids)
            changes: dict[str, dict[str, int]] = {}
            if vendor:
                with pipeline.sql_client() as client:
                    changes = report.load_changes(
                        client.native_connection, vendor, load_ids, before
                    )
                    release_memory(client.native_connection)
    return load_ids, changes


def release_memory(con: duckdb.DuckDBPyConnection) -> None:
    """Empty DuckDB's buffer pool of the blocks a load left cached.

    The process keeps the warehouse open while other vendors extract, and cached blocks would
    otherwise fill the pool up to its limit: peak memory would grow with the warehouse. Shrinking
    the limit evicts them; lookups wait meanwhile, so none runs short of memory.
    """
    with Reader.reading:
        limit = warehouse.scalar(con, "select current_setting('memory_limit')")
        try:
            con.execute("set global memory_limit = '16MB'")
        except duckdb.Error as exc:  # blocks still in use: they stay cached
            log.debug("could not empty the buffer pool: %s", exc)
        finally:
            con.execute(f"set global memory_limit = '{limit}'")


def _state(pipeline: dlt.Pipeline, vendor: str) -> dict[str, int]:
    try:
        with pipeline.sql_client() as client:
            return report.table_state(client.native_connection, vendor)
    except Exception:  # nothing loaded yet
        return {}


def use_system_allocator() -> None:
    """Let Arrow allocate through the C library, unless ``ARROW_DEFAULT_MEMORY_POOL`` chooses.

    Arrow's default pool (mimalloc) keeps the pages of freed buffers: a full sync peaked at
    482-495 MB RSS with it at 10,000 invoices per vendor and at 689-734 MB at 100,000, against
    401-414 MB and 621-630 MB with the system allocator, in the same time.
    """
    if not os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        pyarrow.set_memory_pool(pyarrow.system_memory_pool())


# Container allocations between collections of the youngest generation while a sync runs (the
# interpreter's default is 700). See :func:`collections_spaced`.
SYNC_GC_THRESHOLD = (10_000, 10, 10)


@contextlib.contextmanager
def collections_spaced() -> Iterator[None]:
    """Inside: the cyclic garbage collector runs rarely and skips what existed before.

    A sync allocates containers by the million (decoded records, dlt's schema copies), almost
    all freed by reference counting; but at the default thresholds the collector ran hundreds
    of times per incremental sync, and each full collection walked every module, class and
    function (127,000 objects) besides: 0.5-0.7 s of an incremental run at 100,000 invoices per
    vendor went to it, with every thread of the sync stopped meanwhile. With what existed before
    the sync frozen (:func:`gc.freeze`) and collections ~14 times rarer, 0.10-0.12 s. The
    thresholds and the frozen objects are given back afterwards, so a notebook or a Prefect
    worker running syncs keeps its own settings.
    """
    with _GC_LOCK:
        _gc_spaced["users"] += 1
        if _gc_spaced["users"] == 1:  # of syncs running at once, the first sets, the last restores
            _gc_spaced["before"] = gc.get_threshold()
            gc.freeze()
            gc.set_threshold(*SYNC_GC_THRESHOLD)
    try:
        yield
    finally:
        with _GC_LOCK:
            _gc_spaced["users"] -= 1
            if _gc_spaced["users"] == 0:
                gc.set_threshold(*_gc_spaced["before"])
                gc.unfreeze()


_GC_LOCK = threading.Lock()
_gc_spaced: dict[str, Any] = {"users": 0, "before": gc.get_threshold()}


def sync(
    vendors: Sequence[str] = config.VENDORS,
    *,
    full_refresh: bool = False,
    workers: int = 8,
    on_stats: Callable[[SyncStats], None] | None = None,
) -> list[VendorResult]:
    """Sync ``vendors``: extract concurrently, then load each as soon as its extract is done."""
    unknown = [v for v in vendors if v not in config.VENDORS]
    if unknown:
        raise SyncFailed(f"unknown source {unknown[0]!r}: choose from {', '.join(config.VENDORS)}.")
    with collections_spaced():
        return _sync(vendors, full_refresh, workers, on_stats)


def _sync(
    vendors: Sequence[str],
    full_refresh: bool,
    workers: int,
    on_stats: Callable[[SyncStats], None] | None,
) -> list[VendorResult]:
    config.check_home()
    use_system_allocator()
    results = {v: VendorResult(v, new_stats(v)) for v in vendors}
    if on_stats:
        for r in results.values():
            r.stats.listeners.append(on_stats)
    pipelines: dict[str, dlt.Pipeline | None] = {}
    for v in vendors:
        try:
            pipelines[v] = existing_pipeline(v)
            results[v].resumed = finish_pending(pipelines[v])
        except Exception as exc:
            results[v].error = explain(v, exc)

    try:
        _run(vendors, results, pipelines, full_refresh, workers)
    finally:
        rescan.shutdown()  # the page worker, if a rescan started it
    return [results[v] for v in vendors]


def _run(
    vendors: Sequence[str],
    results: dict[str, VendorResult],
    pipelines: dict[str, dlt.Pipeline | None],
    full_refresh: bool,
    workers: int,
) -> None:
    def run_extract(v: str) -> str:
        t0 = time.perf_counter()
        pipelines[v] = extract(v, pipelines.get(v), results[v].stats, full_refresh, workers)
        results[v].seconds += time.perf_counter() - t0
        return v

    todo = [v for v in vendors if results[v].error is None]
    for v in todo:  # import every source in this thread, before the extract threads start
        source_factory(v)
    if todo and not full_refresh and config.warehouse_path().exists():
        rescan.prestart()  # the warehouse holds records: rescans will likely want the worker
    with ThreadPoolExecutor(
        max_workers=max(1, len(todo)), thread_name_prefix="ledgerline-extract"
    ) as pool:
        futures = {pool.submit(run_extract, v): v for v in todo}
        for fut in as_completed(futures):
            v = futures[fut]
            try:
                fut.result()
                t0 = time.perf_counter()
                pipeline = pipelines[v]
                assert pipeline is not None
                results[v].load_ids, results[v].changes = load(pipeline, v)
                results[v].seconds += time.perf_counter() - t0
            except Exception as exc:
                message = explain(v, exc)
                results[v].error = message
                results[v].stats.errors.append(message)
                log.debug("%s failed", v, exc_info=True)
