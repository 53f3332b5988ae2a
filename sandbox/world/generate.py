"""Per-vendor document builders: what each business on each vendor invoices, day by day.

Every document is drawn from a random generator seeded by (seed, vendor, day), together with
its whole lifecycle (sending, payments, cancellation, deletion, edits), so the world is the same
whatever order the clock is advanced in.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from sandbox.world.model import (
    Category,
    Customer,
    Document,
    Event,
    Line,
    Order,
    Payment,
    Product,
    vat_of,
)
from sandbox.world.parties import cuid, det_uuid, object_id

RATES = {
    "FR": [(2000, 60), (1000, 20), (550, 15), (210, 5)],
    "DE": [(1900, 80), (700, 20)],
    "GB": [(2000, 80), (500, 12), (0, 8)],
}

_ITEMS = {
    "FR": ["Conseil", "Développement", "Formation", "Maintenance", "Livres", "Repas", "Presse"],
    "DE": ["Beratung", "Wartung", "Lizenz", "Hardware", "Schulung", "Büromaterial"],
    "GB": ["Consulting", "Design work", "Support plan", "Licence", "Workshop"],
    "NG": ["Logistics", "Airtime", "Subscription", "Installation", "Supplies"],
}


def _at(day: date, rng: random.Random, lo: int = 8, hi: int = 17) -> datetime:
    secs = rng.randrange(lo * 3600, hi * 3600)
    return datetime.combine(day, time(0, 0), UTC) + timedelta(
        seconds=secs, milliseconds=rng.randrange(1000)
    )


def pick_rate(rng: random.Random, country: str) -> int:
    rates = RATES[country]
    return rng.choices([r for r, _ in rates], [w for _, w in rates])[0]


def make_lines(
    rng: random.Random,
    country: str,
    n: int,
    products: list[Product] | None = None,
    single_rate: int | None = None,
    fractional: bool = False,
) -> list[Line]:
    lines = []
    for i in range(n):
        prod = rng.choice(products) if products else None
        rate = (
            single_rate
            if single_rate is not None
            else (prod.rate if prod else pick_rate(rng, country))
        )
        if fractional and rng.random() < 0.3:
            qty = rng.choice([50, 150, 250, 75])  # hundredths: 0.5, 1.5, 2.5, 0.75
        else:
            qty = rng.randrange(1, 6) * 100
        price = prod.price if prod else rng.randrange(500, 150_000)
        net = (qty * price + 50) // 100
        desc = (
            prod.name
            if prod
            else f"{rng.choice(_ITEMS.get(country, _ITEMS['GB']))} {rng.randrange(1, 99)}"
        )
        lines.append(
            Line(
                number=i + 1,
                description=desc,
                quantity=qty,
                unit_price=price,
                net=net,
                rate=rate,
                vat=vat_of(net, rate),
                product_id=prod.id if prod else None,
            )
        )
    return lines


def totals_from_lines(doc: Document) -> None:
    """Net, VAT and gross summed from per-line rounded VAT (Wuro, ibana)."""
    by_rate: dict[int, tuple[int, int]] = {}
    for ln in doc.lines:
        if ln.kind != "product":
            continue
        b, v = by_rate.get(ln.rate, (0, 0))
        by_rate[ln.rate] = (b + ln.net, v + ln.vat)
    doc.vat_by_rate = by_rate
    doc.net = sum(b for b, _ in by_rate.values())
    doc.vat = sum(v for _, v in by_rate.values())
    doc.gross = doc.net + doc.vat


def totals_on_base(doc: Document) -> None:
    """VAT computed per rate on the rate's base after discount and shipping (Baloom, Hoursmith).

    A discount applies only to single-rate documents; Baloom's shipping is taxed at the
    standard rate. Line VAT is then informational and the header VAT is exact per rate.
    """
    bases: dict[int, int] = {}
    for ln in doc.lines:
        bases[ln.rate] = bases.get(ln.rate, 0) + ln.net
    if doc.discount:
        assert len(bases) == 1
        rate = next(iter(bases))
        bases[rate] -= doc.discount
    if doc.shipping:
        std = RATES[doc.country][0][0]
        bases[std] = bases.get(std, 0) + doc.shipping
    doc.vat_by_rate = {r: (b, vat_of(b, r)) for r, b in bases.items()}
    doc.net = sum(bases.values())
    doc.vat = sum(v for _, v in doc.vat_by_rate.values())
    doc.gross = doc.net + doc.vat


class Lifecycle:
    """Draws a document's lifecycle: draft, sending, payments, cancellation, deletion, edits."""

    def __init__(
        self,
        rng: random.Random,
        pay_id: Callable[[random.Random], str],
        methods: list[str],
        partial: bool = True,
        cancel: bool = True,
        drafts: bool = True,
        delete_kind: str | None = "hard",
        edits: tuple[str, ...] = ("notes",),
    ) -> None:
        self.rng = rng
        self.pay_id = pay_id
        self.methods = methods
        self.partial = partial
        self.cancel = cancel
        self.drafts = drafts
        self.delete_kind = delete_kind
        self.edits = edits

    def _pay(self, day: date, amount: int) -> Event:
        at = _at(day, self.rng, 9, 16)
        return Event(
            at,
            "payment",
            Payment(self.pay_id(self.rng), day, at, amount, self.rng.choice(self.methods)),
        )

    def plan(self, doc: Document, always_paid: bool = False) -> None:
        rng = self.rng
        ev: list[Event] = []
        start = doc.created_at
        u = rng.random()
        if self.drafts and not always_paid and u < 0.015 and self.delete_kind:
            doc.draft_first = True
            doc.events = [
                Event(
                    start + timedelta(days=rng.randrange(1, 6), hours=1), "delete", self.delete_kind
                )
            ]
            return
        if self.drafts and not always_paid and rng.random() < 0.10:
            doc.draft_first = True
            start = start + timedelta(days=rng.randrange(0, 4), hours=rng.randrange(1, 5))
            ev.append(Event(start, "sent"))
        issue = doc.issue_date
        due = doc.due_date
        amount = doc.own_gross
        r = rng.random()
        paid_day: date | None = None
        if always_paid or r < 0.55:
            paid_day = issue + timedelta(days=rng.randrange(0, max(1, (due - issue).days + 1)))
            ev.append(self._pay(paid_day, amount))
        elif r < 0.75:
            paid_day = due + timedelta(days=rng.randrange(1, 120))
            ev.append(self._pay(paid_day, amount))
        elif r < 0.87 and self.partial and amount >= 200:
            first = amount * rng.randrange(20, 80) // 100
            d1 = issue + timedelta(days=rng.randrange(1, 45))
            ev.append(self._pay(d1, first))
            if rng.random() < 0.5:
                paid_day = d1 + timedelta(days=rng.randrange(5, 90))
                ev.append(self._pay(paid_day, amount - first))
        elif r < 0.97 or not self.cancel:
            pass  # never paid: stays open and ages
        else:
            ev.append(Event(start + timedelta(days=rng.randrange(1, 20), hours=2), "cancel"))
        for e in ev:
            if e.at < start:
                e.at = start + timedelta(minutes=rng.randrange(1, 60))
                if e.kind == "payment":
                    e.payload.at, e.payload.on = e.at, e.at.date()
        if paid_day is not None and self.edits and rng.random() < 0.04:
            field = rng.choice(self.edits)
            at = _at(paid_day + timedelta(days=rng.randrange(3, 60)), rng)
            value = (
                doc.due_date + timedelta(days=rng.randrange(1, 15))
                if field == "due_date"
                else f"Corrected reference {rng.randrange(1000, 9999)}"
            )
            ev.append(Event(at, "edit", {field: value}))
        ev.sort(key=lambda e: e.at)
        doc.events = ev


