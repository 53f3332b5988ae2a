"""What a sync costs its process beyond the work: modules it does not need stay unimported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sandbox.server import Sandbox

SYNC = """
import json, sys
from pipelines.sync import sync
results = sync(["hoursmith"])
print(json.dumps({
    "errors": [r.error for r in results if r.error],
    "rows": sum(sum(r.stats.tables.values()) for r in results),
    "sqlalchemy": "sqlalchemy" in sys.modules,
}))
"""


def test_a_sync_loads_without_importing_sqlalchemy(sandbox: Sandbox, tmp_path: Path) -> None:
    env = {**os.environ, **sandbox.env(), "LEDGERLINE_HOME": str(tmp_path / "home")}
    env["RUNTIME__DLTHUB_TELEMETRY"] = "false"
    out = subprocess.run(
        [sys.executable, "-c", SYNC], env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["errors"] == [] and result["rows"] > 0  # it loaded
    assert result["sqlalchemy"] is False


def test_the_warehouse_credentials_show_as_its_path(tmp_path: Path) -> None:
    from pipelines.sync import WarehouseCredentials

    credentials = WarehouseCredentials(global_config={"memory_limit": "64MB"})
    credentials.database = str(tmp_path / "ledgerline.duckdb")
    assert str(credentials) == f"duckdb:///{tmp_path}/ledgerline.duckdb"
    assert credentials.global_config == {"memory_limit": "64MB"}
    assert credentials.session_timezone == "UTC"  # DuckDbCredentials' defaults kept
