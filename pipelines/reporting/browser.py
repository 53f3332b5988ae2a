"""Headless Chromium for the report's test and screenshot (Debian's ``chromium``, never a download).

Playwright drives the system browser at ``CHROMIUM`` (``LEDGERLINE_CHROMIUM`` overrides it) with
a fresh profile in a temporary directory and no background networking. Install the browser
with ``scripts/ensure-chromium.sh`` (``apt-get install chromium`` when missing).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = Path(os.environ.get("LEDGERLINE_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def available() -> bool:
    return CHROMIUM.exists()


@contextmanager
def page(width: int = 1280, height: int = 900, scale: float = 1.0) -> Iterator[Any]:
    """A Playwright page in a fresh headless Chromium; closed (and its profile removed) after."""
    from playwright.sync_api import sync_playwright

    if not available():
        raise FileNotFoundError(f"no Chromium at {CHROMIUM}: run scripts/ensure-chromium.sh")
    with (
        tempfile.TemporaryDirectory(prefix="ledgerline-chromium-") as profile,
        sync_playwright() as pw,
    ):
        context = pw.chromium.launch_persistent_context(
            profile,  # --user-data-dir: a fresh profile every time
            executable_path=str(CHROMIUM),
            headless=True,
            args=ARGS,
            viewport={"width": width, "height": height},
            device_scale_factor=scale,
            offline=True,
        )
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()
