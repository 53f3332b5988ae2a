"""A warehouse synced from the sandbox (two syncs, days apart) and built, shared per module."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pytest

from sandbox.server import Sandbox


@dataclass
class Built:
    sandbox: Sandbox
    path: Path
    observed: list[date]

    def connect(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(self.path), read_only=True)

    def build(self, as_of: date, currency: str = "EUR") -> None:
        from transforms.build import build

        build(self.path, as_of=as_of, currency=currency)


def synced_warehouse(
    tmp: Path, *, seed: int, scale: int, faults: str = "none", days: int = 3
) -> Built:
    """Sync all five vendors, advance the clock ``days``, sync again, build as of the clock."""
    from pipelines.sync import sync

    saved = dict(os.environ)
    os.environ["LEDGERLINE_HOME"] = str(tmp)
    sb = Sandbox(seed=seed, scale=scale, faults=faults, hoursmith_plan="unlimited").start()
    os.environ.update(sb.env())
    observed = []
    try:
        for step in range(2):
            if step:
                sb.advance(days)
            results = sync()
            errors = [r.error for r in results if r.error]
            assert not errors, errors
            observed.append(sb.world.clock)
        built = Built(sb, tmp / "ledgerline.duckdb", observed)
        built.build(sb.world.clock)
        return built
    except BaseException:
        sb.stop()
        raise
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    built = synced_warehouse(tmp_path_factory.mktemp("wh"), seed=7, scale=1200)
    yield built
    built.sandbox.stop()
