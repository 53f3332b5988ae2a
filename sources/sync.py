"""What the five sources share beyond HTTP: run context, pagination, emitting tables, deletes.

A :class:`SyncContext` holds one vendor's run: its client and counters, the vendor's clock at
the start of the run (``observed_at``, from the HTTP ``Date`` header, so a sandbox clock and a
real one are read the same way), whether this run is a full reconcile, and read access to what
the warehouse already holds (to find documents that left the open set or vanished).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Generic, TypeVar, cast

import dlt
import pyarrow as pa
import pyarrow.compute as pc
from dlt.common.schema.typing import DEFAULT_VALIDITY_COLUMN_NAMES, TTableSchemaColumns
from dlt.destinations.exceptions import DatabaseUndefinedRelation

from sources import rescan
from sources.http import ApiClient, Page, SourceError, SyncStats, decode_json, fetch_pages
from sources.records import (
    REJECTED_TABLE,
    SCHEMA_CHANGES_TABLE,
    Rejected,
    SchemaChange,
    Table,
    change_key,
    record_hash,
    rejected_table,
    schema_changes_table,
)
from sources.rescan import Known, KnownDecoder, Versions

log = logging.getLogger("ledgerline.sources")

# dlt schema contract of every raw table: tables may be added (a new entity, the first load),
# but the columns and types of an existing table never change by accident. Vendor records
# never reach these tables directly (each source converts them through its table specs and
# reports what differs as schema changes), so a violation means a code change to the specs:
# a deliberate migration of the raw tables, not something a load should do silently.
RAW_CONTRACT: Any = {"tables": "evolve", "columns": "freeze", "data_type": "freeze"}

# Column flagging a record the vendor no longer returns (hard delete found by a full scan).
DELETED_UPSTREAM = "deleted_upstream"
PAGE_REFETCHES = 3

Reader = Callable[[str, Sequence[Any]], list[tuple[Any, ...]]]


def current_rows(table: Table) -> str:
    """The SQL condition of ``table``'s current (for history tables), live rows."""
    cond = f"not coalesce({DELETED_UPSTREAM}, false)"
    return f"{cond} and {VALIDITY_COLUMNS[1]} is null" if table.row_hash else cond


