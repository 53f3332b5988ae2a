"""Shared fixtures: sandboxes on loopback, isolated homes, no telemetry."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest

os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

from sandbox.server import Sandbox  # noqa: E402


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    """A small fault-free sandbox shared by one test module (do not advance its clock)."""
    sb = Sandbox(seed=11, scale=300).start()
    yield sb
    sb.stop()


@pytest.fixture
def make_sandbox() -> Iterator[Callable[..., Sandbox]]:
    """Start sandboxes with any options; all are stopped after the test."""
    started: list[Sandbox] = []

    def factory(**kwargs: object) -> Sandbox:
        kwargs.setdefault("seed", 11)
        kwargs.setdefault("scale", 300)
        sb = Sandbox(**kwargs).start()  # type: ignore[arg-type]
        started.append(sb)
        return sb

    yield factory
    for sb in started:
        sb.stop()
