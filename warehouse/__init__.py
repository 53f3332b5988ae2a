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

The main file is for the sync alone. Someone who opens it anyway (even read-only, which DuckDB
allows only while no process writes it) holds a lock that stops the sync from writing: the sync
then waits, saying so, up to ``LEDGERLINE_LOCK_TIMEOUT`` seconds (default 120) for the file to
be released, and otherwise fails with one sentence that says to use :func:`connect` instead.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from pipelines import config, crashpoints

PUBLISHED_DIR = "published"
LOCK_TIMEOUT_ENV = "LEDGERLINE_LOCK_TIMEOUT"
DEFAULT_LOCK_TIMEOUT = 120.0
log = logging.getLogger("ledgerline.warehouse")


class WarehouseUnavailable(Exception):
    """No warehouse can be opened; the message says what to do."""


class WarehouseLocked(WarehouseUnavailable):
    """Another process holds the main warehouse file open; the message says what to do."""


def lock_holder(exc: BaseException) -> str | None:
    """If ``exc`` (or an exception it was raised from) is DuckDB's file-lock conflict, the
    holder as DuckDB names it ("PID 1234", or "another process"); else None."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        text = str(cur)
        if "Could not set lock on file" in text or "Conflicting lock is held" in text:
            m = re.search(r"\(PID (\d+)\)", text)
            return f"PID {m.group(1)}" if m else "another process"
        cur = cur.__cause__ or cur.__context__
    return None


def locked_message(path: Path, holder: str) -> str:
    return (
        f"the warehouse file {path} is held open by {holder}: close that connection (analysts read the "
        "published copy with warehouse.connect(), which never blocks a sync) and run the sync again."
    )


def wait_for_write_access(
    path: Path | None = None,
    timeout: float | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> None:
    """Return once no other process holds the main warehouse file; wait up to ``timeout``.

    Args:
        path: The warehouse file (default: the main one). Nothing to wait for if it does not exist.
        timeout: Seconds to wait at most (default ``LEDGERLINE_LOCK_TIMEOUT``, else 120).
        on_wait: Told once, in a sentence, that the sync is waiting (default: a warning log).

    Raises:
        WarehouseLocked: The file was still held when the time was up.
    """
    target = path or config.warehouse_path()
    if timeout is None:
        timeout = float(os.environ.get(LOCK_TIMEOUT_ENV) or DEFAULT_LOCK_TIMEOUT)
    deadline = time.monotonic() + timeout
    told = False
    while target.exists():
        try:
            duckdb.connect(str(target)).close()
            return
        except duckdb.Error as exc:
            holder = lock_holder(exc)
            if holder is None:
                raise
        if time.monotonic() >= deadline:
            raise WarehouseLocked(locked_message(target, holder))
        if not told:
            message = (
                f"the warehouse file {target} is held open by {holder}: waiting up to {timeout:.0f} s "
                "for it (analysts should read the published copy with warehouse.connect())."
            )
            (on_wait or log.warning)(message)
            told = True
        time.sleep(0.25)


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


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> Any:
    """The one value of ``sql`` (an aggregate, say): its first row's first column."""
    row = con.execute(sql, params).fetchone()
    if row is None:
        raise duckdb.InvalidInputException(f"no row from: {sql[:120]}")
    return row[0]


def publish(source: Path | None = None) -> Path:
    """Copy the warehouse to the published location, atomically. Returns the published path."""
    src = source or config.warehouse_path()
    dest = published_path()
    dest.parent.mkdir(parents=True, exist_ok=True)
    wait_for_write_access(src)
    con = duckdb.connect(str(src))
    try:
        con.execute("checkpoint")  # everything in the main file, nothing left in the WAL
    finally:
        con.close()
    for stale in dest.parent.glob(".publishing-*"):  # left by a publish that was killed
        stale.unlink(missing_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".publishing-", suffix=".duckdb", dir=dest.parent)
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)
        crashpoints.reached("publish")
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return dest


from warehouse.queries import (  # noqa: E402  (the example queries, for `from warehouse import ...`)
    overdue_over_60_days,
    skonto_this_week,
    vat_due_this_quarter,
    who_owes_most,
)

__all__ = [
    "WarehouseLocked",
    "WarehouseUnavailable",
    "connect",
    "overdue_over_60_days",
    "publish",
    "published_path",
    "skonto_this_week",
    "vat_due_this_quarter",
    "who_owes_most",
]