# ---------------------------------------------------------------------------- catalogue


def make_categories(
    vendor: str, rng: random.Random, when: datetime, id_fn: Callable[[random.Random], str]
) -> list[Category]:
    names = [
        "Services",
        "Hardware",
        "Software",
        "Books",
        "Food",
        "Training",
        "Subscriptions",
        "Spare parts",
    ]
    cats: list[Category] = []
    for i, name in enumerate(names):
        parent = cats[0].id if i in (5, 6) else (cats[1].id if i == 7 else None)
        cats.append(Category(vendor, id_fn(rng), name, parent, when + timedelta(minutes=i)))
    return cats


def make_products(
    vendor: str,
    rng: random.Random,
    n: int,
    country: str,
    categories: list[Category],
    when: datetime,
    id_fn: Callable[[random.Random], str],
    sites: list[str] | None = None,
) -> list[Product]:
    out = []
    items = _ITEMS.get(country, _ITEMS["GB"])
    for i in range(n):
        rate = pick_rate(rng, country) if country in RATES else 0
        out.append(
            Product(
                vendor=vendor,
                id=id_fn(rng),
                name=f"{rng.choice(items)} {chr(65 + i % 26)}{i}",
                sku=f"SKU-{vendor[:2].upper()}-{i:05d}",
                category_id=rng.choice(categories).id if categories else None,
                price=rng.randrange(300, 90_000),
                rate=rate,
                unit=rng.choice(["unit", "hour", "day", "kg"]),
                created_at=when + timedelta(minutes=i),
                site_id=rng.choice(sites) if sites else None,
                active=rng.random() > 0.05,
            )
        )
    return out


def make_order(
    rng: random.Random,
    number: int,
    customer: Customer,
    products: list[Product],
    created: datetime,
    lines: list[Line],
    discount: int,
    shipping: int,
    tax: int,
    status: str,
) -> Order:
    return Order(
        id=det_uuid(rng),
        number=f"ORD-{number:07d}",
        customer=customer,
        site_id=customer.site_id,
        currency="EUR",
        lines=lines,
        discount=discount,
        shipping=shipping,
        tax=tax,
        status=status,
        created_at=created,
    )


ID_FUNCS: dict[str, Callable[[random.Random], str]] = {
    "baloom": det_uuid,
    "katsu": det_uuid,
    "ibana": cuid,
    "wuro": object_id,
    "hoursmith": det_uuid,
}
