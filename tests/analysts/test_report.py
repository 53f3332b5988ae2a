"""``ledgerline report``: one self-contained page whose charts draw in headless Chromium."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.reporting import browser

CHARTS = {"aging", "overdue", "dso", "vat", "quality"}
runner = CliRunner()


@pytest.fixture(scope="module")
def report(analyst_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "report.html"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LEDGERLINE_HOME", str(analyst_home))
        result = runner.invoke(app, ["report", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_report_is_self_contained(report: Path) -> None:
    html = report.read_text()
    assert "<script" not in html and "<link" not in html and "@import" not in html
    assert not re.search(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", html), (
        "nothing may be fetched"
    )
    assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", html)
    assert {m for m in re.findall(r'data-chart="([a-z]+)"', html)} == CHARTS
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), "element ids must be unique across the inline SVGs"
    for heading in (
        "Receivables aging",
        "Top overdue customers",
        "Days sales outstanding",
        "VAT return, ",
        "Skonto opportunities",
        "Data quality",
        "France, CA3 lines",
        "United Kingdom, VAT return boxes",
    ):
        assert heading in html, heading


def test_report_says_what_it_was_built_for(report: Path, con: duckdb.DuckDBPyConnection) -> None:
    sql = "select as_of_date, reporting_currency from core.parameters"
    as_of, currency = con.sql(sql).fetchall()[0]
    html = report.read_text()
    assert f'<dd id="as-of">{as_of}</dd>' in html and f'<dd id="currency">{currency}</dd>' in html


@pytest.mark.skipif(
    not browser.available(),
    reason=f"no Chromium at {browser.CHROMIUM}: run scripts/ensure-chromium.sh",
)
def test_report_draws_in_headless_chromium(report: Path) -> None:
    errors: list[str] = []
    requests: list[str] = []
    with browser.page() as page:
        bad = ("error", "assert")
        page.on(
            "console", lambda m: errors.append(f"{m.type}: {m.text}") if m.type in bad else None
        )
        page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(report.as_uri(), wait_until="load")
        charts = page.evaluate(
            """() => [...document.querySelectorAll("figure.chart svg")].map(svg => {
                const box = svg.getBoundingClientRect();
                const drawn = [...svg.querySelectorAll("path, use")].filter(p => {
                    const b = p.getBBox(); return b.width > 0 || b.height > 0; });
                return {name: svg.dataset.chart, width: box.width, height: box.height,
                        paths: svg.querySelectorAll("path").length, drawn: drawn.length};
            })"""
        )
        as_of = page.text_content("#as-of")
    assert not errors, errors
    assert [u for u in requests if not u.startswith("file://")] == []
    assert {c["name"] for c in charts} == CHARTS
    for c in charts:
        assert c["width"] > 200 and c["height"] > 100, c
        assert c["paths"] > 10 and c["drawn"] > 10, c
    assert as_of and date.fromisoformat(as_of)


def test_report_default_path_and_as_of_rebuild(own_home: Path) -> None:
    own = own_home
    result = runner.invoke(app, ["report", "--as-of", "2026-07-01"])
    assert result.exit_code == 0, result.output
    html = (own / "report.html").read_text()
    assert '<dd id="as-of">2026-07-01</dd>' in html and "VAT return, 2026-Q2" in html
    assert "published warehouse stays as of" in result.output
    from warehouse import connect

    c = connect()
    try:  # the published warehouse is left as it was
        assert c.sql("select as_of_date from core.parameters").fetchall()[0][0] != date(2026, 7, 1)
    finally:
        c.close()


def test_report_errors_are_one_clear_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEDGERLINE_HOME", str(tmp_path))
    result = runner.invoke(app, ["report"])
    assert result.exit_code == 1 and "run `ledgerline sync`" in result.output
    result = runner.invoke(app, ["report", "--as-of", "30/06/2026"])
    assert result.exit_code == 2 and "--as-of must be a date" in result.output


def test_report_of_an_empty_warehouse(tmp_path: Path) -> None:
    from pipelines.reporting import render
    from transforms.build import build

    path = tmp_path / "empty.duckdb"
    build(path, as_of=date(2026, 1, 31))
    c = duckdb.connect(str(path), read_only=True)
    try:
        html = render(c)
    finally:
        c.close()
    assert "data-chart=" not in html and "No open receivables." in html
    assert "No VAT in 2025-Q4." in html and "No discount can still be taken." in html
