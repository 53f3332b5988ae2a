"""Resources re-yield their pages in bounded batches: every row once, in order, per table."""

from __future__ import annotations

from typing import cast

import dlt
import pyarrow as pa
from dlt.extract.items import DataItemWithMeta

from sources.sync import rebatch


def page(start: int, rows: int) -> pa.Table:
    return pa.table({"id": pa.array([str(i) for i in range(start, start + rows)])})


def lines(start: int, rows: int) -> DataItemWithMeta:
    item = dlt.mark.with_hints(page(start, rows), dlt.mark.make_hints(table_name="lines"))
    assert isinstance(item, DataItemWithMeta)
    return item


def ids(items: list[pa.Table]) -> list[str]:
    return [i for t in items for i in t.column("id").to_pylist()]


def test_pages_are_joined_into_batches_of_about_the_limit_and_nothing_is_lost() -> None:
    marker = {"not": "a table"}
    items = [page(0, 40), lines(0, 30), page(40, 40), marker, lines(30, 30), page(80, 30)]

    out = list(rebatch(items, rows=70))

    own = [i for i in out if isinstance(i, pa.Table)]
    side = [i for i in out if isinstance(i, DataItemWithMeta)]
    # the resource's own table: one batch once 70 rows were held, the rest at the end
    assert [t.num_rows for t in own] == [80, 30]
    assert ids(own) == [str(i) for i in range(110)]
    # child rows are batched apart from the parent's, under their own hints
    # DataItemWithMeta.data is typed as any item or a list of them: these hold tables
    assert [cast(pa.Table, t.data).num_rows for t in side] == [60]
    assert side[0].meta.hints["table_name"] == "lines"
    assert ids([t.data for t in side]) == [str(i) for i in range(60)]
    # anything else passes as it comes, before the batches still held
    assert out.index(marker) < out.index(side[0])


def test_a_child_batch_is_yielded_once_full() -> None:
    out = list(rebatch([lines(0, 50), lines(50, 50), lines(100, 10)], rows=100))

    assert [i.data.num_rows for i in out] == [100, 10]
    assert ids([i.data for i in out]) == [str(i) for i in range(110)]
