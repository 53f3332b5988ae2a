"""``ledgerline report``: one self-contained HTML page for finance.

Receivables aging, top overdue customers, DSO trend, the VAT return of the last closed quarter
(by country, with the French CA3 and UK 9-box tables), skonto opportunities and data-quality
counts, plus what the numbers were built for. Charts are inline SVG drawn by matplotlib; the
page loads nothing (no scripts, stylesheets, fonts or images from anywhere), so it works
offline and can be mailed as one file.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from pipelines.reporting import charts
from pipelines.reporting.data import ReportData, load, total

TEMPLATE = "report.html.j2"


def money(value: Decimal | float | int | None, empty: str = "–") -> Markup:
    """``1,234.56``; negatives marked for the stylesheet; ``empty`` for null."""
    if value is None:
        return Markup(empty)
    text = f"{Decimal(str(value)):,.2f}"
    if text.startswith("-"):
        return Markup('<span class="neg">−{}</span>').format(text[1:])
    return Markup(text)


def rate(value: Decimal | float | None) -> str:
    return "–" if value is None else f"{Decimal(str(value)).normalize():f}"


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(Path(__file__).resolve().parent),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = money
    env.filters["rate"] = rate
    return env


def draw(d: ReportData) -> dict[str, Markup | None]:
    """The report's charts as inline SVG (None where there is nothing to draw)."""
    out: dict[str, Markup | None] = dict.fromkeys(("aging", "overdue", "dso", "vat", "quality"))
    aging = d.converted_aging
    if aging is not None:
        out["aging"] = Markup(charts.aging_chart({b: aging[b] for b in charts.BUCKETS}, d.currency))
    if d.top_overdue:
        over_60 = [r["over_60_days"] or Decimal(0) for r in d.top_overdue]
        low = [r["overdue_amount"] - o for r, o in zip(d.top_overdue, over_60, strict=True)]
        names = [r["customer_name"] or r["unified_customer_id"] for r in d.top_overdue]
        out["overdue"] = Markup(charts.overdue_chart(names, low, over_60, d.currency))
    if any(r["dso_days"] is not None for r in d.dso):
        partial = bool(d.dso) and d.dso[-1]["month_end"] == d.as_of
        svg = charts.dso_chart(
            [r["period"] for r in d.dso], [r["dso_days"] for r in d.dso], partial
        )
        out["dso"] = Markup(svg)
    if d.vat_by_country:
        out["vat"] = Markup(
            charts.vat_chart(
                [r["country"] for r in d.vat_by_country],
                [r.get("accrual_net_vat_due") for r in d.vat_by_country],
                [r.get("cash_net_vat_due") for r in d.vat_by_country],
                d.currency,
                d.quarter,
            )
        )
    if d.quality:
        labels = [f"{r['check'].replace('_', ' ')} ({r['severity']})" for r in d.quality]
        out["quality"] = Markup(
            charts.quality_chart(
                labels, [r["issues"] for r in d.quality], [r["severity"] for r in d.quality]
            )
        )
    return out


def render(con: duckdb.DuckDBPyConnection, generated_at: datetime | None = None) -> str:
    """The report page for the warehouse behind ``con``."""
    d = load(con)
    stamp = (generated_at or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    return (
        _environment()
        .get_template(TEMPLATE)
        .render(
            d=d,
            charts=draw(d),
            buckets=charts.BUCKETS,
            generated_at=stamp,
            skonto_total=total([r["discount_amount_rc"] for r in d.skonto]),
        )
    )


def write_report(out: Path, con: duckdb.DuckDBPyConnection) -> Path:
    """Render the report and write it to ``out`` (atomically); returns ``out``."""
    html = render(con)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(out)
    return out


def built_as_of(con: duckdb.DuckDBPyConnection) -> date:
    """The as-of date the published models were built for."""
    return con.sql("select as_of_date from core.parameters").fetchall()[0][0]


def make_report(
    out: Path | None = None, as_of: date | None = None, say: Callable[[str], object] = print
) -> Path:
    """``ledgerline report``: render the published warehouse (or a rebuild as of ``as_of``).

    When ``as_of`` differs from the date the published models were built for, the published
    warehouse is copied to a temporary directory, its models are rebuilt there for ``as_of``
    (same reporting currency) and the report is rendered from the copy: the published
    warehouse, and everyone reading it, is left as it is. The temporary copy is deleted.
    """
    from pipelines import config
    from warehouse import connect, published_path

    target = out or config.home() / "report.html"
    con = connect()
    try:
        built, currency = con.sql(
            "select as_of_date, reporting_currency from core.parameters"
        ).fetchall()[0]
        if as_of is None or as_of == built:
            write_report(target, con)
            say(f"Wrote {target} (as of {built}, {currency}).")
            return target
    finally:
        con.close()
    from transforms.build import build

    with tempfile.TemporaryDirectory(prefix="ledgerline-report-") as tmp:
        copy = Path(tmp) / "ledgerline.duckdb"
        shutil.copyfile(published_path(), copy)
        say(
            f"The published models are as of {built}: rebuilding a temporary copy as of {as_of} ..."
        )
        build(copy, as_of=as_of, currency=currency)
        con = duckdb.connect(str(copy), read_only=True)
        try:
            write_report(target, con)
        finally:
            con.close()
    say(f"Wrote {target} (as of {as_of}, {currency}; the published warehouse stays as of {built}).")
    return target
