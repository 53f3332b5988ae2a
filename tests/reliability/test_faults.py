"""Transport faults change nothing: flaky syncs end with the warehouse a fault-free run builds.

Ten seeded runs (two worlds, five fault seeds each) of the ``flaky`` profile: 5xx answers, 429s
with ``Retry-After``, connection resets and slow answers, decided per request from a hash so
each seed misbehaves differently. Each run is a full sync of all five vendors, then (the clock
advanced) an incremental sync, then a model build; after each step the raw tables (dlt's load
and row ids aside) and the core and mart tables must equal those of the fault-free run of the
same world, row for row: nothing lost, nothing duplicated, the same sums.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipelines.sync import sync
from sandbox.server import Sandbox
from tests.reliability.helpers import TableSnapshot, assert_same, snapshot
from transforms.build import build

pytestmark = pytest.mark.slow  # end to end against the sandbox: `make test-fast` skips it

SCALE = 150
DAYS = 2  # between the full and the incremental sync
WORLDS = (3, 8)
FAULT_SEEDS = (101, 202, 303, 404, 505)


@dataclass
class Run:
    full: dict[str, TableSnapshot]
    incremental: dict[str, TableSnapshot]
    retries: int
    injected: dict[str, int]


def run_world(home: Path, world: int, faults: str, fault_seed: int | None = None) -> Run:
    """Full sync, clock advanced, incremental sync, build: snapshots after each sync."""
    saved = dict(os.environ)
    os.environ["LEDGERLINE_HOME"] = str(home)
    sb = Sandbox(
        seed=world, scale=SCALE, faults=faults, fault_seed=fault_seed, hoursmith_plan="unlimited"
    ).start()
    os.environ.update(sb.env())
    try:
        retries = 0
        snaps = []
        for step in range(2):
            if step:
                sb.advance(DAYS)
            results = sync()
            errors = [r.error for r in results if r.error]
            assert not errors, errors
            retries += sum(r.stats.retries for r in results)
            if step:
                build(as_of=sb.world.clock)
            snaps.append(snapshot(home / "ledgerline.duckdb"))
        return Run(snaps[0], snaps[1], retries, dict(sb.faults.injected))
    finally:
        sb.stop()
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(scope="module")
def fault_free(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[int, Run]]:
    yield {w: run_world(tmp_path_factory.mktemp(f"clean{w}"), w, "none") for w in WORLDS}


@pytest.mark.timeout(600)
@pytest.mark.parametrize(("world", "fault_seed"), [(w, f) for w in WORLDS for f in FAULT_SEEDS])
def test_flaky_syncs_end_identical_to_the_fault_free_run(
    fault_free: dict[int, Run], world: int, fault_seed: int, tmp_path: Path
) -> None:
    reference = fault_free[world]
    flaky = run_world(tmp_path / "home", world, "flaky", fault_seed)

    # the run really was hit: answers failed and the sources retried them
    assert sum(flaky.injected.values()) > 0 and flaky.retries > 0, flaky.injected
    assert {k for k in flaky.injected if k != "slow"} & {"status", "reset"}, flaky.injected

    assert_same(flaky.full, reference.full, "after the full sync")
    assert_same(flaky.incremental, reference.incremental, "after the incremental sync and build")
    # the comparison covered the raw tables and the marts, with data in them
    tables = reference.incremental
    assert {n.split(".")[0] for n in tables} >= {
        "raw_baloom",
        "raw_katsu",
        "raw_ibana",
        "raw_wuro",
        "raw_hoursmith",
        "core",
        "marts",
    }
    assert len(tables["marts.receivables_open_items"].rows) > 0
    # and the incremental sync had changes to carry (new documents, payments)
    changed = [n for n in reference.full if reference.full[n].rows != tables[n].rows]
    assert any(n.endswith(".invoices") for n in changed), changed
