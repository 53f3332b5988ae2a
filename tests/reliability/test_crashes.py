"""A sync killed at any point is finished by the next run, and the warehouse ends as if it never was.

``ledgerline sync`` runs as a subprocess against a sandbox served by this process, and kills
itself with ``SIGKILL`` at one of ten seeded points (``LEDGERLINE_CRASH_AT``, see
:mod:`pipelines.crashpoints`): during extraction, before and inside normalize, before and
between load jobs, between models of the build, and before the published copy is replaced;
five in a first (full) sync, five in an incremental one. Right after the crash no vendor's
watermarks are ahead of what the warehouse committed unless a pending load package carries
the data they describe; then ``ledgerline sync`` again, without the hook, must end with the
raw tables, the models and the published copy of an uninterrupted run.
"""

from __future__ import annotations

import json
import random
import shutil
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dlt.common.versioned_state import decompress_state

from pipelines import config
from sandbox.server import Sandbox
from tests.reliability.helpers import (
    TableSnapshot,
    assert_same,
    cli_env,
    run_cli,
    snapshot,
)

pytestmark = pytest.mark.slow  # end to end against the sandbox: `make test-fast` skips it

SEED = 21
SCALE = 100
DAYS = 3
_rng = random.Random(2026)  # the seeded crash points: (phase, point, n-th time it is passed)
POINTS = [
    ("full", "extract.page", _rng.randint(2, 20)),
    ("full", "normalize.progress", _rng.randint(1, 8)),
    ("full", "load.job", _rng.randint(1, 40)),
    ("full", "transform.model", _rng.randint(1, 60)),
    ("full", "publish", 1),
    ("incremental", "extract.page", _rng.randint(2, 20)),
    ("incremental", "normalize.start", _rng.randint(1, 5)),
    ("incremental", "load.start", _rng.randint(1, 5)),
    # an incremental run loads only what changed: about 15 load jobs at this scale
    ("incremental", "load.job", _rng.randint(1, 12)),
    ("incremental", "transform.model", _rng.randint(1, 60)),
]


@dataclass
class Reference:
    sandbox: Sandbox
    snapshot: dict[str, TableSnapshot]
    template: Path | None  # a home synced at the day before (for incremental scenarios)


def sync_args(sb: Sandbox) -> list[str]:
    return ["sync", "--as-of", sb.world.clock.isoformat()]


def synced(home: Path, sb: Sandbox, api: str) -> None:
    result = run_cli(sync_args(sb), cli_env(home, sb.env(), PREFECT_API_URL=api))
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.fixture(scope="module")
def full(prefect_api: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reference]:
    """A sandbox at its first day, and the warehouse an uninterrupted first sync builds."""
    sb = Sandbox(seed=SEED, scale=SCALE, hoursmith_plan="unlimited").start()
    home = tmp_path_factory.mktemp("full") / "home"
    try:
        synced(home, sb, prefect_api)
        yield Reference(sb, snapshot(home / config.WAREHOUSE_FILE), None)
    finally:
        sb.stop()


@pytest.fixture(scope="module")
def incremental(prefect_api: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reference]:
    """A sandbox ``DAYS`` later, a home synced before that (the template), and the warehouse an
    uninterrupted incremental sync builds from it."""
    sb = Sandbox(seed=SEED, scale=SCALE, hoursmith_plan="unlimited").start()
    root = tmp_path_factory.mktemp("incremental")
    try:
        synced(root / "template", sb, prefect_api)
        sb.advance(DAYS)
        shutil.copytree(root / "template", root / "home")
        synced(root / "home", sb, prefect_api)
        yield Reference(sb, snapshot(root / "home" / config.WAREHOUSE_FILE), root / "template")
    finally:
        sb.stop()


def pending(pipeline_dir: Path) -> bool:
    """Whether dlt holds a load package not yet loaded (extracted or normalized)."""
    return any(
        any(d.iterdir())
        for d in (pipeline_dir / "normalize" / "extracted", pipeline_dir / "load" / "normalized")
        if d.is_dir()
    )


def committed_sources(home: Path, vendor: str) -> dict[str, Any]:
    """The sources' state (watermarks, last reconciles) of the newest pipeline state the
    warehouse holds from a finished load (empty before the first)."""
    path = home / config.WAREHOUSE_FILE
    if not path.exists():
        return {}
    ds = config.dataset(vendor)
    con = duckdb.connect(str(path), read_only=True)
    try:
        row = con.execute(
            f'select s.state from "{ds}"._dlt_pipeline_state s '
            f'join "{ds}"._dlt_loads l on l.load_id = s._dlt_load_id and l.status = 0 '
            "order by s.version desc limit 1"
        ).fetchone()
    except duckdb.CatalogException:
        return {}
    finally:
        con.close()
    return decompress_state(row[0]).get("sources", {}) if row else {}


def assert_state_not_ahead(home: Path) -> None:
    """Every vendor's local state (its watermarks) is the one the warehouse committed, or a
    pending load package carries it with its data to the next run."""
    for vendor in config.VENDORS:
        pdir = home / "pipelines" / f"ledgerline_{vendor}"
        state_file = pdir / "state.json"
        if not state_file.exists():
            continue
        local = json.loads(state_file.read_text()).get("sources", {})
        if local != committed_sources(home, vendor):
            assert pending(pdir), (
                f"{vendor}: watermarks {local} are ahead of the warehouse with nothing pending"
            )


@pytest.mark.timeout(900)
@pytest.mark.parametrize(
    ("phase", "point", "n"), POINTS, ids=[f"{ph}-{pt}:{n}" for ph, pt, n in POINTS]
)
def test_killed_sync_is_finished_by_the_next_run(
    request: pytest.FixtureRequest, prefect_api: str, tmp_path: Path, phase: str, point: str, n: int
) -> None:
    ref: Reference = request.getfixturevalue(phase)
    home = tmp_path / "home"
    if ref.template is not None:
        shutil.copytree(ref.template, home)
    env = cli_env(home, ref.sandbox.env(), PREFECT_API_URL=prefect_api)

    crashed = run_cli(sync_args(ref.sandbox), {**env, "LEDGERLINE_CRASH_AT": f"{point}:{n}"})
    assert crashed.returncode == -signal.SIGKILL, (
        f"the sync was not killed at {point}:{n} (exit {crashed.returncode}): {crashed.stderr[-2000:]}"
    )
    assert_state_not_ahead(home)

    resumed = run_cli(sync_args(ref.sandbox), env)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert_same(snapshot(home / config.WAREHOUSE_FILE), ref.snapshot)
    published = snapshot(home / "published" / config.WAREHOUSE_FILE, schemas=("core", "marts"))
    main = {k: v for k, v in ref.snapshot.items() if k.startswith(("core.", "marts."))}
    assert_same(published, main, "the published copy is not the last build")
    assert not list((home / "published").glob(".publishing-*")), (
        "a killed publish left its temporary file"
    )
