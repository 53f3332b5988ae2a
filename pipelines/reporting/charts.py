"""The report's charts: matplotlib figures rendered to inline SVG (no pyplot, no display).

Text is drawn as paths (``svg.fonttype = path``), so a chart needs no font on the reader's
machine; element ids are prefixed per chart so several SVGs can share one HTML page.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from contextlib import AbstractContextManager
from decimal import Decimal

import matplotlib
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

BUCKETS = ("current", "1-30", "31-60", "61-90", "91-120", "120+")
BUCKET_COLORS = ("#4c9a6a", "#c9b458", "#e0913a", "#d8652b", "#b8412c", "#7f1d1d")
BLUE, ORANGE, GREY = "#2b6cb0", "#dd8452", "#8c8c8c"
STYLE = {
    "svg.fonttype": "path",
    "svg.hashsalt": "ledgerline",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
}

_ID = re.compile(r'\bid="([^"]+)"')


def _style() -> AbstractContextManager[None]:
    return matplotlib.rc_context(STYLE)  # type: ignore[arg-type]  # keys are rcParams names


def _thousands(value: float, _pos: object = None) -> str:
    return f"{value:,.0f}"


def _svg(fig: Figure, prefix: str) -> str:
    buf = io.StringIO()
    with _style():
        fig.savefig(buf, format="svg", metadata={"Date": None}, bbox_inches="tight")
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, flags=re.S)
    ids = set(_ID.findall(text))
    for old in sorted(ids, key=len, reverse=True):
        new = f"{prefix}-{old}"
        text = text.replace(f'id="{old}"', f'id="{new}"')
        text = text.replace(f'"#{old}"', f'"#{new}"').replace(f"url(#{old})", f"url(#{new})")
    return text.replace("<svg ", f'<svg class="chart-svg" data-chart="{prefix}" ', 1)


def _figure(width: float = 7.0, height: float = 3.2) -> Figure:
    with _style():
        return Figure(figsize=(width, height), layout="constrained")


def _f(values: Sequence[Decimal | float | int | None]) -> list[float]:
    return [float(v) if v is not None else 0.0 for v in values]


def aging_chart(buckets: dict[str, Decimal | None], currency: str) -> str:
    """Open receivables by aging bucket (reporting currency)."""
    fig = _figure()
    with _style():
        ax = fig.subplots()
        amounts = _f([buckets.get(b) for b in BUCKETS])
        bars = ax.bar(BUCKETS, amounts, color=BUCKET_COLORS)
        ax.bar_label(bars, labels=[f"{a:,.0f}" for a in amounts], fontsize=8, padding=2)
        ax.set_ylabel(currency)
        ax.set_xlabel("days past due")
        ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
        ax.set_title("Open receivables by days past due")
        ax.axhline(0, color=GREY, linewidth=0.6)
    return _svg(fig, "aging")


def overdue_chart(
    names: list[str], up_to_60: list[Decimal], over_60: list[Decimal], currency: str
) -> str:
    """Top overdue customers: overdue up to 60 days and over 60 days, stacked."""
    fig = _figure(height=0.35 * max(len(names), 3) + 1.0)
    with _style():
        ax = fig.subplots()
        labels = [n if len(n) <= 32 else n[:31] + "…" for n in names][::-1]
        low, high = _f(up_to_60)[::-1], _f(over_60)[::-1]
        ax.barh(labels, low, color=BUCKET_COLORS[2], label="1-60 days")
        ax.barh(labels, high, left=low, color=BUCKET_COLORS[5], label="over 60 days")
        ax.xaxis.set_major_formatter(FuncFormatter(_thousands))
        ax.set_xlabel(f"overdue, {currency}")
        ax.legend(loc="lower right", frameon=False)
        ax.set_title("Top overdue customers (all vendors)")
    return _svg(fig, "overdue")


def dso_chart(periods: list[str], dso: list[Decimal | None], partial_last: bool) -> str:
    """Days sales outstanding per month."""
    fig = _figure()
    with _style():
        ax = fig.subplots()
        values = [float(v) if v is not None else float("nan") for v in dso]
        ax.plot(periods, values, color=BLUE, marker="o", markersize=3, linewidth=1.6)
        if partial_last and periods:
            ax.plot(
                periods[-1:],
                values[-1:],
                marker="o",
                color=ORANGE,
                linestyle="none",
                label="current month, to the as-of date",
            )
            ax.legend(loc="upper left", frameon=False)
        ax.set_ylabel("days")
        ax.set_ylim(bottom=0)
        step = max(1, len(periods) // 8)
        ax.set_xticks(
            range(0, len(periods), step), [periods[i] for i in range(0, len(periods), step)]
        )
        ax.grid(axis="y", color="#e5e5e5")
        ax.set_title("Days sales outstanding")
    return _svg(fig, "dso")


def vat_chart(
    countries: list[str],
    accrual: list[Decimal | None],
    cash: list[Decimal | None],
    currency: str,
    quarter: str,
) -> str:
    """Net VAT due per country, accrual and cash basis side by side."""
    fig = _figure(height=3.0)
    with _style():
        ax = fig.subplots()
        x = list(range(len(countries)))
        w = 0.38
        ax.bar([i - w / 2 for i in x], _f(accrual), width=w, color=BLUE, label="accrual")
        ax.bar([i + w / 2 for i in x], _f(cash), width=w, color=ORANGE, label="cash")
        ax.set_xticks(x, countries)
        ax.axhline(0, color=GREY, linewidth=0.6)
        ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
        ax.set_ylabel(currency)
        ax.legend(frameon=False)
        ax.set_title(f"Net VAT due by country, {quarter}")
    return _svg(fig, "vat")


def quality_chart(labels: list[str], counts: list[int], severities: list[str]) -> str:
    """Data-quality issues per check (errors red, warnings amber)."""
    fig = _figure(height=0.35 * max(len(labels), 3) + 1.0)
    with _style():
        ax = fig.subplots()
        colors = [BUCKET_COLORS[5] if s == "error" else BUCKET_COLORS[2] for s in severities]
        bars = ax.barh(labels[::-1], counts[::-1], color=colors[::-1])
        ax.bar_label(bars, fontsize=8, padding=2)
        ax.set_xlabel("issues")
        ax.set_title("Data-quality issues by check")
    return _svg(fig, "quality")
