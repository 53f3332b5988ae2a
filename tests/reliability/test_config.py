"""Bad configuration: one clear sentence naming what to fix, a non-zero exit, nothing written.

Each case runs ``ledgerline sync`` as a user would, in a subprocess: missing credentials, wrong
credentials, a base URL nobody listens on, a ``.dlt/config.toml`` that is not TOML (dlt reads
``./.dlt`` in the working directory), and a ``LEDGERLINE_HOME`` whose parent does not exist.
Afterwards there is no warehouse file and no pipeline state, not even the home directory.
"""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.server import Sandbox
from tests.reliability.helpers import cli_env, error_sentence, run_cli

pytestmark = pytest.mark.slow  # end to end against the sandbox: `make test-fast` skips it


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    sb = Sandbox(seed=5, scale=100, hoursmith_plan="unlimited").start()
    yield sb
    sb.stop()


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def assert_one_sentence_and_nothing_written(
    result: subprocess.CompletedProcess[str], home: Path, *names: str
) -> str:
    assert result.returncode != 0, result.stdout[-2000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    message = error_sentence(result.stderr)
    for name in names:
        assert name in message, message
    assert message.endswith("."), message
    assert message.count(". ") == 0, f"more than one sentence: {message}"
    assert not home.exists(), f"{home} was created: {sorted(p.name for p in home.rglob('*'))}"
    return message


def test_missing_credentials(prefect_api: str, sandbox: Sandbox, tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = cli_env(home, sandbox.env(), PREFECT_API_URL=prefect_api)
    del env["SOURCES__KATSU__TOKEN"]
    result = run_cli(["sync", "--source", "katsu"], env)
    message = assert_one_sentence_and_nothing_written(result, home, "SOURCES__KATSU__TOKEN")
    assert "BASE_URL" not in message  # only what is missing is named


def test_wrong_credentials(prefect_api: str, sandbox: Sandbox, tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = cli_env(
        home,
        sandbox.env(),
        PREFECT_API_URL=prefect_api,
        SOURCES__WURO__APP_SECRET="not-the-secret-4711",
    )
    result = run_cli(["sync", "--source", "wuro"], env)
    assert_one_sentence_and_nothing_written(result, home, "SOURCES__WURO__APP_SECRET", "401")
    assert "not-the-secret-4711" not in result.stderr + result.stdout


@pytest.mark.timeout(300)
def test_unreachable_base_url(prefect_api: str, sandbox: Sandbox, tmp_path: Path) -> None:
    home = tmp_path / "home"
    url = f"http://127.0.0.1:{closed_port()}/api"
    env = cli_env(home, sandbox.env(), PREFECT_API_URL=prefect_api, SOURCES__BALOOM__BASE_URL=url)
    result = run_cli(["sync", "--source", "baloom"], env, timeout=240)
    assert_one_sentence_and_nothing_written(result, home, "SOURCES__BALOOM__BASE_URL", url)


def test_malformed_dlt_config_toml(prefect_api: str, sandbox: Sandbox, tmp_path: Path) -> None:
    home = tmp_path / "home"
    project = tmp_path / "project"
    (project / ".dlt").mkdir(parents=True)
    broken = project / ".dlt" / "config.toml"
    broken.write_text('[sources.baloom\nbase_url = "http://127.0.0.1:1"\n')
    env = cli_env(home, sandbox.env(), PREFECT_API_URL=prefect_api)
    result = run_cli(["sync", "--source", "baloom"], env, cwd=project)
    message = assert_one_sentence_and_nothing_written(result, home, str(broken), "line 1")
    assert "base_url" not in message  # the file's content (maybe secrets) is never echoed


def test_home_whose_parent_does_not_exist(
    prefect_api: str, sandbox: Sandbox, tmp_path: Path
) -> None:
    missing = tmp_path / "no" / "such" / "dir"
    home = missing / "home"
    env = cli_env(home, sandbox.env(), PREFECT_API_URL=prefect_api)
    for command in (["sync", "--source", "baloom"], ["transform"]):
        result = run_cli(command, env)
        assert_one_sentence_and_nothing_written(
            result, tmp_path / "no", "LEDGERLINE_HOME", str(missing)
        )


def test_a_new_home_is_created_when_its_parent_exists(
    prefect_api: str, sandbox: Sandbox, tmp_path: Path
) -> None:
    home = tmp_path / "fresh"
    env = cli_env(home, sandbox.env(), PREFECT_API_URL=prefect_api)
    result = run_cli(["sync", "--source", "baloom", "--no-transform"], env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (home / "ledgerline.duckdb").exists() and (
        home / "pipelines" / "ledgerline_baloom"
    ).is_dir()
