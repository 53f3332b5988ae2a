"""The sandbox's business world: vendor-neutral records with a dated lifecycle.

Money is held as integer cents and VAT rates as basis points (20% = 2000, 5.5% = 550), so
every figure is exact. Each document carries its whole lifecycle as dated events (sent, paid,
cancelled, deleted, edited); :meth:`Document.materialize` applies the events up to a clock
instant. The world at a given clock is therefore a pure function of (seed, scale, clock), and
advancing the clock twice by one day equals advancing it once by two.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

VENDORS = ("baloom", "katsu", "ibana", "wuro", "hoursmith")


def cents_to_decimal(cents: int) -> Decimal:
    """Exact decimal for an integer number of cents."""
    return Decimal(cents).scaleb(-2)


def rate_to_decimal(rate_bp: int) -> Decimal:
    """Percent as an exact decimal, normalised: 2000 -> 20, 550 -> 5.5."""
    d = Decimal(rate_bp).scaleb(-2)
    return d.quantize(Decimal(1)) if d == d.to_integral_value() else d.normalize()


def vat_of(base_cents: int, rate_bp: int) -> int:
    """VAT in cents on a base, rounded half away from zero (as DuckDB's ROUND does)."""
    num = base_cents * rate_bp
    sign = -1 if num < 0 else 1
    return sign * ((abs(num) + 5000) // 10000)


@dataclass(slots=True)
class Party:
    """A real-world business: the same party may be a customer in several vendors."""

    key: int
    name: str
    email: str | None
    phone: str
    country: str
    vat_id: str | None
    vat_valid: bool
    iban: str | None
    iban_valid: bool
    bic: str | None
    street: str
    city: str
    zip: str


@dataclass(slots=True)
class Customer:
    """One vendor's record of a party (customer, client or counterparty)."""

    vendor: str
    id: str
    party: Party
    created_at: datetime
    # Name as this vendor spells it (spelling variants exercise customer matching).
    name: str
    site_id: str | None = None
    currency: str = "EUR"
    payment_terms: int = 30
    deleted_on: datetime | None = None
    deleted_kind: str | None = None  # "soft" | "hard"
    # materialized
    updated_at: datetime | None = None
    deleted: bool = False

    def materialize(self, now: datetime) -> None:
        self.deleted = self.deleted_on is not None and self.deleted_on <= now
        self.updated_at = self.deleted_on if self.deleted else self.created_at


@dataclass(slots=True)
class Category:
    vendor: str
    id: str
    name: str
    parent_id: str | None
    created_at: datetime


@dataclass(slots=True)
class Product:
    vendor: str
    id: str
    name: str
    sku: str
    category_id: str | None
    price: int  # cents, net
    rate: int  # basis points
    unit: str
    created_at: datetime
    site_id: str | None = None
    active: bool = True


@dataclass(slots=True)
class Line:
    number: int
    description: str
    quantity: int  # hundredths of a unit
    unit_price: int  # cents
    net: int  # cents
    rate: int  # basis points
    vat: int  # cents
    product_id: str | None = None
    kind: str = "product"  # Wuro layout lines: "header", "subtotal" carry no amounts


@dataclass(slots=True)
class Payment:
    id: str
    on: date
    at: datetime
    amount: int  # cents
    method: str


@dataclass(slots=True)
class Order:
    """A Baloom order: the source of an invoice's VAT rates."""

    id: str
    number: str
    customer: Customer
    site_id: str | None
    currency: str
    lines: list[Line]
    discount: int
    shipping: int
    tax: int
    status: str
    created_at: datetime


@dataclass(slots=True)
class Event:
    at: datetime
    kind: str  # "sent" | "payment" | "cancel" | "delete" | "edit"
    payload: Any = None


@dataclass(slots=True)
class Document:
    """An invoice, credit note, advance or final invoice, sales or purchase."""

    vendor: str
    endpoint: str  # "invoices" | "supplier_invoices" | "customer_invoices"
    id: str
    number: str
    direction: str  # "receivable" | "payable"
    kind: str  # "invoice" | "credit_note" | "advance" | "final"
    customer: Customer
    issue_date: date
    due_date: date
    currency: str
    country: str  # VAT jurisdiction of the document
    lines: list[Line]
    created_at: datetime
    events: list[Event] = field(default_factory=list)
    discount: int = 0  # cents (Baloom, Hoursmith)
    shipping: int = 0  # cents (Baloom)
    has_vat: bool = True  # False where the vendor sends no tax data (Katsu)
    skonto_rate: int = 0  # basis points
    skonto_date: date | None = None
    advances: list[Document] = field(default_factory=list)  # Wuro final invoices
    order: Order | None = None  # Baloom
    vendor_type: str = ""  # the vendor's own type code, when it adds detail (Wuro external)
    draft_first: bool = False  # created as a draft; a "sent" event (or a delete) follows
    title: str = ""
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)  # vendor-only fields (Katsu enums)
    # amounts as invoiced (full, before deducting advances); set by the generator
    net: int = 0
    vat: int = 0
    gross: int = 0
    vat_by_rate: dict[int, tuple[int, int]] = field(default_factory=dict)  # rate -> (base, vat)
    # materialized at a clock instant
    state: str = "open"  # "draft" | "open" | "paid" | "cancelled"
    payments: list[Payment] = field(default_factory=list)
    paid: int = 0
    updated_at: datetime | None = None
    sent_at: datetime | None = None
    paid_at: datetime | None = None
    deleted: str | None = None  # None | "soft" | "hard"
    deleted_at: datetime | None = None
    edits: dict[str, Any] = field(default_factory=dict)
    visible: bool = False  # created at or before the clock

    @property
    def advance_gross(self) -> int:
        return sum(a.gross for a in self.advances)

    @property
    def advance_net(self) -> int:
        return sum(a.net for a in self.advances)

    @property
    def own_gross(self) -> int:
        """What this document itself invoices: a final invoice less its advances."""
        return self.gross - self.advance_gross

    @property
    def own_net(self) -> int:
        return self.net - self.advance_net

    @property
    def own_vat(self) -> int:
        return self.own_gross - self.own_net

    @property
    def own_vat_by_rate(self) -> dict[int, tuple[int, int]]:
        """VAT by rate that this document declares (advances' VAT already declared)."""
        out = dict(self.vat_by_rate)
        for adv in self.advances:
            for rate, (base, vat) in adv.vat_by_rate.items():
                b, v = out.get(rate, (0, 0))
                out[rate] = (b - base, v - vat)
        return out

    @property
    def sign(self) -> int:
        return -1 if self.kind == "credit_note" else 1

    @property
    def due(self) -> int:
        """Still to be paid, in cents, as the vendor shows it (positive for credit notes)."""
        if self.state in ("draft", "cancelled"):
            return 0
        return self.own_gross - self.paid

    def materialize(self, now: datetime) -> None:
        """Apply every lifecycle event dated at or before ``now``."""
        self.visible = self.created_at <= now
        self.state = "draft" if self.draft_first else "open"
        self.payments = []
        self.paid = 0
        self.updated_at = self.created_at
        self.sent_at = self.created_at if self.state == "open" else None
        self.paid_at = None
        self.deleted = None
        self.deleted_at = None
        self.edits = {}
        for ev in self.events:
            if ev.at > now:
                break
            self.updated_at = ev.at
            if ev.kind == "sent":
                self.state = "open"
                self.sent_at = ev.at
            elif ev.kind == "payment":
                self.payments.append(ev.payload)
                self.paid += ev.payload.amount
                if self.paid >= self.own_gross:
                    self.state = "paid"
                    self.paid_at = ev.at
            elif ev.kind == "cancel":
                self.state = "cancelled"
            elif ev.kind == "delete":
                self.deleted = ev.payload
                self.deleted_at = ev.at
            elif ev.kind == "edit":
                self.edits.update(ev.payload)

    @property
    def effective_due_date(self) -> date:
        return self.edits.get("due_date", self.due_date)

    @property
    def effective_notes(self) -> str:
        return self.edits.get("notes", self.notes)
