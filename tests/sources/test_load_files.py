"""The files a sync extracts are loaded as written: dlt's normalize step rewrites none of them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dlt.common.libs import pyarrow as dlt_arrow

from pipelines.sync import sync
from sandbox.server import Sandbox
from sources.sync import VALIDITY_COLUMNS


def test_no_extracted_file_is_rewritten_history_tables_included(
    make_sandbox: Callable[..., Sandbox],
    point_at: Callable[[Sandbox], None],
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sb = make_sandbox(seed=5, scale=400, hoursmith_plan="unlimited")
    point_at(sb)
    checked: list[tuple[tuple[str, ...], bool]] = []
    decide = dlt_arrow.should_normalize_arrow_schema

    def spy(schema: Any, columns: Any, *args: Any, **kwargs: Any) -> Any:
        result = decide(schema, columns, *args, **kwargs)
        checked.append((tuple(schema.names), result[0]))
        return result

    monkeypatch.setattr(dlt_arrow, "should_normalize_arrow_schema", spy)
    results = sync()
    assert [r.error for r in results if r.error] == []
    # each vendor's history table had files checked, and no file needed a rewrite
    assert sum(VALIDITY_COLUMNS[0] in names for names, _ in checked) >= 5
    assert [names for names, rewrite in checked if rewrite] == []
    with duckdb.connect(str(home / "ledgerline.duckdb"), read_only=True) as con:
        (current,) = con.execute(
            "select count(*) from raw_katsu.invoices where _dlt_valid_to is null"
            " and _dlt_valid_from is not null"
        ).fetchone()  # type: ignore[misc]
        (rows,) = con.execute("select count(*) from raw_katsu.invoices").fetchone()  # type: ignore[misc]
    assert current == rows > 0  # dlt set the validity of every first version
