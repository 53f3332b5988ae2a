"""VAT by rate on the accrual and the cash basis, and the VAT coverage report."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal

from sandbox.fx import apply_factor
from sandbox.oracle.ledger import cash_portions, cents, doc_key, period_of
from sandbox.oracle.rows import CoverageRow, DatedPayment, VatRow
from sandbox.world.model import Document, rate_to_decimal

BASES = ("accrual", "cash")
DIRECTION = {"receivable": "output", "payable": "input"}

Cell = tuple[str, str, str, int]  # period, direction, country, rate (bp)


def document_cells(
    doc: Document, basis: str, payments: Sequence[DatedPayment]
) -> dict[Cell, tuple[int, int]]:
    """One document's signed (base, VAT) cents per VAT cell.

    Accrual: the whole own VAT by rate in the issue month. Cash: each payment's portion in the
    payment's month (see :func:`sandbox.oracle.ledger.cash_portions`), summed per cell.
    """
    direction = DIRECTION[doc.direction]
    out: dict[Cell, tuple[int, int]] = {}
    if basis == "accrual":
        period = period_of(doc.issue_date)
        for rate, (base, vat) in doc.own_vat_by_rate.items():
            out[(period, direction, doc.country, rate)] = (doc.sign * base, doc.sign * vat)
        return out
    if basis != "cash":
        raise ValueError(f"unknown VAT basis {basis!r}; choose one of {', '.join(BASES)}")
    for on, rate, base, vat in cash_portions(doc, payments):
        cell = (period_of(on), direction, doc.country, rate)
        b, v = out.get(cell, (0, 0))
        out[cell] = (b + base, v + vat)
    return out


def vat_rows(
    docs: Iterable[Document],
    basis: str,
    payments: Callable[[Document], Sequence[DatedPayment]],
    factor: Callable[[Document], Decimal | None],
) -> list[VatRow]:
    """VAT by (period, direction, country, rate) in the reporting currency.

    Each document's contribution to a cell is converted on its own with the document's factor
    (its issue date), then the cell sums the converted contributions. Documents without VAT
    data or without an exchange rate are left out (they are in the coverage report).

    Args:
        docs: counted documents.
        basis: ``"accrual"`` or ``"cash"``.
        payments: a document's dated payments.
        factor: a document's conversion factor to the reporting currency (``None``: no rate).
    """
    base_sum: dict[Cell, Decimal] = defaultdict(Decimal)
    vat_sum: dict[Cell, Decimal] = defaultdict(Decimal)
    members: dict[Cell, set[str]] = defaultdict(set)
    for doc in docs:
        f = factor(doc)
        if not doc.has_vat or f is None:
            continue
        for cell, (base, vat) in document_cells(doc, basis, payments(doc)).items():
            base_sum[cell] += apply_factor(cents(base), f)
            vat_sum[cell] += apply_factor(cents(vat), f)
            members[cell].add(doc_key(doc))
    rows: list[VatRow] = []
    for cell in sorted(members):
        period, direction, country, rate = cell
        rows.append(
            VatRow(
                period=period,
                basis=basis,
                direction=direction,
                country=country,
                vat_rate=rate_to_decimal(rate),
                taxable_base=base_sum[cell],
                vat_amount=vat_sum[cell],
                document_count=len(members[cell]),
            )
        )
    return rows


def coverage_rows(
    docs: Iterable[Document], factor: Callable[[Document], Decimal | None]
) -> list[CoverageRow]:
    """Counted documents whose VAT is missing (Katsu), derived (Baloom without an order) or not
    convertible (no ECB rate), with their signed gross and VAT."""
    out: list[CoverageRow] = []
    for doc in docs:
        f = factor(doc)
        if not doc.has_vat:
            reason = "no_vat_data"
        elif f is None:
            reason = "no_fx_rate"
        elif doc.vendor == "baloom" and doc.order is None:
            reason = "derived_rate"
        else:
            continue
        gross = cents(doc.sign * doc.own_gross)
        out.append(
            CoverageRow(
                document_key=doc_key(doc),
                source_system=doc.vendor,
                reason=reason,
                direction=DIRECTION[doc.direction],
                country=doc.country,
                period=period_of(doc.issue_date),
                currency=doc.currency,
                gross=gross,
                gross_rc=None if f is None else apply_factor(gross, f),
                vat_amount=cents(doc.sign * doc.own_vat) if doc.has_vat else None,
                vat_rates=tuple(rate_to_decimal(r) for r in sorted(doc.own_vat_by_rate))
                if doc.has_vat
                else (),
            )
        )
    return sorted(out, key=lambda r: (r.reason, r.period, r.document_key))
