"""Analysts reading while a sync runs: the published copy never blocks and never changes under them.

Design (see ``warehouse/__init__.py`` and docs/guarantees.md): the sync alone writes the main
file; after each build it publishes a copy, replaced atomically by a rename. An analyst's
``warehouse.connect()`` opens the published copy read-only: a sync neither waits for nor
disturbs a connection held across it, the connection keeps seeing the build it opened, and a
new ``connect()`` sees the new build. Whoever opens the *main* file instead holds a lock the
sync cannot write through: the sync waits, saying so, up to ``LEDGERLINE_LOCK_TIMEOUT``
seconds, then fails in one sentence that says to use ``warehouse.connect()``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipelines import config
from sandbox.server import Sandbox
from tests.reliability.helpers import ROOT, cli_env, error_sentence, run_cli, snapshot

pytestmark = pytest.mark.slow  # end to end against the sandbox: `make test-fast` skips it

READER = """
import json, sys, time
from pathlib import Path
from warehouse import connect

stop = Path(sys.argv[1])
QUERIES = {
    "build": "select as_of_date::varchar, built_at::varchar from core.parameters",
    "open": "select count(*), sum(open_amount)::varchar from marts.receivables_open_items",
    "aging": "select sum(total)::varchar from marts.receivables_aging where is_total and is_converted",
    "items": "select sum(open_amount_rc)::varchar from marts.receivables_open_items where open_amount_rc is not null",
    "raw": "select count(*) from raw_katsu.invoices",
}
con = connect()
print(json.dumps({"ready": True}), flush=True)
seen, n = None, 0
while not stop.exists():
    got = {k: con.execute(q).fetchall() for k, q in QUERIES.items()}
    if seen is None:
        seen = got
    if got != seen or got["aging"] != got["items"]:
        print(json.dumps({"inconsistent": got, "first": seen}), flush=True)
        sys.exit(3)
    n += 1
    time.sleep(0.05)
con.close()
fresh = connect()
latest = fresh.execute(QUERIES["build"]).fetchall()
fresh.close()
print(json.dumps({"queries": n, "held": seen["build"], "fresh": latest}), flush=True)
"""

HOLDER = """
import sys, time, duckdb
from pathlib import Path
con = duckdb.connect(sys.argv[1], read_only=True)  # the main file, not warehouse.connect()
print("holding", flush=True)
release, deadline = Path(sys.argv[2]), time.monotonic() + float(sys.argv[3])
while not release.exists() and time.monotonic() < deadline:
    time.sleep(0.05)
