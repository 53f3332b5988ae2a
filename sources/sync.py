"""What the five sources share beyond HTTP: run context, pagination, emitting tables, deletes.

A :class:`SyncContext` holds one vendor's run: its client and counters, the vendor's clock at
the start of the run (``observed_at``, from the HTTP ``Date`` header, so a sandbox clock and a
real one are read the same way), whether this run is a full reconcile, and read access to what
the warehouse already holds (to find documents that left the open set or vanished).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import dlt
import pyarrow as pa

from sources.http import ApiClient, Page, SyncStats, fetch_pages
from sources.records import REJECTED_TABLE, Rejected, Table, rejected_table

log = logging.getLogger("ledgerline.sources")

# Column flagging a record the vendor no longer returns (hard delete found by a full scan).
DELETED_UPSTREAM = "deleted_upstream"
PAGE_REFETCHES = 3

Reader = Callable[[str, Sequence[Any]], list[tuple[Any, ...]]]


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

    def __post_init__(self) -> None:
        self.stats = self.client.stats

    # -- warehouse lookups (empty on a first run)
    def known(self, table: str, columns: str, where: str = "", params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows the warehouse holds for this vendor's ``table`` (empty if it does not exist)."""
        sql = f'select {columns} from "{self.dataset}"."{table}"' + (f" where {where}" if where else "")
        try:
            return self.read(sql, params)
        except Exception as exc:  # the table does not exist before the first load
            log.debug("%s: no rows for %s (%s)", self.vendor, table, type(exc).__name__)
            return []


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
        columns=table.hints(),
    )


def child(arrow: pa.Table, table: Table, parent_key: str, key: Sequence[str] = ("line_number",)) -> Any:
    """Rows of a child table (lines, payments): each load replaces its parents' rows.

    Merged on ``parent_key`` (delete-insert): a parent's rows are replaced as a set, so a line
    removed upstream disappears; ``key`` completes the primary key within a parent.
    """
    return dlt.mark.with_hints(
        arrow, hints(table, "merge", primary_key=[parent_key, *key], merge_key=parent_key), create_table_variant=True
    )


def rejected(ctx: SyncContext, rows: list[Rejected]) -> Any:
    """The rejected records of one page, for the vendor's ``rejected_records`` table."""
    ctx.stats.add(rejected=len(rows))
    for r in rows:
        log.warning("%s: rejected a record from %s: %s", ctx.vendor, r.endpoint, r.reason)
    arrow = rejected_table(ctx.vendor, rows, ctx.observed_at)
    return dlt.mark.with_hints(
        arrow, hints(REJECTED_TABLE, "merge", primary_key="payload_hash"), create_table_variant=True
    )


def with_flag(arrow: pa.Table, deleted: bool = False) -> pa.Table:
    """Add the ``deleted_upstream`` flag to a page."""
    flag = pa.field(DELETED_UPSTREAM, pa.bool_(), nullable=False)
    return arrow.append_column(flag, pa.array([deleted] * arrow.num_rows, pa.bool_()))


def tombstones(ctx: SyncContext, table: Table, key: str, seen: set[str], where: str = "") -> pa.Table | None:
    """Rows the warehouse holds as live but a full scan no longer returned, flagged deleted.

    The last known values are kept (so history shows what was deleted); only the flag changes.
    For history (scd2) tables only current versions are considered.
    """
    fields = [f for f in table.schema if f.name != "row_hash"]
    names = ", ".join(f'"{f.name}"' for f in fields)
    cond = f"not coalesce({DELETED_UPSTREAM}, false)"
    if table.row_hash:
        cond += " and _dlt_valid_to is null"
    if where:
        cond += f" and {where}"
    rows = ctx.known(table.name, names, cond)
    idx = [f.name for f in fields].index(key)
    gone = [r for r in rows if r[idx] not in seen]
    if not gone:
        return None
    log.info("%s: %d %s no longer returned by the vendor: flagged deleted", ctx.vendor, len(gone), table.name)
    arrays = [pa.array([r[i] for r in gone], f.type) for i, f in enumerate(fields)]
    arrow = pa.Table.from_arrays(arrays, schema=pa.schema(fields))
    if table.row_hash:
        digest = [hashlib.blake2b(repr((*r, "deleted")).encode(), digest_size=12).hexdigest() for r in gone]
        arrow = arrow.append_column(pa.field("row_hash", pa.string(), nullable=False), pa.array(digest, pa.string()))
    ctx.stats.add_rows(f"{table.name} (deleted)", len(gone))
    return with_flag(arrow, True)


