"""Screenshot the HTML report at sandbox scale into docs/report.png, with the test's Chromium.

    .venv/bin/python scripts/screenshot_report.py                 # builds the demo world first
    .venv/bin/python scripts/screenshot_report.py --home data/demo  # an already built warehouse

Without ``--home`` it syncs the embedded sandbox (the demo's world: seed 42, 2,000 invoices per
vendor) into a temporary ``LEDGERLINE_HOME`` twice, three days apart, builds and publishes the
models, renders ``ledgerline report`` and takes a full-page screenshot in headless Chromium.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")


def build_sandbox_warehouse(home: Path, seed: int, scale: int) -> None:
    """Sync the sandbox into ``home`` (full, then incremental), build and publish the models."""
    from pipelines.sync import sync
    from sandbox.server import Sandbox
    from transforms.build import build
    from warehouse import publish

    os.environ["LEDGERLINE_HOME"] = str(home)
    sandbox = Sandbox(seed=seed, scale=scale, hoursmith_plan="unlimited").start()
    try:
        os.environ.update(sandbox.env())
        for step in range(2):
            if step:
                sandbox.advance(3)
            errors = [r.error for r in sync() if r.error]
            if errors:
                raise SystemExit(f"sync failed: {errors[0]}")
        build(as_of=sandbox.world.clock)
        publish()
    finally:
        sandbox.stop()


def screenshot(html: Path, png: Path, width: int) -> None:
    from pipelines.reporting import browser

    with browser.page(width=width, height=900) as page:
        page.goto(html.as_uri(), wait_until="load")
        png.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(png), full_page=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--home", type=Path, help="LEDGERLINE_HOME of a built warehouse (default: build one)"
    )
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "report.png")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--scale", type=int, default=2000)
    parser.add_argument("--width", type=int, default=1440)
    args = parser.parse_args()
    from pipelines.reporting import make_report

    with tempfile.TemporaryDirectory(prefix="ledgerline-screenshot-") as tmp:
        home = args.home.resolve() if args.home else Path(tmp) / "home"
        if args.home is None:
            print(
                f"Building a sandbox warehouse (seed {args.seed}, scale {args.scale}) in {home} ..."
            )
            home.mkdir()
            build_sandbox_warehouse(home, args.seed, args.scale)
        os.environ["LEDGERLINE_HOME"] = str(home)
        html = make_report(Path(tmp) / "report.html")
        screenshot(html, args.out.resolve(), args.width)
    print(f"Wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
