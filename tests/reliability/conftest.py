"""Fixtures of the reliability tests: a Prefect API for ``ledgerline`` subprocesses, homes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def prefect_api() -> Iterator[str]:
    """A temporary Prefect server (``prefect_test_harness``); its API URL, for subprocesses.

    ``ledgerline sync`` runs through the Prefect flow: without ``PREFECT_API_URL`` every
    invocation would start (and wait for) an ephemeral server of its own.
    """
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        url = PREFECT_API_URL.value()
        assert url, "the Prefect test harness gave no API URL"
        yield str(url)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh ``LEDGERLINE_HOME`` for an in-process sync (not created: the sync creates it)."""
    path = tmp_path / "home"
    monkeypatch.setenv("LEDGERLINE_HOME", str(path))
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
    return path
