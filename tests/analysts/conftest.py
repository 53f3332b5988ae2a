"""A published warehouse built from the sandbox, shared by the analyst tests (and xdist workers).

Built once per test run (seed 5, scale 600: two syncs days apart, models, publish) under a file
lock in pytest's shared temporary root, so parallel workers reuse one build. Tests only read it:
the report and the exports write into their own ``tmp_path``.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

SEED, SCALE = 5, 600
REPO = Path(__file__).resolve().parents[2]


def _build(home: Path) -> None:
    from tests.transforms.conftest import synced_warehouse
    from warehouse import publish

    built = synced_warehouse(home, seed=SEED, scale=SCALE)
    built.sandbox.stop()
    saved = os.environ.get("LEDGERLINE_HOME")
    os.environ["LEDGERLINE_HOME"] = str(home)
    try:
        publish(built.path)
    finally:
        if saved is None:
            os.environ.pop("LEDGERLINE_HOME", None)
        else:
            os.environ["LEDGERLINE_HOME"] = saved


@pytest.fixture(scope="session")
def analyst_home(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """``LEDGERLINE_HOME`` of a sandbox-built, published warehouse (read it, do not change it)."""
    base = tmp_path_factory.getbasetemp()
    root = base if worker_id == "master" else base.parent
    home = root / f"analysts-warehouse-{SEED}-{SCALE}"
    with open(root / f"analysts-warehouse-{SEED}-{SCALE}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = home / ".built"
        if not done.exists():
            home.mkdir(parents=True, exist_ok=True)
            _build(home)
            done.touch()
    return home


@pytest.fixture
def home(analyst_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """``LEDGERLINE_HOME`` set to the shared warehouse for the test."""
    monkeypatch.setenv("LEDGERLINE_HOME", str(analyst_home))
    yield analyst_home


@pytest.fixture
def con(home: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the published warehouse."""
    from warehouse import connect

    c = connect()
    yield c
    c.close()


@pytest.fixture
def own_home(analyst_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private ``LEDGERLINE_HOME`` whose published warehouse is the shared one (a symlink).

    For commands that write beside the warehouse (report.html, exports/) by default.
    """
    own = tmp_path / "home"
    (own / "published").mkdir(parents=True)
    (own / "published" / "ledgerline.duckdb").symlink_to(
        analyst_home / "published" / "ledgerline.duckdb"
    )
    monkeypatch.setenv("LEDGERLINE_HOME", str(own))
    return own
