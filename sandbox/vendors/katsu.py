"""Katsu Pay: .NET invoicing API (contract section 2).

Integer enums only, a ``succeeded``/``errors`` envelope on every answer, newest-first pages and
no VAT data at all. Query parameter names are matched as the contract spells them: invoices and
counterparties page with ``PageNumber``/``PageSize``, products with ``pageNumber``/``pageSize``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Any

from sandbox.faults import unit
from sandbox.http import Request, Response
from sandbox.vendors.base import VendorApp, day_ts, dumps, num, ts_ms
from sandbox.world.books import KatsuBooks
from sandbox.world.model import Customer, Document, Product

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 10
CURRENCY = {"NGN": 1, "USD": 2, "GBP": 3, "EUR": 4, "KES": 5}
DRAFT, PENDING, APPROVED, PAID, PARTIALLY_PAID, OVERDUE, CANCELLED = range(1, 8)
BOOL_ARGS = {"true": True, "false": False}


def katsu_status(doc: Document, today: date) -> int:
    """The ``invoiceStatus`` code of a document at a clock day.

    Args:
        doc: A materialized Katsu document.
        today: The sandbox clock day; an unpaid open invoice due before it is overdue.

    Returns:
        The [assumed] code: 1 Draft, 2 Pending, 3 Approved, 4 Paid, 5 PartiallyPaid,
        6 Overdue, 7 Cancelled.
    """
    if doc.state == "draft":
        return DRAFT
    if doc.state == "cancelled":
        return CANCELLED
    if doc.state == "paid":
        return PAID
    if doc.paid > 0:
        return PARTIALLY_PAID
    if doc.effective_due_date < today:
        return OVERDUE
    return PENDING if unit("katsu-approval", doc.id) < 0.5 else APPROVED


def is_due(doc: Document, today: date) -> bool:
    """What ``DueInvoices=true`` selects: open, past its due date, not fully paid."""
    return doc.state == "open" and doc.effective_due_date < today and doc.paid < doc.gross


class KatsuApp(VendorApp):
    """The Katsu Pay emulator."""

    name = "katsu"
    prefix = ""
    warm_targets = (
        f"/api/v1/Invoice/getAll?PageSize={MAX_PAGE_SIZE}",
        f"/api/v1/Invoice/getbyId?InvoiceId={uuid.UUID(int=0)}",
        f"/api/v1/Products?pageSize={MAX_PAGE_SIZE}",
        f"/api/v1/Counterparties?PageSize={MAX_PAGE_SIZE}",
    )

    def routes(self) -> None:
        """Register Katsu's four GET endpoints."""
        self.route("/api/v1/Invoice/getAll", self.list_invoices)
        self.route("/api/v1/Invoice/getbyId", self.get_invoice)
        self.route("/api/v1/Products", self.list_products)
        self.route("/api/v1/Counterparties", self.list_counterparties)

    def authorized(self, req: Request) -> bool:
        """Bearer token only."""
        return req.header("authorization") == f"Bearer {self.creds.katsu_token}"

    def error(self, status: int, message: str) -> Response:
        """Katsu's error envelope, for every status."""
        body = {"succeeded": False, "message": message, "errors": [message], "data": None}
        return self.json(body, status)

    # -- records
    def _books(self) -> KatsuBooks:
        books = self.world.books["katsu"]
        assert isinstance(books, KatsuBooks)
        return books

    def render_invoice(self, doc: Document) -> dict[str, Any]:
        """One invoice as ``getbyId`` and ``getAll`` show it."""
        x = doc.extra
        return {
            "id": doc.id,
            "invoiceId": doc.number,
            "counterpartyId": doc.customer.id,
            "counterPartyName": doc.customer.name,
            "accountName": x["accountName"],
            "dueDate": day_ts(doc.effective_due_date),
            "currency": CURRENCY[doc.currency],
            "discountType": x["discountType"],
            "description": doc.effective_notes,
            "billingCycle": x["billingCycle"],
            "recuringInvoice": x["recuringInvoice"],
            "paymentOption": x["paymentOption"],
            "userId": x["userId"],
            "amount": num(doc.gross),
            "notifications": "email",
            "paidAmount": num(doc.paid),
            "created": ts_ms(doc.created_at),
            "invoiceStatus": katsu_status(doc, self.world.clock),
            "beforeDueDate": x["beforeDueDate"],
            "afterDueDate": x["afterDueDate"],
            "onDueDate": x["onDueDate"],
        }

    def corrupt(self, fault: str, obj: dict[str, Any]) -> dict[str, Any]:
        """Malform an invoice: text amount, no id, or an undocumented status code."""
        obj = dict(obj)
        if fault == "bad_amount":
            obj["amount"] = "abc"
        elif fault == "missing_id":
            del obj["id"]
        elif fault == "unknown_enum":
            obj["invoiceStatus"] = 99
        return obj

    def render_counterparty(self, c: Customer) -> dict[str, Any]:
        """A counterparty [assumed shape]."""
        groups = self._books().groups
        return {
            "id": c.id,
            "name": c.name,
            "email": c.party.email,
            "phone": c.party.phone,
            "groupId": groups[int(unit("katsu-group", c.id) * len(groups))],
            "created": ts_ms(c.created_at),
        }

    @staticmethod
    def render_product(p: Product) -> dict[str, Any]:
        """A product, as the docs' example shows it."""
        return {
            "id": p.id,
            "name": p.name,
            "description": f"{p.name} ({p.unit})",
            "price": num(p.price),
            "categoryId": p.category_id,
            "imageUrl": f"https://cdn.katsupay.example/products/{p.id}.png",
            "availability": p.active,
            "createdAt": ts_ms(p.created_at),
            "updatedAt": ts_ms(p.created_at),
        }

    # -- listings (newest first, then id)
    def _invoice_pairs(self) -> list[tuple[str, bytes]]:
        docs = sorted(self.live_docs(), key=lambda d: d.id)
        docs.sort(key=lambda d: d.created_at, reverse=True)  # stable: ties stay in id order
        return [
            (d.id, self.cached("invoice", d.id, partial(self.render_invoice, d), d)) for d in docs
        ]

    def _counterparty_pairs(self) -> list[tuple[str, bytes]]:
        cs = sorted((c for c in self._books().customers if not c.deleted), key=lambda c: c.id)
        cs.sort(key=lambda c: c.created_at, reverse=True)
        return [
            (c.id, self.cached("counterparty", c.id, partial(self.render_counterparty, c)))
            for c in cs
        ]

    def _product_pairs(self) -> list[tuple[str, bytes]]:
        ps = sorted(self._books().products, key=lambda p: p.id)
        ps.sort(key=lambda p: p.created_at, reverse=True)
        return [(p.id, self.cached("product", p.id, partial(self.render_product, p))) for p in ps]

    def invoices(self) -> list[tuple[str, bytes]]:
        """The ordered invoice listing (with hostile duplicates)."""
        return self.listing("invoices", self._invoice_pairs, docs=True)

    # -- handlers
    def page(
        self, req: Request, items: list[tuple[str, bytes]], number_arg: str, size_arg: str
    ) -> Response:
        """One page of ``items`` in the paged envelope, or a 400 for a bad page request."""
        try:
            number = self.int_arg(req, number_arg, 1, 1)
            size = self.int_arg(req, size_arg, DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
        except ValueError:
            return self.error(
                400, f"{number_arg} must be >= 1 and {size_arg} between 1 and {MAX_PAGE_SIZE}"
            )
        records = self.page_items(req, items, (number - 1) * size, size)
        head = {
            "pageNumber": number,
            "pageSize": size,
            "total": len(items),
            "succeeded": True,
            "message": "",
            "errors": [],
        }
        return Response(200, self.envelope(dumps(head)[:-1] + b',"data":', records, b"}"))

    def list_invoices(self, req: Request) -> Response:
        """``GET /api/v1/Invoice/getAll`` with its seven filters."""
        try:
            keep = self._invoice_filter(req)
        except ValueError as exc:
            return self.error(400, str(exc))
        items = self.invoices()
        if keep is not None:
            key, pred = keep
            by_id = self._books().by_id
            items = self.filtered(key, items, lambda rid: pred(by_id[rid]))
        return self.page(req, items, "PageNumber", "PageSize")

    def _invoice_filter(
        self, req: Request
    ) -> tuple[tuple[Any, ...], Callable[[Document], bool]] | None:
        """The cache key and predicate of the request's filters; ValueError on a bad value."""
        today = self.world.clock
        preds: list[Callable[[Document], bool]] = []
        key: list[Any] = ["invoices"]
        for name in (
            "InvoiceStatus",
            "CounterpartyId",
            "Counterparty",
            "AccountName",
            "RecuringInvoice",
            "GlobalSearch",
            "DueInvoices",
        ):
            raw = req.arg(name)
            if raw is None or raw == "":
                continue
            pred = self._predicate(name, raw, today)
            if pred is None:
                continue
            key.append((name, raw))
            preds.append(pred)
        if not preds:
            return None
        return tuple(key), lambda d: all(p(d) for p in preds)

    @staticmethod
    def _predicate(name: str, raw: str, today: date) -> Callable[[Document], bool] | None:
        if name == "InvoiceStatus":
            try:
                code = int(raw)
            except ValueError:
                raise ValueError(f"The value '{raw}' is not valid for InvoiceStatus.") from None
            return lambda d: katsu_status(d, today) == code
        if name == "CounterpartyId":
            return lambda d: d.customer.id == raw
        if name == "Counterparty":
            needle = raw.casefold()
            return lambda d: needle in d.customer.name.casefold()
        if name == "AccountName":
            return lambda d: d.extra["accountName"] == raw
        if name == "GlobalSearch":
            needle = raw.casefold()
            return lambda d: any(
                needle in s.casefold() for s in (d.number, d.customer.name, d.effective_notes)
            )
        flag = BOOL_ARGS.get(raw.lower())
        if flag is None:
            raise ValueError(f"The value '{raw}' is not valid for {name}.")
        if name == "RecuringInvoice":
            return lambda d: d.extra["recuringInvoice"] is flag
        # DueInvoices: a switch; false means "no due-date filter", not "not due"
        return (lambda d: is_due(d, today)) if flag else None

    def get_invoice(self, req: Request) -> Response:
        """``GET /api/v1/Invoice/getbyId?InvoiceId=<uuid>``."""
        raw = req.arg("InvoiceId") or ""
        try:
            uuid.UUID(raw)
        except ValueError:
            return self.error(400, f"The value '{raw}' is not valid for InvoiceId.")
        data = self.index("invoices", self._invoice_pairs, docs=True).get(raw)
        if data is None:
            return self.error(404, f"Invoice {raw} not found")
        return Response(200, b'{"succeeded":true,"message":"","errors":[],"data":' + data + b"}")

    def list_products(self, req: Request) -> Response:
        """``GET /api/v1/Products`` (lower-case paging parameters)."""
        items = self.listing("products", self._product_pairs)
        return self.page(req, items, "pageNumber", "pageSize")

    def list_counterparties(self, req: Request) -> Response:
        """``GET /api/v1/Counterparties``."""
        items = self.listing("counterparties", self._counterparty_pairs)
        return self.page(req, items, "PageNumber", "PageSize")