def no_reader(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    return []


@dataclass
class SyncContext:
    """One vendor's sync run."""

    vendor: str
    client: ApiClient
    observed_at: datetime
    full: bool
    read: Reader = no_reader
    workers: int = 8
    dataset: str = ""
    stats: SyncStats = field(init=False)
    # schema changes: those this run reported, and those the warehouse holds (read lazily)
    reported: set[str] = field(init=False, default_factory=set)
    known_changes: dict[str, tuple[Any, ...]] | None = field(init=False, default=None)
    # re-load records read again unchanged (``--full-refresh``); otherwise they are skipped
    refresh: bool = False
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock, repr=False)
    _versions: dict[tuple[str, str], Versions] = field(init=False, default_factory=dict, repr=False)
    _versions_lock: threading.Lock = field(init=False, default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.stats = self.client.stats

    # -- warehouse lookups (empty on a first run)
    def known(
        self, table: str, columns: str, where: str = "", params: Sequence[Any] = ()
    ) -> list[tuple[Any, ...]]:
        """Rows the warehouse holds for this vendor's ``table`` (empty if it does not exist)."""
        sql = self._select(table, columns, where)
        try:
            return self.read(sql, params)
        except DatabaseUndefinedRelation:  # the table does not exist before the first load
            log.debug("%s: no rows for %s yet", self.vendor, table)
            return []
        # anything else (a warehouse held open by another process, say) fails the run: reading
        # nothing would silently skip the re-reads and delete checks that depend on it

    def known_pairs(
        self, table: str, columns: str, where: str = "", params: Sequence[Any] = ()
    ) -> dict[Any, Any]:
        """:meth:`known` of two columns, as a dict of the first to the second."""
        pairs = getattr(self.read, "pairs", None)
        if pairs is None:
            return dict(self.known(table, columns, where, params))
        try:
            return cast(dict[Any, Any], pairs(self._select(table, columns, where), params))
        except DatabaseUndefinedRelation:  # the table does not exist before the first load
            return {}

    def _select(self, table: str, columns: str, where: str) -> str:
        sql = f'select {columns} from "{self.dataset}"."{table}"'
        return f"{sql} where {where}" if where else sql

    def fingerprints(self, table: Table, ids: Iterable[Any]) -> dict[str, str]:
        """The stored version (``row_hash``) of the current, live records of ``table`` with
        these ``ids`` (those it holds; other values are ignored).

        A record read again with the same hash is the version the warehouse holds: it is not
        converted or loaded again, so a rescan costs requests, not loads. Read by key: a run
        that lists a few hundred records reads theirs, however many the warehouse holds (a
        rescan that lists most of them compares hashes with :meth:`versions` first). Empty on a
        first run, for tables without a ``row_hash``, and with ``refresh`` (which re-loads
        everything).
        """
        if self.refresh or not table.stores_hash:
            return {}
        wanted = list({i for i in ids if isinstance(i, str)})
        if not wanted:
            return {}
        key = table.cols[0].name
        cond = f'{current_rows(table)} and "{key}" in (select unnest(?::varchar[]))'
        return self.known_pairs(table.name, f'"{key}", row_hash', cond, [wanted])

    def versions(self, table: Table, narrow: str = "") -> Versions:
        """The key of each current, live record of ``table``, by its stored version (hash).

        Read once per table and run, for rescans: a :class:`KnownDecoder` recognises the
        records held as sent by their bytes' hash, and a full scan's deletes are the keys it
        did not list. Empty when :meth:`fingerprints` would be.

        ``narrow``, an SQL condition, narrows them to the records a filtered rescan can return
        as they are (an open-set pass's status, a date window): its pages are checked against
        those only, and the page worker builds its lookup of those only. A narrowed set is never
        what :meth:`held_versions` gives: a full scan's deletes are read from the whole set.
        """
        if self.refresh or not table.stores_hash:
            return Versions.of({})
        with self._versions_lock:
            found = self._versions.get((table.name, narrow))
            if found is None:
                key = table.cols[0].name
                where = current_rows(table) + (f" and ({narrow})" if narrow else "")
                found = self._read_versions(table.name, f'row_hash, "{key}"', where)
                self._versions[(table.name, narrow)] = found
            return found

    def _read_versions(self, table: str, columns: str, where: str) -> Versions:
        arrow = getattr(self.read, "arrow", None)
        if arrow is None:
            return Versions.of(self.known_pairs(table, columns, where))
        try:
            found = arrow(self._select(table, columns, where))
        except DatabaseUndefinedRelation:  # the table does not exist before the first load
            return Versions.of({})
        return Versions.of({}) if found is None else Versions(found)

    def held_versions(self, table: Table) -> Versions | None:
        """:meth:`versions` if a rescan already read them, else None."""
        with self._versions_lock:
            return self._versions.get((table.name, ""))

    def drifted(self) -> bool:
        """Whether the warehouse holds schema changes of this vendor's records."""
        return bool(self._known_changes())

    def _known_changes(self) -> dict[str, tuple[Any, ...]]:
        with self._lock:
            if self.known_changes is None:
                columns = "change_key, first_seen_at, example_record_id, example_value"
                self.known_changes = {
                    r[0]: r[1:] for r in self.known(SCHEMA_CHANGES_TABLE.name, columns)
                }
            return self.known_changes


def unchanged(
    ctx: SyncContext, table: Table, items: list[Any], id_key: str, narrow: str = ""
) -> tuple[list[Any], list[str]]:
    """Split a page into the records to load and the ids of those the warehouse holds as sent.

    Against the table's :meth:`SyncContext.versions` when a rescan read them (a record is held
    when its hash is the stored version of its own key), else against the stored hashes of
    the page's keys (:meth:`SyncContext.fingerprints`). A page of a narrowed rescan (``narrow``:
    see :meth:`SyncContext.versions`) is checked against the versions it was narrowed to.
    """
    if narrow:
        stored: Versions | None = ctx.versions(table, narrow)
    else:
        stored = ctx.held_versions(table)
        if stored is not None and not len(stored):  # a first run: nothing held, nothing to hash
            return items, []
    ids = [it.get(id_key) if isinstance(it, dict) else None for it in items]
    keyed = [(i, rid) for i, rid in enumerate(ids) if isinstance(rid, str)]
    holds: Callable[[list[tuple[str, str]]], list[bool]]
    if stored is None:  # the stored versions of the page's own keys
        known = ctx.fingerprints(table, ids)
        keyed = [(i, rid) for i, rid in keyed if rid in known]  # the others are new: not hashed
        holds = lambda pairs: [known[rid] == version for version, rid in pairs]  # noqa: E731
    else:
        holds = stored.holds
    found = holds([(record_hash(items[i]), rid) for i, rid in keyed])
    flags = [False] * len(items)
    for (i, _rid), held in zip(keyed, found, strict=True):
        flags[i] = held
    fresh = [it for it, held in zip(items, flags, strict=True) if not held]
    same = [rid for rid, held in zip(ids, flags, strict=True) if held and isinstance(rid, str)]
    return fresh, same


def is_due(last_full: str | None, observed_at: datetime, every_days: float) -> bool:
    """Whether a periodic full reconcile is due."""
    if not last_full:
        return True
    return observed_at - datetime.fromisoformat(last_full) >= timedelta(days=every_days)


# ----------------------------------------------------------------------------- emitting


def hints(table: Table, disposition: Any, primary_key: Any = None, merge_key: Any = None) -> Any:
    return dlt.mark.make_hints(
        table_name=table.name,
        write_disposition=disposition,
        primary_key=primary_key,
        merge_key=merge_key,
        columns=cast(TTableSchemaColumns, table.hints()),
    )


def child(arrow: pa.Table, table: Table, parent_key: str) -> Any:
    """Rows of a child table (lines, payments): each load replaces its parents' rows.

    Merged on ``parent_key`` (delete-insert): a parent's rows are replaced as a set, so a line
    removed upstream disappears. No primary key: with (parent, line number) as one, dlt deletes
    rows matching ``key or parent``, a join DuckDB cannot hash (it ran out of memory merging
    300,000 lines); matching the parent alone deletes the same rows. Each parent is emitted once
    per run, so a load holds no duplicate rows to weed out.
    """
    merge = hints(table, "merge", primary_key=[], merge_key=parent_key)  # [], not the parent's key
    return dlt.mark.with_hints(arrow, merge, create_table_variant=True)


def nested(
    ctx: SyncContext,
    table: Table,
    field: str,
    parent_key: str,
    number: str = "line_number",
    endpoint: str = "",
) -> Callable[[list[dict[str, Any]]], list[Any]]:
    """A child factory for :func:`emit_page`: the list ``field`` of each parent as ``table``.

    Rows carry their parent's ``id`` as ``parent_key`` and their 1-based position as
    ``number``; a malformed entry becomes a rejected record (its parent still loads).
    """

    def make(parents: list[dict[str, Any]]) -> list[Any]:
        rows: list[Any] = []
        keys: dict[int, dict[str, Any]] = {}
        for parent in parents:
            entries = parent.get(field)
            for i, entry in enumerate(entries if isinstance(entries, list) else [], 1):
                rows.append(entry)
                keys[id(entry)] = {parent_key: parent["id"], number: i}
        if not rows:
            return []
        changes = table.drift(rows, endpoint or table.name)
        arrow, bad, _ = table.convert(
            rows, endpoint or f"{table.name}", extra=lambda r: keys[id(r)]
        )
        out = [child(arrow, table, parent_key)] if arrow.num_rows else []
        if changes:
            out.append(schema_changes(ctx, changes))
        if bad:
            out.append(rejected(ctx, bad))
        return out

    return make


def rejected(ctx: SyncContext, rows: list[Rejected]) -> Any:
    """The rejected records of one page, for the vendor's ``rejected_records`` table."""
    ctx.stats.add(rejected=len(rows))
    for r in rows:
        log.warning("%s: rejected a record from %s: %s", ctx.vendor, r.endpoint, r.reason)
    arrow = rejected_table(ctx.vendor, rows, ctx.observed_at)
    # its own merge key: a variant would otherwise inherit the resource's (say "id")
    return dlt.mark.with_hints(
        arrow,
        hints(REJECTED_TABLE, "merge", primary_key="payload_hash", merge_key="payload_hash"),
        create_table_variant=True,
    )


def schema_changes(ctx: SyncContext, changes: list[SchemaChange]) -> Any:
    """The ``schema_changes`` rows of ``changes`` this run has not reported yet (or None).

    Each change is one row per vendor, endpoint, field and kind of change, merged on its key:
    ``first_seen_at`` stays the run that first saw it, ``last_seen_at`` moves with each run.
    """
    known = dict(ctx._known_changes())
    with ctx._lock:
        new = [c for c in changes if change_key(ctx.vendor, c) not in ctx.reported]
        ctx.reported.update(change_key(ctx.vendor, c) for c in new)
    if not new:
        return None
    for c in new:
        log.warning(
            "%s: the records of %s changed shape: field %r %s (%s): %s",
            ctx.vendor,
            c.endpoint,
            c.field,
            c.change.replace("_", " "),
            f"{c.expected or 'unknown'} -> {c.seen}",
            c.effect,
        )
    arrow = schema_changes_table(ctx.vendor, new, known, ctx.observed_at)
    return dlt.mark.with_hints(
        arrow,
        hints(SCHEMA_CHANGES_TABLE, "merge", primary_key="change_key", merge_key="change_key"),
        create_table_variant=True,
    )


# dlt's scd2 validity columns (its defaults: the history resources keep them); see with_flag
VALIDITY_COLUMNS = tuple(DEFAULT_VALIDITY_COLUMN_NAMES)
_VALIDITY_TYPE = pa.timestamp("us", tz="UTC")


def with_flag(arrow: pa.Table, table: Table, deleted: bool = False) -> pa.Table:
    """Add the ``deleted_upstream`` flag to a page of ``table``.

    A history (scd2) table's rows also get its validity columns, empty: dlt fills them when it
    merges. Without them, dlt writes each extracted file with the validity columns before
    ``_dlt_load_id`` and its schema holds them after it, and the normalize step then rewrote
    every file of every history table (0.7 s per 100,000 invoices, a full sync's largest
    normalize cost). With them, the files are loaded as extracted.
    """
    flag = pa.field(DELETED_UPSTREAM, pa.bool_(), nullable=False)
    arrow = arrow.append_column(flag, pa.array([deleted] * arrow.num_rows, pa.bool_()))
    if table.row_hash:
        empty = pa.nulls(arrow.num_rows, _VALIDITY_TYPE)
        for name in VALIDITY_COLUMNS:
            arrow = arrow.append_column(pa.field(name, _VALIDITY_TYPE), empty)
    return arrow


def not_in(keys: pa.ChunkedArray, seen: set[str]) -> list[Any] | None:
    """The ``keys`` not in ``seen``, compared in Arrow; None if ``seen`` holds other types."""
    try:
        listed = pa.array(list(seen), type=keys.type)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError):
        return None
    return cast(list[Any], keys.filter(pc.invert(pc.is_in(keys, value_set=listed))).to_pylist())


