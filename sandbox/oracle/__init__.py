"""The truth oracle: what the warehouse's receivables, payables and VAT marts must answer.

Plain Python over the world model (never SQL, never the vendor APIs), exact to the cent.

>>> from sandbox.world import World
>>> oracle = Oracle(World(seed=7, scale=200))
>>> items = oracle.receivables_open_items()

Rules the warehouse follows (and the oracle implements):

Keys and signs
    Document key ``"<vendor>:<doc id>"``, customer key ``"<vendor>:<customer id>"`` (for ibana
    supplier invoices the customer is the supplier). Wire amounts are positive; credit notes
    (``doc.sign == -1``) reduce receivables, payables and VAT.

Which documents count (as known at the world's current clock)
    Visible, not deleted (soft or hard), state neither draft nor cancelled. Under the
    ``hostile`` profile, records served with ``bad_amount`` or ``missing_id`` are rejected and
    left out (:meth:`Oracle.rejected` lists every such record the emulators serve: visible
    and not hard-deleted, drafts included, soft-deleted ones flagged ``deleted="soft"``);
    ``unknown_enum`` records are kept and, their true status being unknowable, counted whatever
    it is (as open, or paid once fully paid). Deletion still excludes them. For a question
    "as of D", documents with ``issue_date > D`` are not there yet.

Amounts
    What a document invoices is ``own_gross`` (a Wuro final invoice less its advances); its VAT
    by rate is ``own_vat_by_rate``. Open receivable as of D: ``sign * (own_gross - paid known
    on or before D)``; open items list only non-zero ones. Receivable: every document except
    ibana supplier invoices (payables).

Payment dates
    Baloom (``paidAt``, one full payment), Wuro (``payments[]``) and ibana supplier invoices
    (``alreadyPaidDate``, one full payment): each payment on its own date (``Payment.on``).
    Katsu (``paidAmount``), ibana customer invoices (``paidAmount``) and Hoursmith
    (``amountPaid``) publish none: at each observed sync day k the warehouse sees the paid total
    of payments made by k 18:00 UTC, and dates the increase since the previous sync (one
    increase is one payment, however many real payments it bundles) by the record's
    ``updatedAt`` as seen at k where the vendor publishes one (ibana customer invoices,
    Hoursmith), else by day k (Katsu); on Hoursmith, an increase that makes the invoice fully
    paid is dated ``paidAt`` (the completing payment's date).

Observation days
    ``observed`` defaults to ``[clock]`` and its last day must be the clock: the oracle answers
    for the warehouse right after a sync at the clock. It is bound to that clock: after
    ``world.advance`` build a new one. ``as_of`` defaults to the clock.

Aging
    ``days_past_due = (D - effective_due_date).days``; buckets ``current`` (<= 0), ``1-30``,
    ``31-60``, ``61-90``, ``91-120``, ``120+``.

Reporting currency (:mod:`sandbox.fx`)
    Everything belonging to a document converts on its issue date with
    ``factor = round_half_up(rate(R) / rate(X), 10 places)`` from the ECB reference rates and
    ``amount_rc = round_half_up(amount * factor, cents)``. Each row converts on its own; totals
    are sums of converted rows. Currencies without an ECB rate (NGN, KES) have ``None`` in
    reporting currency and are reported apart, never dropped and never counted as zero: a
    customer balance's ``open_amount_rc`` sums its convertible items (``None`` if it has none)
    and ``unconverted`` holds the rest per currency; aging keeps them in separate rows.

VAT
    Only documents with VAT data (Katsu has none: coverage ``no_vat_data``). Baloom documents
    without an order carry a header-derived rate: counted at their true rate, flagged
    ``derived_rate`` in coverage. Rows by (period ``YYYY-MM``, basis, direction ``output`` for
    receivables / ``input`` for payables, country = the document's, rate in percent).

    - accrual: the signed own base and VAT per rate in the issue month.
    - cash: for a payment taking the paid total from C_{k-1} to C_k, the portion at a rate is
      ``round_half_up(x * C_k / G) - round_half_up(x * C_{k-1} / G)`` cents (x the own base or
      VAT at that rate, G ``own_gross``), placed in the payment date's month; a fully paid
      document's cash VAT equals its accrual VAT exactly.
    - conversion: a document's summed contribution to one cell is converted with the
      document's factor, then the cell sums the documents' converted contributions.
    - the VAT tables have no as-of date: every counted document at the clock, every payment
      known at the clock.
    - ``document_count``: distinct documents contributing to the cell (a rate present in
      ``own_vat_by_rate`` contributes, even at zero).

Skonto
    Open payables (as of D) with ``skonto_date >= D``: discount ``vat_of(gross, skonto_rate)``
    cents (half up), amount to pay if taken ``gross - discount``.
"""

from __future__ import annotations

from sandbox.oracle.core import Oracle, WorldLike
from sandbox.oracle.rows import (
    BUCKETS,
    AgingReport,
    AgingRow,
    CoverageRow,
    CustomerBalance,
    DatedPayment,
    OpenItem,
    RejectedRecord,
    SkontoOpportunity,
    UnconvertedAgingRow,
    VatRow,
)

__all__ = [
    "BUCKETS",
    "AgingReport",
    "AgingRow",
    "CoverageRow",
    "CustomerBalance",
    "DatedPayment",
    "OpenItem",
    "Oracle",
    "RejectedRecord",
    "SkontoOpportunity",
    "UnconvertedAgingRow",
    "VatRow",
    "WorldLike",
]
