"""The ``ledgerline`` command line."""

from __future__ import annotations

import sys
from datetime import date
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(
    name="ledgerline",
    help="Sync invoicing APIs into DuckDB and report receivables, payables and VAT.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
sandbox_app = typer.Typer(
    help="The embedded API sandbox: five vendor emulators on loopback.", no_args_is_help=True
)
app.add_typer(sandbox_app, name="sandbox")
console = Console()
err = Console(stderr=True)


@sandbox_app.command("serve")
def sandbox_serve(
    scale: Annotated[
        int, typer.Option(help="Invoices per vendor before the clock starts.", min=1)
    ] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the deterministic world.")] = 42,
    faults: Annotated[str, typer.Option(help="Fault profile: none, flaky or hostile.")] = "none",
    port: Annotated[
        int,
        typer.Option(
            help="Admin port; the five vendors take the next five ports. 0 picks free ports.",
            min=0,
            max=65530,
        ),
    ] = 0,
    hoursmith_plan: Annotated[
        str, typer.Option(help="Hoursmith rate-limit plan: studio, agency or unlimited.")
    ] = "studio",
) -> None:
    """Serve all five vendor APIs on 127.0.0.1 until interrupted."""
    from sandbox.server import Sandbox

    try:
        sb = Sandbox(seed=seed, scale=scale, faults=faults, hoursmith_plan=hoursmith_plan)
    except ValueError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None

    def ready() -> None:
        table = Table(
            title=f"ledgerline sandbox (seed {seed}, scale {scale}, faults {faults}, clock {sb.world.clock})"
        )
        table.add_column("vendor")
        table.add_column("base URL")
        for vendor, url in sb.base_urls.items():
            table.add_row(vendor, url)
        table.add_row("admin", sb.admin_url + "  (POST /clock/advance?days=N)")
        console.print(table)
        console.print(
            "Point ledgerline at it with these variables (sandbox credentials, not secrets):"
        )
        for key, value in sb.env().items():
            console.print(f"  export {key}={value}", soft_wrap=True, highlight=False)
        console.print("Press Ctrl+C to stop.")
        sys.stdout.flush()

    try:
        sb.serve_forever(port or None, on_ready=ready)
    except OSError as exc:
        err.print(
            f"[red]error:[/red] cannot listen on 127.0.0.1 port {port}: {exc.strerror}. Choose another --port."
        )
        raise typer.Exit(1) from None


VENDOR_HELP = (
    "Vendor to sync (repeat for several): baloom, katsu, ibana, wuro, hoursmith. Default: all."
)


def _fail(message: str, code: int = 1) -> None:
    err.print(f"[red]error:[/red] {message}", highlight=False)
    raise typer.Exit(code)


def _check_configuration() -> None:
    """Fail in one sentence, before anything runs or is written, on a home or ``.dlt`` file
    that cannot work."""
    from pipelines import config

    try:
        config.check_home()
        config.check_dlt_settings()
    except config.ConfigProblem as exc:
        _fail(str(exc), 2)


def _parse_date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        _fail(f"--as-of must be a date like 2026-09-30, not {value!r}.", 2)
    return None


@app.command()
def sync(
    source: Annotated[list[str] | None, typer.Option("--source", "-s", help=VENDOR_HELP)] = None,
    full_refresh: Annotated[
        bool,
        typer.Option(help="Re-read everything now (a full reconcile) instead of only the changes."),
    ] = False,
    transform: Annotated[
        bool, typer.Option(help="Rebuild the warehouse models after loading.")
    ] = True,
    as_of: Annotated[
        str | None, typer.Option(help="As-of date for the models (YYYY-MM-DD). Default: today.")
    ] = None,
    currency: Annotated[str, typer.Option(help="Reporting currency of the models.")] = "EUR",
) -> None:
    """Sync vendors into the warehouse (through the Prefect sync flow), then rebuild the models."""
    from pipelines import config
    from pipelines.progress import SyncProgress

    vendors = [v.lower() for v in (source or config.VENDORS)]
    unknown = [v for v in vendors if v not in config.VENDORS]
    if unknown:
        _fail(f"unknown source {unknown[0]!r}: choose from {', '.join(config.VENDORS)}.", 2)
    as_of_date = _parse_date(as_of)
    _check_configuration()
    from flows.sync import sync_flow

    with SyncProgress(vendors, console):
        try:
            result = sync_flow(
                vendors=vendors,
                full_refresh=full_refresh,
                transform=transform,
                as_of=as_of_date,
                currency=currency,
            )
        except Exception as exc:  # the flow's message already says what to do
            _fail(_one_line(exc))
    console.print(
        f"Synced {', '.join(vendors)} in {result['seconds']} s into {config.warehouse_path()}"
    )


@app.command()
def transform(
    as_of: Annotated[
        str | None, typer.Option(help="As-of date (YYYY-MM-DD). Default: today.")
    ] = None,
    currency: Annotated[
        str, typer.Option(help="Reporting currency: EUR, GBP, USD or CHF.")
    ] = "EUR",
) -> None:
    """Rebuild the warehouse models (staging, core, marts) in one transaction."""
    from pipelines import config
    from transforms.build import build

    _check_configuration()
    as_of_date = _parse_date(as_of)  # a bad option is reported before anything else
    if not config.warehouse_path().exists():
        _fail(f"there is no warehouse at {config.warehouse_path()}: run `ledgerline sync` first.")
    from warehouse import publish

    try:
        result = build(as_of=as_of_date, currency=currency)
        publish()
    except Exception as exc:
        _fail(_one_line(exc))
    console.print(
        f"Built {len(result.models)} models as of {result.as_of} ({result.currency}) in {result.seconds:.1f} s."
    )


@app.command()
def status() -> None:
    """Last load per vendor, watermarks, row counts, freshness and last errors."""
    from pipelines.status import collect

    table = Table(title="ledgerline status")
    for col in ("vendor", "last load", "age", "rows", "state", "last error"):
        table.add_column(col)
    for row in collect():
        table.add_row(*row)
    console.print(table)


@app.command()
def schedule(
    port: Annotated[
        int, typer.Option(help="Port of the local Prefect server (and its UI) on 127.0.0.1.")
    ] = 4200,
) -> None:
    """Serve the scheduled deployments (hourly incremental sync, nightly reconcile and models).

    Uses the Prefect server at PREFECT_API_URL when set; otherwise starts one on 127.0.0.1
    (the Prefect UI is then at http://127.0.0.1:PORT). Stop with Ctrl+C.
    """
    import os
    import subprocess
    import time

    import httpx

    server = None
    if not os.environ.get("PREFECT_API_URL"):
        api = f"http://127.0.0.1:{port}/api"
        try:
            httpx.get(f"{api}/health", timeout=1)
        except httpx.TransportError:
            console.print(f"Starting a local Prefect server on 127.0.0.1:{port} ...")
            server = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "prefect",
                    "server",
                    "start",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(120):
                try:
                    if httpx.get(f"{api}/health", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.5)
            else:
                server.terminate()
                _fail(f"the Prefect server did not start on port {port}: choose another --port.")
        os.environ["PREFECT_API_URL"] = api
    console.print(
        f"Prefect UI: {os.environ['PREFECT_API_URL'].removesuffix('/api')}  (deployments: hourly-incremental, nightly-reconcile)"
    )
    from flows.deployments import serve_all

    try:
        serve_all()
    finally:
        if server is not None:
            server.terminate()


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


@app.command()
def demo(
    scale: Annotated[
        int, typer.Option(help="Invoices per vendor in the demo world.", min=1)
    ] = 2000,
    seed: Annotated[int, typer.Option(help="Seed of the demo world.")] = 42,
    faults: Annotated[
        str, typer.Option(help="Sandbox fault profile: none, flaky or hostile.")
    ] = "none",
) -> None:
    """Run the product end to end on the embedded sandbox (sync, incremental sync, models, reports)."""
    from pipelines.demo import run_demo

    try:
        run_demo(scale=scale, seed=seed, faults=faults, console=console)
    except Exception as exc:
        _fail(_one_line(exc))


@app.command()
def report(
    as_of: Annotated[
        str | None,
        typer.Option(
            help="Report as of this date (YYYY-MM-DD): the models are rebuilt for it in a "
            "temporary copy; the published warehouse is not changed. Default: the date the "
            "models were built for."
        ),
    ] = None,
    out: Annotated[
        str | None,
        typer.Option(help="HTML file to write. Default: $LEDGERLINE_HOME/report.html."),
    ] = None,
) -> None:
    """Write one self-contained HTML page: aging, DSO, VAT return, skonto, data quality."""
    from pathlib import Path

    from pipelines.reporting import make_report

    as_of_date = _parse_date(as_of)
    try:
        make_report(
            Path(out) if out else None,
            as_of_date,
            say=lambda m: console.print(m, soft_wrap=True, highlight=False),
        )
    except Exception as exc:
        _fail(_one_line(exc))


@app.command()
def export(
    what: Annotated[str, typer.Option(help="What to export: aging, vat or open-items.")],
    fmt: Annotated[
        str, typer.Option("--format", help="File format: csv, xlsx or parquet.")
    ] = "xlsx",
    out: Annotated[
        str | None,
        typer.Option(
            help="Directory to write to (for xlsx also a .xlsx file). "
            "Default: $LEDGERLINE_HOME/exports."
        ),
    ] = None,
    basis: Annotated[
        str | None,
        typer.Option(help="VAT basis for --what vat: accrual (default) or cash."),
    ] = None,
) -> None:
    """Write marts for accountants, decimals exact: csv, xlsx or parquet."""
    from pathlib import Path

    from pipelines import config
    from pipelines.export import ExportError
    from pipelines.export import export as run_export

    try:
        from warehouse import connect

        con = connect()
    except Exception as exc:
        _fail(_one_line(exc))
    try:
        target = Path(out) if out else config.home() / "exports"
        written = run_export(con, what, fmt, target, basis)
    except ExportError as exc:
        _fail(str(exc), 2)
    except Exception as exc:
        _fail(_one_line(exc))
    finally:
        con.close()
    for path in written:
        console.print(f"Wrote {path}", highlight=False)


def main() -> None:
    """Console-script entry point."""
    from pipelines import logs

    logs.configure()
    app()


if __name__ == "__main__":
    main()