def tombstones(
    ctx: SyncContext,
    table: Table,
    key: str,
    seen: set[str],
    where: str = "",
    only: set[str] | None = None,
) -> pa.Table | None:
    """Rows the warehouse holds as live but a full scan no longer returned, flagged deleted.

    The last known values are kept (so history shows what was deleted); only the flag changes.
    For history (scd2) tables only current versions are considered. ``only`` limits the flags
    to those keys (documents a by-id read found gone, outside a full scan).
    """
    fields = [f for f in table.schema if f.name != "row_hash"]
    cond = current_rows(table)
    if where:
        cond += f" and {where}"
    # the keys first (a rescan's versions already hold them when nothing narrows the set), then
    # whole rows only for what is gone: a scan that finds no delete reads no other column
    if only is not None:
        gone_keys = [k for k in only if k not in seen]
    else:
        held = ctx.held_versions(table) if not where and key == table.cols[0].name else None
        unlisted = None if held is None else not_in(held.keys_column(), seen)
        if unlisted is not None:
            gone_keys = unlisted
        else:
            live = [r[0] for r in ctx.known(table.name, f'"{key}"', cond)]
            gone_keys = [k for k in live if k not in seen]
    if not gone_keys:
        return None
    names = ", ".join(f'"{f.name}"' for f in fields)
    gone = ctx.known(table.name, names, f'{cond} and list_contains(?, "{key}")', [gone_keys])
    if not gone:
        return None
    log.info(
        "%s: %d %s no longer returned by the vendor: flagged deleted",
        ctx.vendor,
        len(gone),
        table.name,
    )
    arrays = [pa.array([r[i] for r in gone], f.type) for i, f in enumerate(fields)]
    arrow = pa.Table.from_arrays(arrays, schema=pa.schema(fields))
    if table.stores_hash:
        digest = [
            hashlib.blake2b(repr((*r, "deleted")).encode(), digest_size=12).hexdigest()
            for r in gone
        ]
        arrow = arrow.append_column(
            pa.field("row_hash", pa.string(), nullable=False), pa.array(digest, pa.string())
        )
    ctx.stats.add_rows(f"{table.name} (deleted)", len(gone))
    return with_flag(arrow, table, deleted=True)


