"""Per-document truth: which documents count, when their money is known, what stays open.

Everything here is a pure function of one :class:`~sandbox.world.model.Document` materialized at
the world's clock (plus the sync observation days), so hand-built documents can be checked
without a :class:`~sandbox.world.World`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal

from sandbox.oracle.rows import BUCKETS, DatedPayment
from sandbox.world.model import Document

DAY_END = time(18, 0)  # the sandbox's day ends (and syncs observe it) at 18:00 UTC
REJECTED_FAULTS = ("bad_amount", "missing_id")
UNKNOWN_STATUS = "unknown_enum"
# (vendor, endpoint) pairs whose wire records carry no date per payment: the warehouse dates
# an increase of the paid amount by the sync that first saw it.
UNDATED = frozenset(
    {("katsu", "invoices"), ("ibana", "customer_invoices"), ("hoursmith", "invoices")}
)
# Undated, but a fully paid invoice shows the completing payment's time (Hoursmith paidAt).
PAID_AT_ON_FULL = frozenset({("hoursmith", "invoices")})
# Undated vendors that publish the record's last change (``updatedAt``): an increase of the
# paid amount is dated by the record's updatedAt at the sync that saw it.
UPDATED_AT_DATED = frozenset({("ibana", "customer_invoices"), ("hoursmith", "invoices")})


def doc_key(doc: Document) -> str:
    """``"<vendor>:<document id>"``."""
    return f"{doc.vendor}:{doc.id}"


def customer_key(doc: Document) -> str:
    """``"<vendor>:<customer id>"`` (for payables: the supplier)."""
    return f"{doc.vendor}:{doc.customer.id}"


def day_end(day: date) -> datetime:
    """The instant a sync on sandbox day ``day`` sees: 18:00 UTC."""
    return datetime.combine(day, DAY_END, UTC)


def cents(amount: int) -> Decimal:
    """Exact decimal of an integer number of cents (``1234 -> Decimal('12.34')``)."""
    return Decimal(amount).scaleb(-2)


def div_half_up(num: int, den: int) -> int:
    """``num / den`` rounded to an integer, halves away from zero, in exact integer arithmetic."""
    if den == 0:
        raise ZeroDivisionError("division by zero")
    if den < 0:
        num, den = -num, -den
    q, r = divmod(abs(num), den)
    if 2 * r >= den:
        q += 1
    return q if num >= 0 else -q


def aging_bucket(days_past_due: int) -> str:
    """``<= 0`` current, then 1-30, 31-60, 61-90, 91-120 and 120+ days past due."""
    if days_past_due <= 0:
        return BUCKETS[0]
    for bound, name in zip((30, 60, 90, 120), BUCKETS[1:5], strict=True):
        if days_past_due <= bound:
            return name
    return BUCKETS[5]


def period_of(day: date) -> str:
    """``"YYYY-MM"``."""
    return f"{day.year:04d}-{day.month:02d}"


def counts(doc: Document, fault: str | None = None) -> bool:
    """Whether the warehouse counts ``doc`` at the world's clock.

    Args:
        doc: a document materialized at the clock.
        fault: its hostile record fault, if any.

    Returns:
        True for a visible, undeleted document that is open or paid, and was not rejected. A
        document served with an unknown status code counts whatever its true state (draft and
        cancelled cannot be told apart from open on the wire).
    """
    if not doc.visible or doc.deleted is not None or fault in REJECTED_FAULTS:
        return False
    return fault == UNKNOWN_STATUS or doc.state in ("open", "paid")


def is_undated(doc: Document) -> bool:
    """True where the vendor publishes no payment dates for this kind of document."""
    return (doc.vendor, doc.endpoint) in UNDATED


def payment_date(doc: Document, index: int) -> date:
    """The date a dated vendor publishes for ``doc.payments[index]``: the payment's own date."""
    return doc.payments[index].on


def dated_payments(doc: Document, observed: Sequence[date]) -> list[DatedPayment]:
    """The document's payments as the warehouse dates them.

    Dated vendors: each payment on its own date. Undated ones: at each observed day ``k`` the
    sync sees the cumulative paid amount of payments made by ``k`` 18:00 UTC; an increase is
    dated by the record's ``updatedAt`` as seen at ``k`` where the vendor publishes one (ibana
    customer invoices, Hoursmith), else ``k`` (Katsu); on Hoursmith an increase that makes the
    invoice fully paid is dated ``paidAt``, the completing payment's date.

    Args:
        doc: a document materialized at the clock (its ``payments`` are the ones made so far).
        observed: the days syncs ran, ascending; the last one is the world's clock.
    """
    out: list[DatedPayment] = []
    total = 0
    if not is_undated(doc):
        for i, p in enumerate(doc.payments):
            total += p.amount
            out.append(DatedPayment(payment_date(doc, i), p.amount, total))
        return out
    for day in observed:
        seen = sum(p.amount for p in doc.payments if p.at <= day_end(day))
        if seen == total:
            continue
        on = day
        if (doc.vendor, doc.endpoint) in UPDATED_AT_DATED:
            on = _updated_on(doc, day)
        if (doc.vendor, doc.endpoint) in PAID_AT_ON_FULL and seen >= doc.own_gross:
            on = _completing_payment_day(doc)
        out.append(DatedPayment(on, seen - total, seen))
        total = seen
    return out


def _updated_on(doc: Document, day: date) -> date:
    """The date of the document's last change as the vendor shows it at ``day``'s sync."""
    last = doc.created_at
    for ev in doc.events:
        if ev.at <= day_end(day) and ev.at > last:
            last = ev.at
    return last.date()


def _completing_payment_day(doc: Document) -> date:
    """The date of the payment that brought the paid total to the document's gross."""
    total = 0
    for p in doc.payments:
        total += p.amount
        if total >= doc.own_gross:
            return p.at.date()
    raise ValueError(f"{doc_key(doc)} is not fully paid")


def paid_cents(payments: Sequence[DatedPayment], as_of: date) -> int:
    """Cents paid on or before ``as_of`` (positive, as on the wire)."""
    return sum(p.amount for p in payments if p.on <= as_of)


def open_cents(doc: Document, payments: Sequence[DatedPayment], as_of: date) -> int:
    """Signed open amount in cents as of ``as_of``: ``sign * (own_gross - paid by as_of)``."""
    return doc.sign * (doc.own_gross - paid_cents(payments, as_of))


def cash_portions(
    doc: Document, payments: Sequence[DatedPayment]
) -> list[tuple[date, int, int, int]]:
    """Per payment and rate, the (signed) base and VAT that the payment settles.

    The portion at rate ``r`` of the payment that takes the paid total from ``C_{k-1}`` to
    ``C_k`` is ``round(x_r * C_k / G) - round(x_r * C_{k-1} / G)`` for ``x`` the document's own
    base and VAT at that rate and ``G`` its own gross, so a fully paid document's portions add
    up to its accrual figures exactly.

    Returns:
        ``(payment date, rate bp, base cents, vat cents)`` tuples, signed like the document.
    """
    gross = doc.own_gross
    if gross == 0:
        return []
    out: list[tuple[date, int, int, int]] = []
    for p in payments:
        before = p.cumulative - p.amount
        for rate, (base, vat) in sorted(doc.own_vat_by_rate.items()):
            b = div_half_up(base * p.cumulative, gross) - div_half_up(base * before, gross)
            v = div_half_up(vat * p.cumulative, gross) - div_half_up(vat * before, gross)
            out.append((p.on, rate, doc.sign * b, doc.sign * v))
    return out