con.close()
"""


@dataclass
class Synced:
    sandbox: Sandbox
    home: Path
    env: dict[str, str]

    def sync(self, **extra: str) -> subprocess.CompletedProcess[str]:
        return run_cli(
            ["sync", "--as-of", self.sandbox.world.clock.isoformat()], {**self.env, **extra}
        )


@pytest.fixture(scope="module")
def synced(prefect_api: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synced]:
    """A warehouse synced, built and published, its sandbox still serving (each test advances
    the clock and syncs again)."""
    sb = Sandbox(seed=31, scale=150, hoursmith_plan="unlimited").start()
    try:
        home = tmp_path_factory.mktemp("readers") / "home"
        s = Synced(sb, home, cli_env(home, sb.env(), PREFECT_API_URL=prefect_api))
        first = s.sync()
        assert first.returncode == 0, first.stderr[-3000:]
        yield s
    finally:
        sb.stop()


def spawn(code: str, *args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        env=env,
        cwd=str(ROOT),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_line(proc: subprocess.Popen[str], timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line, f"the helper process said nothing: {proc.stderr.read() if proc.stderr else ''}"
    assert time.monotonic() < deadline
    return line


@pytest.mark.timeout(300)
def test_an_analyst_holding_the_published_copy_neither_blocks_nor_sees_a_sync(
    synced: Synced, tmp_path: Path
) -> None:
    stop = tmp_path / "stop"
    reader = spawn(READER, str(stop), env=synced.env)
    try:
        assert json.loads(wait_for_line(reader)) == {"ready": True}
        synced.sandbox.advance(2)  # new documents, payments: the next build differs
        started = time.monotonic()
        result = synced.sync()
        took = time.monotonic() - started
        assert result.returncode == 0, result.stderr[-3000:]
        assert "held open" not in result.stderr  # the sync never waited for the analyst
        assert reader.poll() is None, "the reader stopped during the sync"
    finally:
        stop.touch()
        out, err = reader.communicate(timeout=60)
    assert reader.returncode == 0, out + err[-2000:]
    report = json.loads(out.strip().splitlines()[-1])
    assert report["queries"] > 10 * took / 60  # it kept querying while the sync ran
    assert report["held"] != report["fresh"], "a new connect() must see the new build"
    assert report["fresh"][0][0] == synced.sandbox.world.clock.isoformat()
    # the published copy is the build that was just made, and the main file is intact
    main = snapshot(synced.home / config.WAREHOUSE_FILE, schemas=("core", "marts"))
    published = snapshot(
        synced.home / "published" / config.WAREHOUSE_FILE, schemas=("core", "marts")
    )
    assert published == main


@pytest.mark.timeout(300)
def test_the_main_file_held_open_makes_the_sync_wait_then_go_on(
    synced: Synced, tmp_path: Path
) -> None:
    release = tmp_path / "release"
    holder = spawn(
        HOLDER, str(synced.home / config.WAREHOUSE_FILE), str(release), "240", env=synced.env
    )
    log = tmp_path / "sync.err"
    try:
        assert wait_for_line(holder).strip() == "holding"
        synced.sandbox.advance(1)
        args = ["sync", "--as-of", synced.sandbox.world.clock.isoformat()]
        with log.open("w") as err:
            sync = subprocess.Popen(
                [sys.executable, "-m", "pipelines.cli", *args],
                env={**synced.env, "LEDGERLINE_LOCK_TIMEOUT": "120"},
                cwd=str(ROOT),
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
            deadline = time.monotonic() + 150
            while "held open by" not in log.read_text() and sync.poll() is None:
                assert time.monotonic() < deadline, "the sync never said it was waiting"
                time.sleep(0.1)
            assert sync.poll() is None, f"the sync did not wait: {log.read_text()[-2000:]}"
            time.sleep(1)  # it keeps waiting while the file is held...
            assert sync.poll() is None
            release.touch()  # ...and goes on once it is released
            assert sync.wait(timeout=200) == 0, log.read_text()[-3000:]
    finally:
        release.touch()
        holder.wait(timeout=60)
    said = " ".join(log.read_text().split())
    assert f"held open by PID {holder.pid}: waiting up to 120 s" in said, said[-2000:]
    assert "warehouse.connect()" in said
    published = snapshot(synced.home / "published" / config.WAREHOUSE_FILE, schemas=("core",))
    assert published["core.parameters"].rows[0][0] == synced.sandbox.world.clock


@pytest.mark.timeout(300)
def test_the_main_file_held_too_long_fails_the_sync_in_one_sentence(synced: Synced) -> None:
    before = snapshot(synced.home / config.WAREHOUSE_FILE)
    holder = spawn(
        HOLDER, str(synced.home / config.WAREHOUSE_FILE), "/nonexistent", "600", env=synced.env
    )
    try:
        assert wait_for_line(holder).strip() == "holding"
        synced.sandbox.advance(1)
        result = synced.sync(LEDGERLINE_LOCK_TIMEOUT="2")
    finally:
        holder.kill()
        holder.wait(timeout=60)
    assert result.returncode != 0
    message = error_sentence(result.stderr)
    assert f"PID {holder.pid}" in message and "warehouse.connect()" in message, message
    assert message.count(". ") == 0 and message.endswith("."), message
    # nothing was half-written: the warehouse is as it was, and the next sync goes through
    assert snapshot(synced.home / config.WAREHOUSE_FILE) == before
    again = synced.sync()
    assert again.returncode == 0, again.stderr[-3000:]
