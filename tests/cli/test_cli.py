"""The ledgerline command line, run as a user runs it (a subprocess), against the sandbox."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.server import Sandbox

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *args],
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "160", **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def sandbox_env(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    sb = Sandbox(seed=31, scale=300, hoursmith_plan="unlimited").start()
    home = tmp_path_factory.mktemp("home")
    yield sb, {**sb.env(), "LEDGERLINE_HOME": str(home)}
    sb.stop()


@pytest.mark.timeout(600)
def test_demo_runs_end_to_end(tmp_path: Path) -> None:
    """What `make demo` runs, at a small scale: sync, incremental sync, models, reports."""
    out = run(
        "demo", "--scale", "300", env={"LEDGERLINE_HOME": str(tmp_path / "demo")}, timeout=600
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    text = out.stdout
    for expected in (
        "Receivables aging as of",
        "VAT return, last closed quarter",
        "France CA3",
        "UK VAT return",
        "Warehouse:",
        "Query it:",
        "Incremental sync",
        "Total",
    ):
        assert expected in text, expected
    assert (tmp_path / "demo" / "published" / "ledgerline.duckdb").exists()
    assert "Traceback" not in out.stdout + out.stderr


@pytest.mark.timeout(600)
def test_sync_transform_status(sandbox_env) -> None:  # type: ignore[no-untyped-def]
    _sb, env = sandbox_env
    synced = run("sync", "--source", "baloom", "--source", "wuro", env=env)
    assert synced.returncode == 0, synced.stdout[-2000:] + synced.stderr[-2000:]
    assert "Synced baloom, wuro" in synced.stdout
    built = run("transform", "--as-of", "2026-10-31", "--currency", "GBP", env=env)
    assert built.returncode == 0, built.stderr
    assert "as of 2026-10-31 (GBP)" in built.stdout
    status = run("status", env=env)
    assert status.returncode == 0
    lines = {
        line.split()[1]: line
        for line in status.stdout.splitlines()
        if line.startswith("│ ") and len(line.split()) > 2
    }
    assert "never" not in lines["baloom"] and "never" not in lines["wuro"]
    assert "never" in lines["katsu"]


def test_errors_are_one_sentence_with_nonzero_exit(sandbox_env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _sb, env = sandbox_env
    for args, needle in (
        (("sync", "--source", "nosuchvendor"), "unknown source 'nosuchvendor'"),
        (("transform", "--as-of", "yesterday"), "--as-of must be a date"),
        (("transform",), "run `ledgerline sync` first"),
    ):
        extra = {"LEDGERLINE_HOME": str(tmp_path / "empty")} if args == ("transform",) else {}
        out = run(*args, env={**env, **extra})
        assert out.returncode != 0, args
        message = out.stderr.strip()
        assert needle in message, (args, message)
        assert "Traceback" not in message and len(message.splitlines()) <= 3
