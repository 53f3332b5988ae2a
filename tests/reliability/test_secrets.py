"""No credential is ever written anywhere: logs, the warehouse, pipeline state, Prefect.

The sandbox accepts a set of distinctive fake credentials. ``ledgerline sync`` runs with them
(and with ``LEDGERLINE_DEBUG=1``, tracebacks and debug logs included), once successfully and
once with one of them wrong; the sync flow also runs in this process under the Prefect test
harness. Then every byte they produced is searched for every credential: the command's output,
every file under ``LEDGERLINE_HOME`` (the main and the published DuckDB files searched through
SQL as well, every string column and dlt's compressed state; load packages' Parquet and gzip
files decoded), and the Prefect artifacts and logs read back from the API.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from dlt.common.versioned_state import decompress_state

from sandbox.server import Sandbox
from sandbox.vendors import Credentials
from tests.reliability.helpers import cli_env, run_cli

pytestmark = pytest.mark.slow  # end to end against the sandbox: `make test-fast` skips it

CANARY = Credentials(
    baloom_api_key="blm_CANARY-baloom-key-5b1e9f0c7d",
    katsu_token="katsu_CANARY-katsu-token-8e2f4a6b",
    ibana_token="ibn_CANARY-ibana-token-3c7d9e1f",
    wuro_app_id="CANARYwuroAppId47a1",
    wuro_app_secret="CANARY-wuro-app-secret-0d9c8b7a",
    hoursmith_token="hsk_test_CANARYprefix_CANARYsecretCANARYsecretCANARYse",
)
SECRETS = [
    CANARY.baloom_api_key,
    CANARY.katsu_token,
    CANARY.ibana_token,
    CANARY.wuro_app_id,
    CANARY.wuro_app_secret,
    CANARY.hoursmith_token,
]
FRAGMENTS = [s.split("CANARY", 1)[1][:12] for s in SECRETS]  # a secret cut down is a secret too


def leaks(text: str | bytes) -> list[str]:
    """The secrets (or distinctive fragments of them) found in ``text``."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return [s for s in [*SECRETS, *FRAGMENTS] if s in text]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    sb = Sandbox(seed=9, scale=120, hoursmith_plan="unlimited", credentials=CANARY).start()
    yield sb
    sb.stop()


def warehouse_leaks(path: Path) -> list[str]:
    """Secrets in any string of any table (dlt's compressed pipeline state decoded)."""
    found: list[str] = []
    con = duckdb.connect(str(path), read_only=True)
    try:
        cols = con.execute(
            "select schema_name, table_name, column_name from duckdb_columns() "
            "where data_type in ('VARCHAR', 'JSON') and not internal"
        ).fetchall()
        for schema, table, col in cols:
            for (value,) in con.execute(
                f'select "{col}" from "{schema}"."{table}" where "{col}" is not null'
            ).fetchall():
                found += [f"{schema}.{table}.{col}: {s}" for s in leaks(value)]
                if table == "_dlt_pipeline_state" and col == "state":
                    found += [
                        f"{schema}.{table} (decompressed): {s}"
                        for s in leaks(str(decompress_state(value)))
                    ]
    finally:
        con.close()
    return found


def file_leaks(root: Path) -> list[str]:
    """Secrets in any file under ``root``: raw bytes, and decoded gzip and Parquet files."""
    found: list[str] = []
    files = [p for p in root.rglob("*") if p.is_file()]
    assert files, f"nothing under {root}"
    for path in files:
        data = path.read_bytes()
        found += [f"{path}: {s}" for s in leaks(data)]
        if path.suffix == ".gz":
            found += [f"{path} (gunzipped): {s}" for s in leaks(gzip.decompress(data))]
        if path.suffix == ".parquet":
            found += [f"{path} (decoded): {s}" for s in leaks(str(pq.read_table(path).to_pylist()))]
        if path.suffix == ".duckdb" and not path.name.startswith("."):
            found += warehouse_leaks(path)
    return found


