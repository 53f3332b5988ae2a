"""One vendor's books: its customers, catalogue, orders and documents, generated day by day."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from sandbox.world.generate import (
    ID_FUNCS,
    Lifecycle,
    _at,
    make_categories,
    make_lines,
    make_order,
    make_products,
    totals_from_lines,
    totals_on_base,
)
from sandbox.world.model import (
    Category,
    Customer,
    Document,
    Event,
    Line,
    Order,
    Party,
    Product,
    vat_of,
)
from sandbox.world.parties import det_uuid, name_variant, object_id

KATSU_CURRENCIES = [("NGN", 45), ("USD", 20), ("GBP", 10), ("EUR", 20), ("KES", 5)]


class Books:
    """Base class: the records one vendor holds for the business."""

    vendor = ""
    country = "FR"

    def __init__(
        self, seed: int, scale: int, start: date, history_days: int, parties: list[Party]
    ) -> None:
        self.seed = seed
        self.scale = scale
        self.start = start
        self.history_days = history_days
        self.first_day = start - timedelta(days=history_days - 1)
        self.id_fn = ID_FUNCS[self.vendor]
        self.customers: list[Customer] = []
        self.products: list[Product] = []
        self.categories: list[Category] = []
        self.orders: list[Order] = []
        self.docs: list[Document] = []
        self.by_id: dict[str, Document] = {}
        self.pending: dict[date, list[Document]] = {}
        self.generated_until = self.first_day - timedelta(days=1)
        self.counter = 0
        rng = self.rng("setup")
        self._base, rem = divmod(scale, history_days)
        self._extra_days = set(rng.sample(range(history_days), rem))
        self._rem_rate = rem / history_days
        self.setup(rng, parties)

    # -- helpers
    def rng(self, *parts: object) -> random.Random:
        return random.Random(f"{self.seed}/{self.vendor}/" + "/".join(map(str, parts)))

    def epoch(self) -> datetime:
        return datetime.combine(self.first_day - timedelta(days=120), time(9, 0), UTC)

    def pick_customers(
        self, rng: random.Random, parties: list[Party], n: int, extra: int = 0
    ) -> None:
        chosen = rng.sample(parties, min(len(parties), n + extra))
        base = self.epoch()
        for i, party in enumerate(chosen):
            c = Customer(
                vendor=self.vendor,
                id=self.id_fn(rng),
                party=party,
                created_at=base + timedelta(hours=i, minutes=rng.randrange(60)),
                name=name_variant(party.name, rng.randrange(3) if rng.random() < 0.3 else 0),
                currency=self.customer_currency(rng, party),
                payment_terms=rng.choice([14, 30, 30, 45, 60]),
            )
            if i >= n:  # customers without documents: some get deleted later
                c.deleted_on = _at(
                    self.first_day + timedelta(days=rng.randrange(self.history_days + 200)), rng
                )
                c.deleted_kind = self.customer_delete_kind
            self.customers.append(c)
        self.active_customers = self.customers[:n]

    customer_delete_kind: str | None = None

    def customer_currency(self, rng: random.Random, party: Party) -> str:
        return "EUR"

    def count_for(self, offset: int, rng: random.Random) -> int:
        if offset < self.history_days:
            return self._base + (1 if offset in self._extra_days else 0)
        return self._base + (1 if rng.random() < self._rem_rate else 0)

    def generate_until(self, day: date) -> list[Document]:
        """Create every document up to ``day`` (inclusive); returns the new ones."""
        new: list[Document] = []
        d = self.generated_until + timedelta(days=1)
        while d <= day:
            rng = self.rng("day", d.isoformat())
            offset = (d - self.first_day).days
            for doc in self.pending.pop(d, []):
                new.append(doc)
            for _ in range(self.count_for(offset, rng)):
                new.extend(self.build(rng, d))
            d += timedelta(days=1)
        self.generated_until = day
        for doc in new:
            self.docs.append(doc)
            self.by_id[doc.id] = doc
        return new

    def next_number(self) -> int:
        self.counter += 1
        return self.counter

    def terms(self, rng: random.Random, customer: Customer) -> int:
        return customer.payment_terms

    def setup(self, rng: random.Random, parties: list[Party]) -> None:
        raise NotImplementedError

    def build(self, rng: random.Random, day: date) -> list[Document]:
        raise NotImplementedError


class BaloomBooks(Books):
    vendor = "baloom"
    country = "FR"

    def setup(self, rng: random.Random, parties: list[Party]) -> None:
        self.sites = [det_uuid(rng) for _ in range(3)]
        self.organization_id = det_uuid(rng)
        self.pick_customers(rng, parties, max(5, self.scale // 20))
        for c in self.customers:
            c.site_id = None if rng.random() < 0.1 else rng.choice(self.sites)
        when = self.epoch()
        self.categories = make_categories(self.vendor, rng, when, self.id_fn)
        self.products = make_products(
            self.vendor,
            rng,
            max(20, self.scale // 50),
            "FR",
            self.categories,
            when,
            self.id_fn,
            self.sites,
        )
        self.life = Lifecycle(
            rng,
            det_uuid,
            ["card", "transfer"],
            partial=False,
            delete_kind="hard",
            edits=("due_date",),
        )

    def build(self, rng: random.Random, day: date) -> list[Document]:
        self.life.rng = rng
        cust = rng.choice(self.active_customers)
        created = _at(day, rng)
        n = self.next_number()
        refund = rng.random() < 0.06
        orderless = refund or rng.random() < 0.03
        if orderless:
            lines = make_lines(rng, "FR", 1, self.products)
            discount = shipping = 0
        else:
            lines = make_lines(rng, "FR", rng.randrange(1, 5), self.products)
            single = len({ln.rate for ln in lines}) == 1
            subtotal = sum(ln.net for ln in lines)
            discount = subtotal * rng.choice([5, 10]) // 100 if single and rng.random() < 0.3 else 0
            shipping = rng.choice([490, 990]) if rng.random() < 0.5 else 0
        doc = Document(
            vendor=self.vendor,
            endpoint="invoices",
            id=det_uuid(rng),
            number=f"INV-{day.year}-{n:06d}",
            direction="receivable",
            kind="credit_note" if refund else "invoice",
            customer=cust,
            issue_date=day,
            due_date=day + timedelta(days=30),
            currency="EUR",
            country="FR",
            lines=lines,
            created_at=created,
            discount=discount,
            shipping=shipping,
        )
        totals_on_base(doc)
        if not orderless:
            status = "DELIVERED" if rng.random() < 0.8 else "SHIPPED"
            doc.order = make_order(
                rng,
                n,
                cust,
                self.products,
                created - timedelta(minutes=5),
                lines,
                discount,
                shipping,
                doc.vat,
                status,
            )
            self.orders.append(doc.order)
        if rng.random() < 0.05:  # an order that never got invoiced
            extra = make_lines(rng, "FR", rng.randrange(1, 3), self.products)
            tax = sum(ln.vat for ln in extra)
            self.orders.append(
                make_order(
                    rng,
                    self.next_number(),
                    cust,
                    self.products,
                    created,
                    extra,
                    0,
                    0,
                    tax,
                    rng.choice(["PENDING", "CANCELLED", "CONFIRMED"]),
                )
            )
        self.life.plan(doc)
        return [doc]


class KatsuBooks(Books):
    vendor = "katsu"
    country = "NG"

    def setup(self, rng: random.Random, parties: list[Party]) -> None:
        self.pick_customers(rng, parties, max(5, self.scale // 20))
        self.groups = [det_uuid(rng) for _ in range(3)]
        when = self.epoch()
        self.products = make_products(
            self.vendor, rng, max(10, self.scale // 100), "NG", [], when, self.id_fn
        )
        for p in self.products:
            p.category_id = det_uuid(rng)
        self.users = [det_uuid(rng) for _ in range(4)]
        self.life = Lifecycle(
            rng, det_uuid, ["BankTransfer", "Card", "USSD"], delete_kind="hard", edits=("notes",)
        )

    def build(self, rng: random.Random, day: date) -> list[Document]:
        self.life.rng = rng
        cust = rng.choice(self.active_customers)
        currency = rng.choices([c for c, _ in KATSU_CURRENCIES], [w for _, w in KATSU_CURRENCIES])[
            0
        ]
        amount = rng.randrange(2_000, 500_000)
        if currency == "NGN":
            amount *= 500
        elif currency == "KES":
            amount *= 100
        line = Line(1, "Invoice", 100, amount, amount, 0, 0)
        n = self.next_number()
        doc = Document(
            vendor=self.vendor,
            endpoint="invoices",
            id=det_uuid(rng),
            number=f"KP-{n:07d}",
            direction="receivable",
            kind="invoice",
            customer=cust,
            issue_date=day,
            due_date=day + timedelta(days=rng.choice([7, 14, 30])),
            currency=currency,
            country="NG",
            lines=[line],
            created_at=_at(day, rng),
            has_vat=False,
            notes=f"Services {day:%B %Y}",
            extra={
                "discountType": rng.choice([1, 2]),
                "billingCycle": rng.choices([1, 4, 5, 7], [70, 20, 5, 5])[0],
                "paymentOption": rng.randrange(1, 7),
                "userId": rng.choice(self.users),
                "beforeDueDate": rng.choice([1, 3, 6]),
                "afterDueDate": rng.choice([1, 3, 7]),
                "onDueDate": rng.random() < 0.5,
                "accountName": f"Main account {rng.randrange(1, 4)}",
            },
        )
        doc.extra["recuringInvoice"] = doc.extra["billingCycle"] != 1
        doc.net, doc.vat, doc.gross = amount, 0, amount
        self.life.plan(doc)
        return [doc]


class IbanaBooks(Books):
    vendor = "ibana"
    country = "DE"

    def setup(self, rng: random.Random, parties: list[Party]) -> None:
        self.pick_customers(rng, parties, max(6, self.scale // 20))
        half = max(3, len(self.active_customers) // 2)
        self.suppliers = self.active_customers[:half]
        self.debtors = self.active_customers[half:] or self.active_customers
        self.organization = {"id": self.id_fn(rng), "name": "Ledgerline Demo Group"}
        self.debitors = {
            c: {"id": self.id_fn(rng), "name": f"Ledgerline Demo {c}", "countryCode": c}
            for c in ("DE", "FR", "GB")
        }
        self.pay_life = Lifecycle(
            rng,
            self.id_fn,
            ["transfer"],
            partial=False,
            drafts=False,
            delete_kind=None,
            edits=("notes",),
        )
        self.ar_life = Lifecycle(
            rng, self.id_fn, ["transfer"], drafts=False, delete_kind=None, edits=("notes",)
        )

    def build(self, rng: random.Random, day: date) -> list[Document]:
        if rng.random() < 0.6:
            return [self._supplier_invoice(rng, day)]
        return [self._customer_invoice(rng, day)]

    def _supplier_invoice(self, rng: random.Random, day: date) -> Document:
        self.pay_life.rng = rng
        sup = rng.choice(self.suppliers)
        country = rng.choices(["DE", "FR", "GB"], [80, 10, 10])[0]
        lines = make_lines(rng, country, rng.randrange(1, 5))
        issue = day - timedelta(days=rng.randrange(0, 4))
        credit = rng.random() < 0.05
        doc = Document(
            vendor=self.vendor,
            endpoint="supplier_invoices",
            id=self.id_fn(rng),
            number=f"RE-{rng.randrange(10_000, 99_999)}-{self.next_number()}",
            direction="payable",
            kind="credit_note" if credit else "invoice",
            customer=sup,
            issue_date=issue,
            due_date=issue + timedelta(days=rng.choice([14, 30, 30, 60])),
            currency="GBP" if country == "GB" else "EUR",
            country=country,
            lines=lines,
            created_at=_at(day, rng),
            notes="",
            extra={"debitor": self.debitors[country]},
        )
        totals_from_lines(doc)
        if not credit and rng.random() < 0.4:
            doc.skonto_rate = rng.choice([200, 300])
            doc.skonto_date = issue + timedelta(days=rng.choice([7, 10, 14]))
        review = [
            Event(doc.created_at + timedelta(days=2, hours=1), "edit", {"review": "IN_REVIEW"}),
            Event(doc.created_at + timedelta(days=5, hours=2), "edit", {"review": "APPROVED"}),
        ]
        if doc.skonto_date is not None and rng.random() < 0.6:
            # pays within the skonto period, taking the discount
            paid = doc.issue_date + timedelta(
                days=rng.randrange(0, (doc.skonto_date - doc.issue_date).days + 1)
            )
            doc.events = [self.pay_life._pay(paid, doc.gross)]
            doc.events[0].at = max(doc.events[0].at, doc.created_at + timedelta(minutes=30))
            doc.events[0].payload.at = doc.events[0].at
        else:
            self.pay_life.plan(doc)
        if rng.random() < 0.02:  # rejected by review
            doc.events = [Event(doc.created_at + timedelta(days=3), "cancel")]
        doc.events = sorted(review + doc.events, key=lambda e: e.at)
        doc.extra["paid_status_style"] = "PAID" if rng.random() < 0.7 else "APPROVED"
        doc.extra["new_spelling"] = rng.random() < 0.3
        return doc

    def _customer_invoice(self, rng: random.Random, day: date) -> Document:
        self.ar_life.rng = rng
        cust = rng.choice(self.debtors)
        lines = make_lines(rng, "DE", rng.randrange(1, 4))
        doc = Document(
            vendor=self.vendor,
            endpoint="customer_invoices",
            id=self.id_fn(rng),
            number=f"AR-{day.year}-{self.next_number():06d}",
            direction="receivable",
            kind="invoice",
            customer=cust,
            issue_date=day,
            due_date=day + timedelta(days=cust.payment_terms),
            currency="EUR",
            country="DE",
            lines=lines,
            created_at=_at(day, rng),
        )
        totals_from_lines(doc)
        self.ar_life.plan(doc)
        return doc


class WuroBooks(Books):
    vendor = "wuro"
    country = "FR"
    customer_delete_kind = "soft"

    def setup(self, rng: random.Random, parties: list[Party]) -> None:
        n = max(5, self.scale // 20)
        self.pick_customers(rng, parties, n, extra=max(1, n // 10))
        when = self.epoch()
        self.categories = make_categories(self.vendor, rng, when, self.id_fn)
        self.products = make_products(
            self.vendor, rng, max(15, self.scale // 80), "FR", self.categories, when, self.id_fn
        )
        self.methods = [
            (object_id(rng), name) for name in ("Virement", "Chèque", "Carte bancaire", "Espèces")
        ]
        self.company = {"id": object_id(rng), "name": "Ledgerline Demo SAS"}
        self.life = Lifecycle(
            rng,
            object_id,
            [m[1] for m in self.methods],
            cancel=False,
            delete_kind="soft",
            edits=("notes", "due_date"),
        )

    def customer_currency(self, rng: random.Random, party: Party) -> str:
        return rng.choices(["EUR", "USD", "GBP"], [90, 5, 5])[0]

    def build(self, rng: random.Random, day: date) -> list[Document]:
        self.life.rng = rng
        cust = rng.choice(self.active_customers)
        r = rng.random()
        if r < 0.05:
            return self._advance_and_final(rng, day, cust)
        kind, vtype = "invoice", "invoice"
        if r < 0.11:
            kind, vtype = "credit_note", "credit"
        elif r < 0.15:
            vtype = "external"
        elif r < 0.17:
            kind, vtype = "credit_note", "external_credit"
        n_lines = 1 if kind == "credit_note" else rng.randrange(1, 6)
        lines = make_lines(rng, "FR", n_lines, self.products, fractional=True)
        if n_lines > 2 and rng.random() < 0.3:
            lines.insert(0, Line(0, "Prestations", 0, 0, 0, 0, 0, kind="header"))
            lines.append(Line(0, "Sous-total", 0, 0, 0, 0, 0, kind="subtotal"))
            for i, ln in enumerate(lines):
                ln.number = i + 1
        doc = self._doc(rng, day, cust, kind, vtype, lines)
        self.life.plan(doc)
        return [doc]

    def _doc(
        self,
        rng: random.Random,
        day: date,
        cust: Customer,
        kind: str,
        vtype: str,
        lines: list[Line],
    ) -> Document:
        doc = Document(
            vendor=self.vendor,
            endpoint="invoices",
            id=object_id(rng),
            number=f"F{day:%Y%m}-{self.next_number():05d}",
            direction="receivable",
            kind=kind,
            customer=cust,
            issue_date=day,
            due_date=day + timedelta(days=cust.payment_terms),
            currency=cust.currency,
            country="FR",
            lines=lines,
            created_at=_at(day, rng),
            vendor_type=vtype,
            title=f"{lines[0].description if lines else 'Facture'}",
        )
        totals_from_lines(doc)
        return doc

    def _advance_and_final(self, rng: random.Random, day: date, cust: Customer) -> list[Document]:
        project = make_lines(rng, "FR", rng.randrange(1, 4), self.products, single_rate=2000)
        project_net = sum(ln.net for ln in project)
        pct = rng.choice([20, 30, 40])
        adv_net = project_net * pct // 100
        adv_line = Line(1, f"Acompte {pct}% sur commande", 100, adv_net, adv_net, 2000, 0)
        adv_line.vat = vat_of(adv_net, 2000)
        advance = self._doc(rng, day, cust, "advance", "advance", [adv_line])
        advance.draft_first = False
        self.life.plan(advance, always_paid=True)
        pay_day = max(e.at for e in advance.events if e.kind == "payment").date()
        final_day = pay_day + timedelta(days=rng.randrange(5, 40))
        final = self._doc(rng, final_day, cust, "final", "sold", project)
        final.advances = [advance]
        final.created_at = _at(final_day, rng)
        # The final invoice's lifecycle is drawn now, from this day's generator.
        self.life.plan(final)
        self.pending.setdefault(final_day, []).append(final)
        return [advance]


class HoursmithBooks(Books):
    vendor = "hoursmith"
    country = "GB"
    customer_delete_kind = "soft"

    def setup(self, rng: random.Random, parties: list[Party]) -> None:
        n = max(5, self.scale // 20)
        self.pick_customers(rng, parties, n, extra=max(1, n // 10))
        self.org_id = det_uuid(rng)
        self.life = Lifecycle(
            rng,
            det_uuid,
            ["bank_transfer", "card"],
            delete_kind="soft",
            edits=("notes", "due_date"),
        )

    def customer_currency(self, rng: random.Random, party: Party) -> str:
        if party.country == "GB":
            return "GBP"
        return rng.choice(["EUR", "USD"]) if party.country in ("FR", "DE", "US") else "GBP"

    def build(self, rng: random.Random, day: date) -> list[Document]:
        self.life.rng = rng
        cust = rng.choice(self.active_customers)
        rate = (500 if rng.random() < 0.1 else 2000) if cust.party.country == "GB" else 0
        hours = rng.randrange(2, 80) * 50  # hundredths of an hour, in half hours
        hourly = rng.choice([4500, 6000, 7500, 9500, 12000])
        net = (hours * hourly + 50) // 100
        line = Line(1, "Time", hours, hourly, net, rate, 0)
        n = self.next_number()
        doc = Document(
            vendor=self.vendor,
            endpoint="invoices",
            id=det_uuid(rng),
            number=f"INV-{n:06d}",
            direction="receivable",
            kind="invoice",
            customer=cust,
            issue_date=day,
            due_date=day + timedelta(days=cust.payment_terms),
            currency=cust.currency,
            country="GB",
            lines=[line],
            created_at=_at(day, rng),
            discount=net * 10 // 100 if rng.random() < 0.1 else 0,
            notes=f"Work for {day:%B %Y}",
        )
        totals_on_base(doc)
        line.vat = doc.vat
        self.life.plan(doc)
        return [doc]


BOOKS: dict[str, type[Books]] = {
    b.vendor: b for b in (BaloomBooks, KatsuBooks, IbanaBooks, WuroBooks, HoursmithBooks)
}
