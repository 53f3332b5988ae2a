"""Access to the ledgerline warehouse.

Analysts and notebooks::

    from warehouse import connect
    con = connect()                     # read-only, the last published build
    con.sql("select * from marts.receivables_aging where is_total").show()

Syncs write ``$LEDGERLINE_HOME/ledgerline.duckdb`` (one writer at a time). After each
successful build, the file is *published*: copied beside itself and atomically renamed to
``$LEDGERLINE_HOME/published/ledgerline.duckdb``. Readers open the published copy, so an
analyst holding a connection never blocks a scheduled sync, and always reads a consistent
warehouse (the one of the last build; a connection opened before a publish keeps reading the
build it opened).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import duckdb

from pipelines import config

PUBLISHED_DIR = "published"


class WarehouseUnavailable(Exception):
    """No warehouse can be opened; the message says what to do."""


def published_path() -> Path:
    return config.home() / PUBLISHED_DIR / config.WAREHOUSE_FILE


def connect(path: str | Path | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published warehouse (or to ``path``)."""
    target = Path(path) if path else published_path()
    if not target.exists():
        raise WarehouseUnavailable(
            f"there is no published warehouse at {target}: run `ledgerline sync` (or `ledgerline demo`) first."
        )
    try:
        return duckdb.connect(str(target), read_only=True)
    except duckdb.IOException as exc:
        raise WarehouseUnavailable(f"cannot open {target} read-only: {exc}") from None


def publish(source: Path | None = None) -> Path:
    """Copy the warehouse to the published location, atomically. Returns the published path."""
    src = source or config.warehouse_path()
    dest = published_path()
    dest.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(src))
    try:
        con.execute("checkpoint")  # everything in the main file, nothing left in the WAL
    finally:
        con.close()
    fd, tmp = tempfile.mkstemp(prefix=".publishing-", suffix=".duckdb", dir=dest.parent)
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return dest