def test_no_secret_in_output_files_warehouse_or_state(
    prefect_api: str, sandbox: Sandbox, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    clock = sandbox.world.clock.isoformat()
    outputs = []
    env = cli_env(home, sandbox.env(), PREFECT_API_URL=prefect_api, LEDGERLINE_DEBUG="1")
    assert sandbox.env()["SOURCES__HOURSMITH__TOKEN"] == CANARY.hoursmith_token
    ok = run_cli(["sync", "--as-of", clock], env)
    assert ok.returncode == 0, ok.stderr[-3000:]
    outputs.append(ok.stdout + ok.stderr)
    # a failure's message, traceback and logs: the wrong key must not show either
    wrong = run_cli(
        ["sync", "--source", "baloom"],
        {**env, "SOURCES__BALOOM__API_KEY": "blm_CANARY-wrong-key-99aa"},
    )
    assert wrong.returncode != 0
    outputs.append(wrong.stdout + wrong.stderr)
    status = run_cli(["status"], env)
    outputs.append(status.stdout + status.stderr)

    assert "Traceback" in outputs[1] or "DEBUG" in outputs[0]  # debug output was really on
    for text in outputs:
        assert leaks(text) == [] and "CANARY-wrong-key" not in text
    assert (home / "published" / "ledgerline.duckdb").exists()
    assert (home / "pipelines").is_dir()
    assert file_leaks(home) == []


def test_no_secret_in_prefect_artifacts_or_logs(
    prefect_api: str, sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect.client.orchestration import get_client

    from flows.sync import sync_flow

    monkeypatch.setenv("LEDGERLINE_HOME", str(tmp_path / "home"))
    for key, value in sandbox.env().items():
        monkeypatch.setenv(key, value)
    result = sync_flow(vendors=["baloom", "wuro", "hoursmith"], as_of=sandbox.world.clock)
    assert result["transform"]["models"] > 10
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts()
        logs = client.read_logs()
        runs = client.read_flow_runs()
    assert {a.key for a in artifacts} >= {"ledgerline-sync-summary", "ledgerline-receivables-aging"}
    for artifact in artifacts:
        assert leaks(str(artifact.data)) == [] and leaks(str(artifact.description)) == [], (
            artifact.key
        )
    assert logs
    for log in logs:
        assert leaks(log.message) == [], log.message[:200]
    for run in runs:
        assert leaks(str(run.parameters)) == [], run.name
    assert file_leaks(tmp_path / "home") == []


def test_the_search_finds_a_planted_secret(tmp_path: Path) -> None:
    import pyarrow as pa

    secret = CANARY.wuro_app_secret
    (tmp_path / "a.gz").write_bytes(gzip.compress(secret.encode()))
    pq.write_table(pa.table({"x": [secret]}), tmp_path / "b.parquet", compression="zstd")
    con = duckdb.connect(str(tmp_path / "c.duckdb"))
    con.execute("create table t as select ? as v", ["prefix " + secret])
    con.close()
    found = file_leaks(tmp_path)
    assert any("a.gz (gunzipped)" in f for f in found)
    assert any("b.parquet (decoded)" in f for f in found)
    assert any("main.t.v" in f for f in found)


@pytest.mark.parametrize(
    ("headers", "secret"),
    [
        ({"Authorization": f"Bearer {CANARY.hoursmith_token}"}, CANARY.hoursmith_token),
        ({"X-API-Key": CANARY.baloom_api_key}, CANARY.baloom_api_key),
        (
            {"X-APP-ID": CANARY.wuro_app_id, "X-APP-SECRET": CANARY.wuro_app_secret},
            CANARY.wuro_app_secret,
        ),
    ],
)
def test_a_vendor_echoing_the_credential_does_not_put_it_in_the_error(
    headers: dict[str, str], secret: str
) -> None:
    import httpx

    from sources.http import ApiClient, SourceError

    echo = f'{{"error": {{"code": "bad_request", "message": "token {secret} is not valid here"}}}}'
    client = ApiClient(
        "hoursmith",
        "http://vendor.test",
        {**headers, "Accept": "application/json"},
        credential_hint="X",
        transport=httpx.MockTransport(lambda req: httpx.Response(400, text=echo)),
    )
    with pytest.raises(SourceError) as info:
        client.get("/invoices")
    assert leaks(str(info.value)) == [] and secret not in str(info.value)
    assert "***" in str(info.value)
