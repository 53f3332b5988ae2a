"""Where ledgerline keeps its data, and the names of things in the warehouse."""

from __future__ import annotations

import os
from pathlib import Path

VENDORS = ("baloom", "katsu", "ibana", "wuro", "hoursmith")
WAREHOUSE_FILE = "ledgerline.duckdb"


def home() -> Path:
    """``LEDGERLINE_HOME`` (default ``./data``): the warehouse file and all pipeline state."""
    return Path(os.environ.get("LEDGERLINE_HOME", "./data")).resolve()


def warehouse_path() -> Path:
    return home() / WAREHOUSE_FILE


def pipelines_dir() -> Path:
    return home() / "pipelines"


def dataset(vendor: str) -> str:
    return f"raw_{vendor}"
