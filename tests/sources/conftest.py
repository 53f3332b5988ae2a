"""Fixtures of the source tests: an isolated ledgerline home per test, pointed at a sandbox."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from sandbox.server import Sandbox
from sandbox.world.model import Document, Event


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh ``LEDGERLINE_HOME`` (warehouse and pipeline state) for one test."""
    monkeypatch.setenv("LEDGERLINE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
    return tmp_path / "home"


@pytest.fixture
def point_at(monkeypatch: pytest.MonkeyPatch, home: Path) -> Callable[[Sandbox], None]:
    """Point the sources' configuration (environment) at a sandbox."""

    def use(sb: Sandbox) -> None:
        for name, value in sb.env().items():
            monkeypatch.setenv(name, value)

    return use


def _hard_delete(sb: Sandbox, doc: Document) -> None:
    at = sb.world.now + timedelta(hours=12)
    doc.events.append(Event(at, "delete", "hard"))
    doc.events.sort(key=lambda e: e.at)
    sb.world._watch[at.date()].append(doc)


@pytest.fixture
def hard_delete() -> Callable[[Sandbox, Document], None]:
    """Delete a document for good at the sandbox's next day, as the world records a delete.

    The sandbox world deletes few documents (and ibana's none), so tests plan one.
    """
    return _hard_delete