# ----------------------------------------------------------------------------- pagination


@dataclass
class PageSpec:
    """How one page-numbered or offset endpoint pages.

    ``param(n)`` gives the query for page ``n`` (1-based); ``total(body)`` the record count
    the vendor reports; ``items(body)`` the records; ``record_id`` the key used to spot a
    repeated page.
    """

    path: str
    params: Callable[[int], dict[str, Any]]
    total: Callable[[Any], int]
    items: Callable[[Any], list[Any]]
    limit: int
    record_id: str = "id"


def numbered_pages(ctx: SyncContext, spec: PageSpec, first: int = 1) -> Iterator[tuple[list[Any], Page]]:
    """Every page of an endpoint whose total is known, fetched in parallel, yielded in order.

    A page with fewer records than the total implies, or with the same records as the page
    before, is fetched again (a vendor hiccup, not the truth) before it is accepted.
    """
    page1 = _get(ctx, spec, first)
    total = spec.total(page1.body)
    pages = max(1, -(-total // spec.limit))
    yield from _checked(ctx, spec, first, page1, total, None)
    prev_ids = _ids(spec, spec.items(page1.body))
    numbers = list(range(first + 1, pages + 1))
    for n, page in zip(numbers, fetch_pages(lambda n: _get(ctx, spec, n), numbers, ctx.workers), strict=True):
        for items, pg in _checked(ctx, spec, n, page, total, prev_ids):
            prev_ids = _ids(spec, items)
            yield items, pg


def _get(ctx: SyncContext, spec: PageSpec, n: int) -> Page:
    page = ctx.client.get(spec.path, spec.params(n))
    assert page is not None
    ctx.stats.add(pages=1)
    return page


def _ids(spec: PageSpec, items: list[Any]) -> list[Any]:
    return [it.get(spec.record_id) if isinstance(it, dict) else None for it in items]


def _checked(
    ctx: SyncContext, spec: PageSpec, n: int, page: Page, total: int, prev_ids: list[Any] | None
) -> Iterator[tuple[list[Any], Page]]:
    expected = max(0, min(spec.limit, total - (n - 1) * spec.limit))
    for attempt in range(PAGE_REFETCHES + 1):
        items = spec.items(page.body)
        repeated = prev_ids is not None and bool(items) and _ids(spec, items) == prev_ids
        if len(items) >= expected and not repeated:
            break
        if attempt == PAGE_REFETCHES:
            log.warning("%s: page %d of %s still looks incomplete; keeping what it has", ctx.vendor, n, spec.path)
            break
        ctx.stats.add(retries=1)
        page = _get(ctx, spec, n)
    yield items, page


def chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


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
) -> Iterator[Any]:
    """Scan a numbered endpoint: typed pages, their child rows, and rejected records."""
    for items, _page in numbered_pages(ctx, spec, first):
        yield from emit_page(ctx, table, items, endpoint=endpoint, id_key=spec.record_id, seen=seen, extra=extra, children=children)


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
) -> Iterator[Any]:
    """Convert one page of records and yield the table, its children and its rejects."""
    arrow, bad, kept = table.convert(items, endpoint, id_key=id_key, extra=extra)
    if seen is not None and arrow.num_rows:
        seen.update(arrow.column(table.cols[0].name).to_pylist())
    if arrow.num_rows:
        ctx.stats.add_rows(table.name, arrow.num_rows)
        yield with_flag(arrow)
        for make_child in children:
            item = make_child(kept)
            if item is not None:
                yield item
    if bad:
        yield rejected(ctx, bad)
