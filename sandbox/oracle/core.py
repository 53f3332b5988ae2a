"""The :class:`Oracle`: what the warehouse's marts must answer, computed from the world model."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Protocol

from sandbox.faults import PROFILES, record_fault
from sandbox.fx import Fx, apply_factor
from sandbox.oracle.ledger import (
    REJECTED_FAULTS,
    UNKNOWN_STATUS,
    aging_bucket,
    cents,
    counts,
    customer_key,
    dated_payments,
    doc_key,
    open_cents,
    paid_cents,
)
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
from sandbox.oracle.vat import coverage_rows, vat_rows
from sandbox.world.model import VENDORS, Document, rate_to_decimal, vat_of


class WorldLike(Protocol):
    """What the oracle reads from a world (a :class:`sandbox.world.World` or a test stub)."""

    seed: int
    clock: date

    def documents(self, vendor: str) -> list[Document]: ...


class Oracle:
    """Truth for the receivables, payables and VAT marts at the world's current clock.

    Args:
        world: the world, at the clock of the warehouse's last sync. Build a new oracle after
            advancing it: the oracle refuses to answer for a clock it was not built at.
        profile: the sandbox's fault profile; under ``"hostile"`` malformed records are
            excluded (``bad_amount``, ``missing_id``) or counted whatever their status
            (``unknown_enum``).
        seed: the fault seed (default: the world's seed, as :class:`sandbox.server.Sandbox`).
        observed: the sandbox days at which syncs ran (default: only the clock). The last must
            be the world's clock.
        currency: the reporting currency.
        fx: exchange rates (default: the packaged ECB history).
        vendors: only these vendors' documents (default: all five), for a warehouse that
            synced only some of them.
    """

    def __init__(
        self,
        world: WorldLike,
        profile: str = "none",
        seed: int | None = None,
        observed: Sequence[date] | None = None,
        currency: str = "EUR",
        fx: Fx | None = None,
        vendors: Sequence[str] | None = None,
    ) -> None:
        if profile not in PROFILES:
            raise ValueError(f"unknown fault profile {profile!r}")
        days = sorted(set(observed)) if observed is not None else [world.clock]
        if not days or days[-1] != world.clock:
            raise ValueError(f"the last observed day must be the world's clock {world.clock}")
        self.world = world
        self.profile = profile
        self.seed = world.seed if seed is None else seed
        self.clock = world.clock
        self.observed = days
        self.currency = currency
        self.fx = fx or Fx.load()
        self._faults: dict[str, str] = {}
        self._rejected: list[RejectedRecord] = []
        self._docs: list[Document] = []
        self._payments: dict[str, list[DatedPayment]] = {}
        self._factors: dict[str, Decimal | None] = {}
        for vendor in vendors or VENDORS:
            for doc in world.documents(vendor):
                self._add(doc)

    def _add(self, doc: Document) -> None:
        key = doc_key(doc)
        fault = record_fault(self.seed, doc.vendor, doc.id) if self.profile == "hostile" else None
        if fault is not None:
            self._faults[key] = fault
        if fault in REJECTED_FAULTS and doc.visible and doc.deleted != "hard":
            self._rejected.append(
                RejectedRecord(doc.vendor, doc.endpoint, doc.id, fault, doc.deleted)
            )
        if counts(doc, fault):
            self._docs.append(doc)
            self._payments[key] = dated_payments(doc, self.observed)
            self._factors[key] = self.fx.factor(doc.currency, self.currency, doc.issue_date)

    def _check(self) -> None:
        if self.world.clock != self.clock:
            raise RuntimeError(
                f"the world moved from {self.clock} to {self.world.clock}: build a new Oracle"
            )

    def _as_of(self, as_of: date | None) -> date:
        self._check()
        return self.clock if as_of is None else as_of

    # ------------------------------------------------------------------ per document

    def documents(self, direction: str | None = None) -> list[Document]:
        """The documents the warehouse counts, optionally of one direction."""
        self._check()
        return [d for d in self._docs if direction is None or d.direction == direction]

    def dated_payments(self, doc: Document) -> list[DatedPayment]:
        """A counted document's payments as the warehouse dates them."""
        return self._payments[doc_key(doc)]

    def factor(self, doc: Document) -> Decimal | None:
        """A counted document's conversion factor to the reporting currency (its issue date)."""
        return self._factors[doc_key(doc)]

    def paid_known(self, doc: Document, as_of: date | None = None) -> Decimal:
        """Money the warehouse knows a counted document received on or before ``as_of``.

        Positive, in the document's currency, as the vendor shows it (also for credit notes).
        """
        return cents(paid_cents(self.dated_payments(doc), self._as_of(as_of)))

    def open_amount(self, doc: Document, as_of: date | None = None) -> Decimal:
        """A counted document's signed open amount as of ``as_of`` (0 before its issue date)."""
        day = self._as_of(as_of)
        if doc.issue_date > day:
            return Decimal(0)
        return cents(open_cents(doc, self.dated_payments(doc), day))

    def fault(self, doc: Document) -> str | None:
        """The record fault the sandbox applies to ``doc`` under this oracle's profile."""
        return self._faults.get(doc_key(doc))

    # ------------------------------------------------------------------ receivables, payables

    def _open_items(self, direction: str, as_of: date | None) -> list[OpenItem]:
        day = self._as_of(as_of)
        items: list[OpenItem] = []
        for doc in self._docs:
            if doc.direction != direction or doc.issue_date > day:
                continue
            amount = open_cents(doc, self.dated_payments(doc), day)
            if amount == 0:
                continue
            due = doc.effective_due_date
            late = (day - due).days
            f = self.factor(doc)
            items.append(
                OpenItem(
                    invoice_key=doc_key(doc),
                    customer_key=customer_key(doc),
                    source_system=doc.vendor,
                    currency=doc.currency,
                    issue_date=doc.issue_date,
                    due_date=due,
                    days_past_due=late,
                    aging_bucket=aging_bucket(late),
                    open_amount=cents(amount),
                    open_amount_rc=None if f is None else apply_factor(cents(amount), f),
                )
            )
        return sorted(items, key=lambda i: i.invoice_key)

    def receivables_open_items(self, as_of: date | None = None) -> list[OpenItem]:
        """One row per receivable with a non-zero open amount as of ``as_of`` (default: clock)."""
        return self._open_items("receivable", as_of)

    def payables_open_items(self, as_of: date | None = None) -> list[OpenItem]:
        """One row per supplier invoice (ibana) with a non-zero open amount as of ``as_of``."""
        return self._open_items("payable", as_of)

    def receivables_by_customer(self, as_of: date | None = None) -> list[CustomerBalance]:
        """Open receivables per customer: the sum of its open items."""
        groups: dict[str, list[OpenItem]] = defaultdict(list)
        for item in self.receivables_open_items(as_of):
            groups[item.customer_key].append(item)
        out: list[CustomerBalance] = []
        for key in sorted(groups):
            items = groups[key]
            converted = [i.open_amount_rc for i in items if i.open_amount_rc is not None]
            rest: dict[str, Decimal] = defaultdict(Decimal)
            for i in items:
                if i.open_amount_rc is None:
                    rest[i.currency] += i.open_amount
            out.append(
                CustomerBalance(
                    customer_key=key,
                    source_system=items[0].source_system,
                    open_items=len(items),
                    open_amount_rc=sum(converted, Decimal(0)) if converted else None,
                    unconverted=dict(sorted(rest.items())),
                )
            )
        return out

    def receivables_aging(self, as_of: date | None = None) -> AgingReport:
        """Customer x aging bucket totals in the reporting currency, plus bucket totals.

        Items in currencies without an ECB rate are reported apart, in their own currency.
        """
        day = self._as_of(as_of)
        rc: dict[tuple[str, str, str], list[Decimal]] = defaultdict(list)
        raw: dict[tuple[str, str, str, str], list[Decimal]] = defaultdict(list)
        for i in self.receivables_open_items(day):
            if i.open_amount_rc is None:
                raw[(i.customer_key, i.source_system, i.currency, i.aging_bucket)].append(
                    i.open_amount
                )
            else:
                rc[(i.customer_key, i.source_system, i.aging_bucket)].append(i.open_amount_rc)
        order = {b: n for n, b in enumerate(BUCKETS)}
        rows = [
            AgingRow(c, s, b, len(v), sum(v, Decimal(0)))
            for (c, s, b), v in sorted(rc.items(), key=lambda kv: (kv[0][0], order[kv[0][2]]))
        ]
        unconverted = [
            UnconvertedAgingRow(c, s, ccy, b, len(v), sum(v, Decimal(0)))
            for (c, s, ccy, b), v in sorted(
                raw.items(), key=lambda kv: (kv[0][0], kv[0][2], order[kv[0][3]])
            )
        ]
        totals = {
            b: sum((r.open_amount_rc for r in rows if r.aging_bucket == b), Decimal(0))
            for b in BUCKETS
        }
        raw_totals: dict[str, Decimal] = defaultdict(Decimal)
        for u in unconverted:
            raw_totals[u.currency] += u.open_amount
        return AgingReport(
            as_of=day,
            currency=self.currency,
            rows=rows,
            bucket_totals=totals,
            total=sum(totals.values(), Decimal(0)),
            unconverted=unconverted,
            unconverted_totals=dict(sorted(raw_totals.items())),
        )

    def skonto_opportunities(self, as_of: date | None = None) -> list[SkontoOpportunity]:
        """Open supplier invoices whose skonto deadline is on or after ``as_of``."""
        day = self._as_of(as_of)
        out: list[SkontoOpportunity] = []
        for doc in self._docs:
            if doc.direction != "payable" or doc.issue_date > day:
                continue
            if doc.skonto_date is None or doc.skonto_rate <= 0 or doc.skonto_date < day:
                continue
            if open_cents(doc, self.dated_payments(doc), day) == 0:
                continue
            discount = vat_of(doc.gross, doc.skonto_rate)
            f = self.factor(doc)
            out.append(
                SkontoOpportunity(
                    invoice_key=doc_key(doc),
                    supplier_key=customer_key(doc),
                    currency=doc.currency,
                    skonto_date=doc.skonto_date,
                    skonto_rate=rate_to_decimal(doc.skonto_rate),
                    gross=cents(doc.gross),
                    discount_amount=cents(discount),
                    amount_if_taken=cents(doc.gross - discount),
                    discount_amount_rc=None if f is None else apply_factor(cents(discount), f),
                    amount_if_taken_rc=None
                    if f is None
                    else apply_factor(cents(doc.gross - discount), f),
                )
            )
        return sorted(out, key=lambda s: (s.skonto_date, s.invoice_key))

    # ------------------------------------------------------------------ VAT, data quality

    def vat_by_rate(self, basis: str = "accrual") -> list[VatRow]:
        """VAT by (period, basis, direction, country, rate), in the reporting currency."""
        self._check()
        return vat_rows(self._docs, basis, self.dated_payments, self.factor)

    def vat_coverage(self) -> list[CoverageRow]:
        """Counted documents without VAT data, with derived rates, or without an ECB rate."""
        self._check()
        return coverage_rows(self._docs, self.factor)

    def rejected(self) -> list[RejectedRecord]:
        """Records served malformed (``bad_amount``, ``missing_id``) that must not be loaded."""
        self._check()
        return sorted(self._rejected, key=lambda r: (r.vendor, r.endpoint, r.id))

    def unknown_status(self) -> list[str]:
        """Keys of counted documents served with an unknown status code (``unknown_enum``)."""
        self._check()
        return sorted(
            k for k, f in self._faults.items() if f == UNKNOWN_STATUS and k in self._payments
        )