# ----------------------------------------------------------------------------- pagination


@dataclass
class PageSpec:
    """How one page-numbered or offset endpoint pages.

    ``param(n)`` gives the query for page ``n`` (1-based); ``total(body)`` the record count
    the vendor reports; ``items(body)`` the records; ``record_id`` the key used to spot a
    repeated page. ``key`` names the body's list of records, when it is a top-level field:
    scans that know the table can then skip decoding records the warehouse holds as sent.
    """

    path: str
    params: Callable[[int], dict[str, Any]]
    total: Callable[[Any], int]
    items: Callable[[Any], list[Any]]
    limit: int
    record_id: str = "id"
    key: str | None = None


Decode = Callable[[bytes], Any]


def page_decoder(ctx: SyncContext, spec: PageSpec, table: Table | None, narrow: str = "") -> Decode:
    """How to decode the pages of ``spec``: a :class:`KnownDecoder` when ``table`` holds versions.

    Not for a vendor whose records have changed shape (it has ``schema_changes`` rows): every
    record it sends is then decoded and checked, so each run sees whether the change persists.
    """
    if table is None or spec.key is None or ctx.drifted():
        return decode_json
    versions = ctx.versions(table, narrow)
    return KnownDecoder(spec.key, spec.record_id, versions) if versions else decode_json


