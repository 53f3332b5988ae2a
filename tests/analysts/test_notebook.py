"""notebooks/receivables_and_vat.ipynb runs end to end, headless, against a sandbox warehouse.

The kernel is this interpreter (the project's venv): a kernelspec written into a temporary
``JUPYTER_PATH`` for the test, so nothing depends on a user-level Jupyter set-up.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.analysts.conftest import REPO

NOTEBOOK = REPO / "notebooks" / "receivables_and_vat.ipynb"
KERNEL = "ledgerline-test"


def kernelspec(root: Path) -> Path:
    """A kernelspec for ``sys.executable`` under ``root`` (use it as ``JUPYTER_PATH``)."""
    spec = root / "kernels" / KERNEL
    spec.mkdir(parents=True, exist_ok=True)
    argv = [
        sys.executable,
        "-Xfrozen_modules=off",
        "-m",
        "ipykernel_launcher",
        "-f",
        "{connection_file}",
    ]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "ledgerline (venv)", "language": "python"})
    )
    return root


def test_notebook_runs_headless(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JUPYTER_PATH", str(kernelspec(tmp_path / "jupyter")))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.delenv("DISPLAY", raising=False)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name=KERNEL,
        timeout=120,
        startup_timeout=60,
        resources={"metadata": {"path": str(REPO)}},
    )
    client.execute()  # raises CellExecutionError naming the cell when any cell fails

    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 4, "one chart each: aging, DSO, VAT by rate, data quality"
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "Warehouse built as of" in text


def test_notebook_is_committed_without_outputs() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    assert all(
        not c.get("outputs") and c.get("execution_count") is None
        for c in nb.cells
        if c.cell_type == "code"
    )
