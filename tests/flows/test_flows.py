"""Flows, deployments and schedules, under prefect_test_harness; artifacts asserted."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import cast

import pytest
from prefect.testing.utilities import prefect_test_harness

from flows.deployments import HOURLY_CRON, NIGHTLY_CRON, deployments
from sandbox.server import Sandbox


@pytest.fixture(scope="module")
def harness() -> Iterator[None]:
    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def home(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LEDGERLINE_HOME", str(tmp_path))
    sb = Sandbox(seed=13, scale=300, hoursmith_plan="unlimited").start()
    for k, v in sb.env().items():
        monkeypatch.setenv(k, v)
    yield sb
    sb.stop()


def test_deployments_schedules_and_one_run_at_a_time() -> None:
    deps = {d.name: d for d in deployments()}
    assert set(deps) == {"hourly-incremental", "nightly-reconcile"}
    assert deps["hourly-incremental"].schedules[0].schedule.cron == HOURLY_CRON
    assert deps["nightly-reconcile"].schedules[0].schedule.cron == NIGHTLY_CRON
    assert deps["hourly-incremental"].parameters == {"full_refresh": False, "transform": False}
    assert deps["nightly-reconcile"].parameters == {"full_refresh": True, "transform": True}
    for d in deps.values():
        assert d.concurrency_limit == 1


def test_sync_flow_loads_transforms_and_leaves_artifacts(harness, home) -> None:  # type: ignore[no-untyped-def]
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from flows.sync import sync_flow

    result = sync_flow(vendors=["baloom", "wuro"], as_of=home.world.clock)
    assert set(result["vendors"]) == {"baloom", "wuro"}
    assert result["transform"]["models"] > 10
    for vendor in ("baloom", "wuro"):
        stats = result["vendors"][vendor]
        assert stats["requests"] > 0 and stats["rows"] > 0
        assert stats["changes"]["invoices"]["new"] > 0
    with get_client(sync_client=True) as client:
        arts = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(
                    any_=["ledgerline-sync-summary", "ledgerline-receivables-aging"]
                )
            )
        )
    by_key = {a.key: a for a in arts}
    # Artifact.data is typed as a dict, Any or None: markdown and table artifacts hold text
    md = cast(str, by_key["ledgerline-sync-summary"].data)
    assert "| baloom |" in md and "| wuro |" in md
    assert "| baloom | invoices |" in md
    assert "Transforms rebuilt as of" in md
    table = cast(str, by_key["ledgerline-receivables-aging"].data)
    assert "current" in table and "120+" in table


def test_a_vendor_failure_is_one_clear_sentence(harness, home, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from flows.sync import sync_flow
    from pipelines.sync import SyncFailed

    monkeypatch.setenv("SOURCES__BALOOM__API_KEY", "wrong-key")
    with pytest.raises(SyncFailed) as info:
        sync_flow(vendors=["baloom"], transform=False)
    message = str(info.value)
    assert "SOURCES__BALOOM__API_KEY" in message and "wrong-key" not in message
    assert "\n" not in message
    assert os.environ["SOURCES__BALOOM__API_KEY"] == "wrong-key"