def numbered_pages(
    ctx: SyncContext,
    spec: PageSpec,
    first: int = 1,
    table: Table | None = None,
    narrow: str = "",
) -> Iterator[tuple[list[Any], Page]]:
    """Every page of an endpoint whose total is known, fetched in parallel, yielded in order.

    A page with fewer records than the total implies, or with the same records as the page
    before, is fetched again (a vendor hiccup, not the truth) before it is accepted. With the
    ``table`` the records go to, those it holds as sent come as :class:`Known` stand-ins
    (among its versions narrowed by ``narrow``: see :meth:`SyncContext.versions`).
    """
    decode = page_decoder(ctx, spec, table, narrow)
    page1 = _get(ctx, spec, first, decode)
    total = spec.total(page1.body)
    items1, page1 = next(_checked(ctx, spec, first, page1, total, None, decode))
    yield items1, page1
    yield from _pages_after(ctx, spec, first, items1, total, decode)


def _pages_after(
    ctx: SyncContext,
    spec: PageSpec,
    first: int,
    items1: list[Any],
    total: int,
    decode: Decode = decode_json,
) -> Iterator[tuple[list[Any], Page]]:
    """The pages after ``first`` (whose records were ``items1``), in parallel, checked, in order."""
    pages = max(1, -(-total // spec.limit))
    prev_ids = _ids(spec, items1)
    numbers = list(range(first + 1, pages + 1))
    fetched: Iterable[Page]
    if isinstance(decode, KnownDecoder) and rescan.wanted(len(numbers)):
        # a rescan of records the warehouse holds: read by the page worker (see sources.rescan)
        fetched = rescan.WORKER.pages(
            ctx.client,
            [(spec.path, spec.params(n)) for n in numbers],
            decode,
            ctx.workers,
            ctx.stats,
            lambda i: _get(ctx, spec, numbers[i], decode),
        )
    else:
        fetched = fetch_pages(lambda n: _get(ctx, spec, n, decode), numbers, ctx.workers)
    for n, page in zip(numbers, fetched, strict=True):
        for items, pg in _checked(ctx, spec, n, page, total, prev_ids, decode):
            prev_ids = _ids(spec, items)
            yield items, pg


def _get(ctx: SyncContext, spec: PageSpec, n: int, decode: Decode = decode_json) -> Page:
    page = ctx.client.get(spec.path, spec.params(n), decode=decode)
    assert page is not None
    ctx.stats.add(pages=1)
    return page


def _ids(spec: PageSpec, items: list[Any]) -> list[Any]:
    return [it.get(spec.record_id) if isinstance(it, dict) else None for it in items]


def _checked(
    ctx: SyncContext,
    spec: PageSpec,
    n: int,
    page: Page,
    total: int,
    prev_ids: list[Any] | None,
    decode: Decode = decode_json,
) -> Iterator[tuple[list[Any], Page]]:
    expected = max(0, min(spec.limit, total - (n - 1) * spec.limit))
    for attempt in range(PAGE_REFETCHES + 1):
        items = spec.items(page.body)
        repeated = prev_ids is not None and bool(items) and _ids(spec, items) == prev_ids
        if len(items) >= expected and not repeated:
            break
        if attempt == PAGE_REFETCHES:
            log.warning(
                "%s: page %d of %s still looks incomplete; keeping what it has",
                ctx.vendor,
                n,
                spec.path,
            )
            break
        ctx.stats.add(retries=1)
        page = _get(ctx, spec, n, decode)
    yield items, page


def pages_until(
    ctx: SyncContext, spec: PageSpec, stop: Callable[[list[Any]], bool]
) -> Iterator[tuple[list[Any], Page]]:
    """Pages one after another from the first, up to the first page for which ``stop(records)``.

    For newest-first endpoints read down to a watermark: the page that reaches it is still
    yielded, the rest are never requested. Pages are checked as in :func:`numbered_pages`.
    """
    n, prev_ids = 1, None
    while True:
        page = _get(ctx, spec, n)
        total = spec.total(page.body)
        items, page = next(_checked(ctx, spec, n, page, total, prev_ids))
        yield items, page
        if stop(items) or n * spec.limit >= total:
            return
        prev_ids, n = _ids(spec, items), n + 1


def tail_pages(
    ctx: SyncContext,
    spec: PageSpec,
    known_total: int,
    known: Callable[[Any], bool],
    overlap: int = 1,
) -> Iterator[tuple[list[Any], Page]]:
    """The last pages of an oldest-first endpoint: where records added since a run that saw
    ``known_total`` records must be.

    Starts ``overlap`` pages before the page of the first new position; while the first record
    of the start page is not ``known`` (seen by an earlier run: records were deleted before it
    and the list shifted), starts one page earlier. Later pages are fetched in parallel.
    """
    n = max(1, known_total // spec.limit + 1 - overlap)
    while True:
        page = _get(ctx, spec, n)
        total = spec.total(page.body)
        items, page = next(_checked(ctx, spec, n, page, total, None))
        if n == 1 or (items and known(items[0])):
            break
        last = max(1, -(-total // spec.limit))
        n = min(n - 1, last)
    yield items, page
    yield from _pages_after(ctx, spec, n, items, total)


def leavers(
    ctx: SyncContext, table: Table, where: str, seen: set[str], columns: str = "id"
) -> list[tuple[Any, ...]]:
    """Documents the warehouse holds as current and live, matching ``where`` (for example an
    open status), that this run's scans did not return: they left the scanned set (paid,
    cancelled) or were deleted. The first of ``columns`` must be the key.
    """
    cond = f"{current_rows(table)} and ({where})"
    return [r for r in ctx.known(table.name, columns, cond) if r[0] not in seen]


class DocumentRun:
    """One run over a document table synced in several passes (open sets, new records, leavers).

    Every record is emitted once however many passes return it, the ids seen are kept (to find
    leavers and deletes), and so is the newest value of a watermark field (``mark`` of a record:
    a created timestamp, an invoice date; None when it has none).
    """

    def __init__(
        self,
        ctx: SyncContext,
        table: Table,
        endpoint: str,
        *,
        mark: Callable[[Any], Any] | None = None,
        newest: Any = None,
        children: Sequence[Callable[[list[dict[str, Any]]], Any]] = (),
    ) -> None:
        self.ctx = ctx
        self.table = table
        self.endpoint = endpoint
        self.mark = mark
        self.newest = newest
        self.children = children
        self.seen: set[str] = set()
        self.total: int | None = None  # the vendor's record count, once a full scan read it

    def emit(self, items: list[Any], narrow: str = "") -> Iterator[Any]:
        """One page (or batch) of records, less those already emitted by this run (``narrow``:
        the condition its scan's versions were narrowed by)."""
        if self.mark is not None:
            for value in map(self.mark, items):
                if value is not None and (self.newest is None or value > self.newest):
                    self.newest = value
        yield from emit_page(
            self.ctx,
            self.table,
            items,
            endpoint=self.endpoint,
            seen=self.seen,
            dedupe=self.seen,
            children=self.children,
            narrow=narrow,
        )

    def scan(self, spec: PageSpec, narrow: str = "") -> Iterator[Any]:
        """Every page of ``spec`` (in parallel), emitted.

        ``narrow``: an SQL condition true of every stored record the filtered list can return
        as it is (its status), which narrows the versions its pages are checked against.
        """
        for batch in numbered_batches(self.ctx, spec, table=self.table, narrow=narrow):
            yield from self.emit(batch, narrow)

    def sync(
        self,
        state: dict[str, Any],
        spec: PageSpec,
        incremental: Callable[[], Generator[Any, None, bool]] | None,
    ) -> Iterator[Any]:
        """The ``incremental`` passes when given, or a full scan (also when they return True: a
        full scan is cheaper). A full scan records its time and the vendor's total in ``state``.
        """
        full = True if incremental is None else (yield from incremental())
        if full:
            yield from self.full_scan(spec)
            state["last_full_at"] = self.ctx.observed_at.isoformat()
            state["total"] = self.total

    def full_scan(self, spec: PageSpec) -> Iterator[Any]:
        """Every page, in parallel, then tombstones for what the vendor no longer lists."""

        def counted() -> Iterator[list[Any]]:
            for items, page in numbered_pages(self.ctx, spec, table=self.table):
                self.total = spec.total(page.body)
                yield items

        for batch in coalesce(counted()):
            yield from self.emit(batch)
        gone = tombstones(self.ctx, self.table, "id", self.seen)
        if gone is not None:
            yield gone

    def reread(
        self, ids: Sequence[str], get: Callable[[str], Page | None], record: Callable[[Any], Any]
    ) -> Iterator[Any]:
        """Re-read documents by id (see :func:`by_id`) and flag those gone."""
        for batch in by_id(self.ctx, ids, get, record):
            yield from self.emit(batch)
        yield from self.flag(set(ids) - self.seen)

    def flag(self, ids: set[str]) -> Iterator[Any]:
        """Tombstones for documents found gone outside a full scan (none if ``ids`` is empty)."""
        gone = tombstones(self.ctx, self.table, "id", self.seen, only=ids) if ids else None
        if gone is not None:
            yield gone


# Documents read by id are converted in batches of this many.
BY_ID_ROWS = 100


def by_id(
    ctx: SyncContext,
    ids: Sequence[str],
    get: Callable[[str], Page | None],
    record: Callable[[Any], Any],
    missing: set[str] | None = None,
) -> Iterator[list[Any]]:
    """Documents read one by one, ``ctx.workers`` requests at a time, in batches of records.

    ``get`` returns None for a document the vendor no longer has (a 404): its id is added to
    ``missing`` when given. ``record`` takes the document out of a body.
    """
    batch: list[Any] = []
    pages = fetch_pages(lambda i: get(ids[i]), list(range(len(ids))), ctx.workers)
    for uid, page in zip(ids, pages, strict=True):
        ctx.stats.add(pages=1)
        if page is None:
            if missing is not None:
                missing.add(uid)
            continue
        batch.append(record(page.body))
        if len(batch) >= BY_ID_ROWS:
            yield batch
            batch = []
    if batch:
        yield batch


def chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# Records converted at once. A conversion costs a fixed few dozen Arrow calls (each a GIL
# hand-over, slow when many fetch threads are busy) plus a per-record part: pages of 100 made
# the fixed part most of the cost; batches of 1,000 convert at a third of the CPU per record.
EMIT_ROWS = 1_000


def coalesce(pages: Iterable[list[Any]], rows: int = EMIT_ROWS) -> Iterator[list[Any]]:
    """Consecutive pages' records joined into lists of at least ``rows`` (the last one shorter)."""
    batch: list[Any] = []
    for items in pages:
        batch.extend(items)
        if len(batch) >= rows:
            yield batch
            batch = []
    if batch:
        yield batch


def records(pages: Iterable[tuple[list[Any], Page]]) -> Iterator[list[Any]]:
    """The records of each ``(records, page)`` pair."""
    for items, _page in pages:
        yield items


def numbered_batches(
    ctx: SyncContext, spec: PageSpec, first: int = 1, table: Table | None = None, narrow: str = ""
) -> Iterator[list[Any]]:
    """The records of :func:`numbered_pages`, in batches of :data:`EMIT_ROWS` to convert."""
    return coalesce(records(numbered_pages(ctx, spec, first, table, narrow)))


def utc_now() -> datetime:
    return datetime.now(UTC)


def scan(
    ctx: SyncContext,
    spec: PageSpec,
    table: Table,
    *,
    endpoint: str,
    seen: set[str] | None = None,
    extra: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    children: Sequence[Callable[[list[dict[str, Any]]], Any]] = (),
    first: int = 1,
    dedupe: set[str] | None = None,
) -> Iterator[Any]:
    """Scan a numbered endpoint: typed pages, their child rows, and rejected records."""
    for batch in numbered_batches(ctx, spec, first, table):
        yield from emit_page(
            ctx,
            table,
            batch,
            endpoint=endpoint,
            id_key=spec.record_id,
            seen=seen,
            extra=extra,
            children=children,
            dedupe=dedupe,
        )


def emit_page(
    ctx: SyncContext,
    table: Table,
    items: list[Any],
    *,
    endpoint: str,
    id_key: str = "id",
    seen: set[str] | None = None,
    extra: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    children: Sequence[Callable[[list[dict[str, Any]]], Any]] = (),
    dedupe: set[str] | None = None,
    narrow: str = "",
) -> Iterator[Any]:
    """Convert one page of records and yield the table, its children and its rejects.

    With ``dedupe`` (the ids emitted so far in this run), a record already emitted is skipped.
    A child factory returns one item, None, or a list of items (rows and their rejects).
    Records that differ from the table's wire contract are reported as schema changes.
    """
    held = [it[id_key] for it in items if type(it) is Known]
    if held:  # listed as the warehouse holds them: seen, not loaded again
        items = [it for it in items if type(it) is not Known]
        if dedupe is not None:
            dedupe.update(held)
        if seen is not None:
            seen.update(held)
        ctx.stats.add(unchanged=len(held))
        if not items:
            return
    changes = table.drift(items, endpoint, id_key)
    if changes:
        reported = schema_changes(ctx, changes)
        if reported is not None:
            yield reported
    if dedupe is not None:  # a record without a usable id passes, to be rejected with the reason
        fresh = []
        for it in items:
            rid = it.get(id_key) if isinstance(it, dict) else None
            if isinstance(rid, str):
                if rid in dedupe:
                    continue
                dedupe.add(rid)
            fresh.append(it)
        items = fresh
    if not ctx.refresh and table.stores_hash:
        items, same = unchanged(ctx, table, items, id_key, narrow)
        if seen is not None:
            seen.update(same)  # still listed: neither a leaver nor a delete
        ctx.stats.add(unchanged=len(same))
        if not items:
            return
    arrow, bad, kept = table.convert(items, endpoint, id_key=id_key, extra=extra)
    if seen is not None:
        if arrow.num_rows:
            seen.update(arrow.column(table.cols[0].name).to_pylist())
        # still listed, only unreadable: not a delete
        seen.update(r.record_id for r in bad if r.record_id)
    if arrow.num_rows:
        ctx.stats.add_rows(table.name, arrow.num_rows)
        yield with_flag(arrow, table)
        for make_child in children:
            item = make_child(kept)
            for it in item if isinstance(item, list) else [item]:
                if it is not None:
                    yield it
    if bad:
        yield rejected(ctx, bad)


# ----------------------------------------------------------------------------- cursors, watermarks


def cursor_pages(
    ctx: SyncContext,
    path: str,
    params: dict[str, Any],
    *,
    items: Callable[[Any], list[Any]],
    next_cursor: Callable[[Any], str | None],
    cursor_param: str = "cursor",
    stop: Callable[[list[Any]], bool] | None = None,
) -> Iterator[list[Any]]:
    """The pages of a cursor-paged endpoint, one after another, the query unchanged throughout.

    Ends after the last page, or after the first page for which ``stop(records)`` is true (a
    newest-first list read down to a watermark: later pages are never requested).
    """
    cursor: str | None = None
    used: set[str] = set()
    while True:
        page = ctx.client.get(path, {**params, cursor_param: cursor} if cursor else params)
        assert page is not None
        ctx.stats.add(pages=1)
        records = items(page.body)
        yield records
        cursor = next_cursor(page.body)
        if not cursor or (stop is not None and stop(records)):
            return
        if cursor in used:
            raise SourceError(
                f"{ctx.vendor} returned the same page cursor twice on {path}: report it to the vendor."
            )
        used.add(cursor)


D = TypeVar("D", bound=date)  # a date, or a datetime


@dataclass
class Watermark(Generic[D]):
    """The newest value of a change field (a date or a timestamp) seen so far, kept in a
    resource's dlt state between runs.

    Reads start at the value saved by the last run less ``lag`` (records written late, clocks
    that disagree). The saved value never passes ``cap``, the vendor's clock at the start of the
    run, so one record dated in the future cannot hide the changes that follow it.
    """

    state: dict[str, Any]
    key: str
    lag: timedelta
    cap: D

    def __post_init__(self) -> None:
        self.saved = self._parse(self.state.get(self.key))

    def _parse(self, raw: Any) -> D | None:
        if not raw:
            return None
        kind = datetime if isinstance(self.cap, datetime) else date
        return cast(D, kind.fromisoformat(raw))

    def start(self) -> D | None:
        """Where this run reads from (None before the first run)."""
        return None if self.saved is None else cast(D, self.saved - self.lag)

    def see(self, values: Iterable[D | None]) -> None:
        """Record the change values of what this run read."""
        newest = max((v for v in values if v is not None), default=None)
        if newest is None:
            return
        newest = min(newest, self.cap)
        current = self._parse(self.state.get(self.key))
        if current is None or newest > current:
            self.state[self.key] = newest.isoformat()


# ----------------------------------------------------------------------------- batching

# Every resource holds up to this many rows (and as many of each child table) until it yields
# them: at 100,000 invoices per vendor, 20,000 made a full sync peak at 694-707 MB RSS against
# 646-651 MB with 5,000, in the same time (10,000 invoices: 454-465 vs 450-460 MB).
BATCH_ROWS = 5_000


def _concat(tables: list[pa.Table]) -> pa.Table:
    return tables[0] if len(tables) == 1 else pa.concat_tables(tables, promote_options="default")


def rebatch(items: Iterable[Any], rows: int = BATCH_ROWS) -> Iterator[Any]:
    """Re-yield a resource's page-sized Arrow tables in batches of about ``rows`` rows.

    dlt pays a fixed cost for every item it extracts (schema inference and merge); pages of
    100 records made that cost dominate. Tables for the resource's own table are joined
    together, and so are the child tables of each hint set (lines, payments, rejects); other
    items pass through as they come.
    """
    from dlt.extract.items import DataItemWithMeta

    own: list[pa.Table] = []
    own_rows = 0
    side: dict[Any, tuple[Any, list[pa.Table], int]] = {}
    for item in items:
        if isinstance(item, pa.Table):
            own.append(item)
            own_rows += item.num_rows
            if own_rows >= rows:
                yield _concat(own)
                own, own_rows = [], 0
        elif isinstance(item, DataItemWithMeta) and isinstance(item.data, pa.Table):
            hints = getattr(item.meta, "hints", None)
            key = hints.get("table_name") if isinstance(hints, dict) else id(item.meta)
            meta, tables, n = side.get(key, (item.meta, [], 0))
            tables.append(item.data)
            n += item.data.num_rows
            if n >= rows:
                yield DataItemWithMeta(meta, _concat(tables))
                side.pop(key, None)
            else:
                side[key] = (meta, tables, n)
        else:
            yield item
    if own:
        yield _concat(own)
    for meta, tables, _n in side.values():
        yield DataItemWithMeta(meta, _concat(tables))


def resource(fn: Callable[[], Iterable[Any]], **kwargs: Any) -> Any:
    """``dlt.resource`` over a generator function, its pages re-batched (:func:`rebatch`)."""

    def batched() -> Iterator[Any]:
        yield from rebatch(fn())

    return dlt.resource(batched, **kwargs)
