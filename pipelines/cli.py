"""The ``ledgerline`` command line."""

from __future__ import annotations

import sys
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
sandbox_app = typer.Typer(help="The embedded API sandbox: five vendor emulators on loopback.", no_args_is_help=True)
app.add_typer(sandbox_app, name="sandbox")
console = Console()
err = Console(stderr=True)


@sandbox_app.command("serve")
def sandbox_serve(
    scale: Annotated[int, typer.Option(help="Invoices per vendor before the clock starts.", min=1)] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the deterministic world.")] = 42,
    faults: Annotated[str, typer.Option(help="Fault profile: none, flaky or hostile.")] = "none",
    port: Annotated[int, typer.Option(help="Admin port; the five vendors take the next five ports. 0 picks free ports.", min=0, max=65530)] = 0,
    hoursmith_plan: Annotated[str, typer.Option(help="Hoursmith rate-limit plan: studio, agency or unlimited.")] = "studio",
) -> None:
    """Serve all five vendor APIs on 127.0.0.1 until interrupted."""
    from sandbox.server import Sandbox

    try:
        sb = Sandbox(seed=seed, scale=scale, faults=faults, hoursmith_plan=hoursmith_plan)
    except ValueError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None

    def ready() -> None:
        table = Table(title=f"ledgerline sandbox (seed {seed}, scale {scale}, faults {faults}, clock {sb.world.clock})")
        table.add_column("vendor")
        table.add_column("base URL")
        for vendor, url in sb.base_urls.items():
            table.add_row(vendor, url)
        table.add_row("admin", sb.admin_url + "  (POST /clock/advance?days=N)")
        console.print(table)
        console.print("Point ledgerline at it with these variables (sandbox credentials, not secrets):")
        for key, value in sb.env().items():
            console.print(f"  export {key}={value}", soft_wrap=True, highlight=False)
        console.print("Press Ctrl+C to stop.")
        sys.stdout.flush()

    try:
        sb.serve_forever(port or None, on_ready=ready)
    except OSError as exc:
        err.print(f"[red]error:[/red] cannot listen on 127.0.0.1 port {port}: {exc.strerror}. Choose another --port.")
        raise typer.Exit(1) from None


@app.command()
def demo(
    scale: Annotated[int, typer.Option(help="Invoices per vendor in the demo world.", min=1)] = 2000,
    seed: Annotated[int, typer.Option(help="Seed of the demo world.")] = 42,
) -> None:
    """Run the product end to end on the embedded sandbox."""
    from pipelines.demo import run_demo

    run_demo(scale=scale, seed=seed, console=console)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
