"""``ledgerline demo``: the whole product, end to end, on the embedded sandbox.

Starts the five emulators on loopback, runs the Prefect sync flow (full load), advances the
sandbox clock a day and syncs again (incremental), builds the models, prints the receivables
aging and the VAT return of the last closed quarter, says where the warehouse is and how to
query it, and stops the sandbox. Prefect runs on its ephemeral server: nothing to start.
"""

from __future__ import annotations

import os
import shutil
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table

DEMO_HOME = Path("data") / "demo"


def last_closed_quarter(today: date) -> tuple[str, list[str]]:
    """The quarter before ``today``'s: its label (2026-Q3) and months (YYYY-MM)."""
    q = (today.month - 1) // 3  # quarters already closed this year
    year = today.year if q > 0 else today.year - 1
    q = q if q > 0 else 4
    months = [f"{year}-{m:02d}" for m in range(3 * q - 2, 3 * q + 1)]
    return f"{year}-Q{q}", months


def _money(value: object) -> str:
    if value is None:
        return "-"
    return f"{Decimal(str(value)):,.2f}"


def run_demo(
    scale: int = 2000, seed: int = 42, faults: str = "none", console: Console | None = None
) -> Path:
    """Run the demo; returns the warehouse path."""
    console = console or Console()
    from sandbox.server import Sandbox

    home = Path(os.environ.get("LEDGERLINE_HOME") or DEMO_HOME).resolve()
    if home.exists():
        shutil.rmtree(home)
    home.mkdir(parents=True)
    os.environ["LEDGERLINE_HOME"] = str(home)
    started = time.perf_counter()
    console.rule("[bold]ledgerline demo")
    console.print(
        f"Starting the sandbox: five vendor APIs on 127.0.0.1 (seed {seed}, {scale:,} invoices per vendor, faults: {faults})"
    )
    sandbox = Sandbox(seed=seed, scale=scale, faults=faults).start()
    saved = {k: os.environ.get(k) for k in sandbox.env()}
    os.environ.update(sandbox.env())
    try:
        from flows.sync import sync_flow
        from pipelines import config
        from pipelines.progress import SyncProgress

        vendors = list(config.VENDORS)
        console.print(f"Full sync through the Prefect flow (sandbox clock {sandbox.world.clock})")
        with SyncProgress(vendors, console):
            sync_flow(vendors=vendors, transform=False)
        sandbox.advance(1)
        console.print(
            f"The sandbox clock moves to {sandbox.world.clock}: new documents, payments, deletes. Incremental sync:"
        )
        with SyncProgress(vendors, console):
            sync_flow(vendors=vendors, transform=True, as_of=sandbox.world.clock)
        as_of = sandbox.world.clock
    finally:
        sandbox.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    from warehouse import published_path

    path = published_path()
    show_reports(path, as_of, console)
    console.rule()
    console.print(
        f"Warehouse: [bold]{path}[/bold]  (built in {time.perf_counter() - started:.0f} s; sandbox stopped)"
    )
    console.print(
        f'Query it:  LEDGERLINE_HOME={home} .venv/bin/python -c "from warehouse import connect; '
        "connect().sql('select * from marts.receivables_aging where is_total').show()\"",
        soft_wrap=True,
        highlight=False,
    )
    return path


def show_reports(path: Path, as_of: date, console: Console) -> None:
    con = duckdb.connect(str(path), read_only=True)
    try:
        _aging(con, as_of, console)
        _vat(con, as_of, console)
        _quality(con, console)
    finally:
        con.close()


def _aging(con: duckdb.DuckDBPyConnection, as_of: date, console: Console) -> None:
    buckets = ["current", "1-30", "31-60", "61-90", "91-120", "120+"]
    t = Table(title=f"Receivables aging as of {as_of}")
    t.add_column("customer")
    t.add_column("cur")
    for b in [*buckets, "total"]:
        t.add_column(b, justify="right")
    top = con.execute(
        f"select customer_name, currency, {', '.join(chr(34) + b + chr(34) for b in buckets)}, total "
        "from marts.receivables_aging where not is_total and is_converted order by total desc limit 8"
    ).fetchall()
    for row in top:
        t.add_row(str(row[0])[:28], row[1], *(_money(v) for v in row[2:]))
    totals = con.execute(
        f"select currency, {', '.join(chr(34) + b + chr(34) for b in buckets)}, total "
        "from marts.receivables_aging where is_total order by is_converted desc, currency"
    ).fetchall()
    for row in totals:
        t.add_row("[bold]Total[/bold]", row[0], *(f"[bold]{_money(v)}[/bold]" for v in row[1:]))
    console.print(t)


def _vat(con: duckdb.DuckDBPyConnection, as_of: date, console: Console) -> None:
    quarter, months = last_closed_quarter(as_of)
    marks = ", ".join(f"'{m}'" for m in months)
    t = Table(
        title=f"VAT return, last closed quarter {quarter} (accrual basis, reporting currency)"
    )
    for col in ("country", "output VAT", "input VAT", "net due"):
        t.add_column(col, justify="right" if col != "country" else "left")
    for row in con.execute(
        "select country, sum(output_vat), sum(input_vat), sum(net_vat_due) from marts.vat_return "
        f"where basis = 'accrual' and period in ({marks}) group by country order by country"
    ).fetchall():
        t.add_row(row[0], *(_money(v) for v in row[1:]))
    console.print(t)
    ca3 = Table(title=f"France CA3 lines, {quarter} (EUR, accrual)")
    for col in ("line", "label", "base", "VAT"):
        ca3.add_column(col, justify="right" if col in ("base", "VAT") else "left")
    for row in con.execute(
        "select line, any_value(label), sum(taxable_base), sum(vat_amount) from marts.vat_return_fr_ca3 "
        f"where basis = 'accrual' and period in ({marks}) group by line "
        "order by array_position(['08','9B','09','T6','16','20','23','28','25'], line)"
    ).fetchall():
        ca3.add_row(row[0], row[1], _money(row[2]) if row[2] is not None else "", _money(row[3]))
    console.print(ca3)
    uk = Table(title=f"UK VAT return (9-box), {quarter} (GBP, accrual)")
    for col in ("box", "description", "amount"):
        uk.add_column(col, justify="right" if col == "amount" else "left")
    for row in con.execute(
        f"select box, label, amount from marts.vat_return_uk_9box where basis = 'accrual' and quarter = '{quarter}' order by box"
    ).fetchall():
        uk.add_row(str(row[0]), row[1], _money(row[2]))
    console.print(uk)


def _quality(con: duckdb.DuckDBPyConnection, console: Console) -> None:
    rows = con.execute(
        'select "check", severity, count(*) from marts.data_quality_issues group by all order by 3 desc'
    ).fetchall()
    if rows:
        t = Table(title="Data quality issues (marts.data_quality_issues)")
        for col in ("check", "severity", "count"):
            t.add_column(col)
        for row in rows:
            t.add_row(row[0], row[1], str(row[2]))
        console.print(t)
    coverage = con.execute(
        "select reason, count(*), sum(gross_amount_rc) from marts.vat_coverage group by reason order by reason"
    ).fetchall()
    for reason, n, amount in coverage:
        console.print(
            f"VAT coverage: {n} documents ({_money(amount)} in reporting currency) {reason.replace('_', ' ')}"
        )
