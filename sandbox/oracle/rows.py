"""The oracle's answers: plain frozen dataclasses holding exact decimals (no pandas).

Amounts without a suffix are in the document's own currency, signed (credit notes negative);
``*_rc`` amounts are in the reporting currency, ``None`` when the ECB has no rate for the
document's currency (those are never counted as zero).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

BUCKETS = ("current", "1-30", "31-60", "61-90", "91-120", "120+")


@dataclass(frozen=True, slots=True)
class DatedPayment:
    """Money the warehouse knows a document received, dated as the warehouse dates it.

    ``amount`` is in cents, positive as on the wire (even for credit notes); ``cumulative`` is
    the document's paid total after this payment, in cents.
    """

    on: date
    amount: int
    cumulative: int


@dataclass(frozen=True, slots=True)
class OpenItem:
    """One open document as of a date (receivable or payable; ``customer_key`` is the supplier
    for payables)."""

    invoice_key: str
    customer_key: str
    source_system: str
    currency: str
    issue_date: date
    due_date: date
    days_past_due: int
    aging_bucket: str
    open_amount: Decimal
    open_amount_rc: Decimal | None


@dataclass(frozen=True, slots=True)
class CustomerBalance:
    """A customer's open receivables as of a date.

    ``open_amount_rc`` sums the converted items (``None`` if none could be converted);
    ``unconverted`` holds, per currency without an ECB rate, the open amount left out of it.
    """

    customer_key: str
    source_system: str
    open_items: int
    open_amount_rc: Decimal | None
    unconverted: dict[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AgingRow:
    """One customer's open receivables in one aging bucket, in the reporting currency."""

    customer_key: str
    source_system: str
    aging_bucket: str
    open_items: int
    open_amount_rc: Decimal


@dataclass(frozen=True, slots=True)
class UnconvertedAgingRow:
    """Like :class:`AgingRow`, for a currency without an ECB rate, in that currency."""

    customer_key: str
    source_system: str
    currency: str
    aging_bucket: str
    open_items: int
    open_amount: Decimal


@dataclass(frozen=True, slots=True)
class AgingReport:
    """Receivables aging: customer x bucket rows, bucket totals and the unconvertible rest."""

    as_of: date
    currency: str
    rows: list[AgingRow]
    bucket_totals: dict[str, Decimal]
    total: Decimal
    unconverted: list[UnconvertedAgingRow]
    unconverted_totals: dict[str, Decimal]


@dataclass(frozen=True, slots=True)
class SkontoOpportunity:
    """An open supplier invoice whose early-payment discount can still be taken."""

    invoice_key: str
    supplier_key: str
    currency: str
    skonto_date: date
    skonto_rate: Decimal
    gross: Decimal
    discount_amount: Decimal
    amount_if_taken: Decimal
    discount_amount_rc: Decimal | None
    amount_if_taken_rc: Decimal | None


@dataclass(frozen=True, slots=True)
class VatRow:
    """One (period, basis, direction, country, rate) cell, in the reporting currency."""

    period: str
    basis: str
    direction: str
    country: str
    vat_rate: Decimal
    taxable_base: Decimal
    vat_amount: Decimal
    document_count: int


@dataclass(frozen=True, slots=True)
class CoverageRow:
    """A counted document whose VAT is missing, derived, or not convertible.

    ``reason``: ``"no_vat_data"`` (Katsu), ``"derived_rate"`` (Baloom without an order: counted
    in the VAT tables with its rate derived from the header) or ``"no_fx_rate"`` (a VAT document
    in a currency without an ECB rate: left out of the VAT tables). ``vat_amount`` is ``None``
    when the vendor sends no tax data.
    """

    document_key: str
    source_system: str
    reason: str
    direction: str
    country: str
    period: str
    currency: str
    gross: Decimal
    gross_rc: Decimal | None
    vat_amount: Decimal | None
    vat_rates: tuple[Decimal, ...]


@dataclass(frozen=True, slots=True)
class RejectedRecord:
    """A malformed record (``hostile``) that the warehouse must reject, not load.

    ``deleted`` is ``"soft"`` when the vendor serves the record only as deleted (Wuro
    ``inactive``, Hoursmith ``deletedAt``); hard-deleted records are never served, so never here.
    """

    vendor: str
    endpoint: str
    id: str
    reason: str
    deleted: str | None = None
