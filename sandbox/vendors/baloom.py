"""Baloom: commerce platform, sales side (contract section 1)."""

from __future__ import annotations

import builtins
import math
from functools import partial
from typing import Any

from sandbox.http import Request, Response
from sandbox.vendors.base import VendorApp, day_ts, dumps, num, rate_num, ts_ms
from sandbox.world.model import Category, Customer, Document, Order, Product

MAX_LIMIT = 100
DEFAULT_LIMIT = 20
ENTITIES = ("products", "categories", "orders", "customers", "invoices")


def baloom_status(doc: Document, today: Any) -> str:
    if doc.state == "draft":
        return "DRAFT"
    if doc.state == "paid":
        return "PAID"
    if doc.state == "cancelled":
        return "CANCELLED"
    return "OVERDUE" if doc.effective_due_date < today else "SENT"


class BaloomApp(VendorApp):
    name = "baloom"
    vary = ("x-site-id",)
    warm_targets = tuple(
        t for e in ENTITIES for t in (f"/api/{e}?limit={MAX_LIMIT}", f"/api/{e}/-")
    )

    def routes(self) -> None:
        for entity in ENTITIES:
            self.route(f"/api/{entity}", lambda req, e=entity: self.list(req, e))
            self.route(f"/api/{entity}/{{rid}}", lambda req, rid, e=entity: self.one(e, rid))

    def authorized(self, req: Request) -> bool:
        key = self.creds.baloom_api_key
        auth = req.header("authorization") or ""
        return req.header("x-api-key") == key or auth == f"Bearer {key}"

    def error(self, status: int, message: str) -> Response:
        names = {
            400: "Bad Request",
            401: "Unauthorized",
            404: "Not Found",
            429: "Too Many Requests",
        }
        if status == 404:
            message = "Record Not Found"
        return self.json(
            {"statusCode": status, "message": message, "error": names.get(status, message)}, status
        )

    # -- records
    def _books(self):  # type: ignore[no-untyped-def]
        return self.world.books["baloom"]

    def render_invoice(self, doc: Document) -> dict[str, Any]:
        books = self._books()
        subtotal = sum(ln.net for ln in doc.lines)
        return {
            "id": doc.id,
            "organizationId": books.organization_id,
            "siteId": doc.customer.site_id,
            "invoiceNumber": doc.number,
            "type": "REFUND" if doc.kind == "credit_note" else "SALE",
            "status": baloom_status(doc, self.world.clock),
            "customerId": doc.customer.id,
            "orderId": doc.order.id if doc.order else None,
            "totalAmount": num(doc.gross),
            "subtotal": num(subtotal),
            "taxAmount": num(doc.vat),
            "discountAmount": num(doc.discount),
            "shippingAmount": num(doc.shipping),
            "dueDate": day_ts(doc.effective_due_date),
            "paidAt": ts_ms(doc.paid_at),
            "createdAt": ts_ms(doc.created_at),
            "updatedAt": ts_ms(doc.updated_at),
        }

    def corrupt(self, fault: str, obj: dict[str, Any]) -> dict[str, Any]:
        obj = dict(obj)
        if fault == "bad_amount":
            obj["totalAmount"] = "abc"
        elif fault == "missing_id":
            del obj["id"]
        elif fault == "unknown_enum":
            obj["status"] = "ON_HOLD"
        return obj

    @staticmethod
    def render_order(order: Order) -> dict[str, Any]:
        subtotal = sum(ln.net for ln in order.lines)
        return {
            "id": order.id,
            "orderNumber": order.number,
            "siteId": order.site_id,
            "customerId": order.customer.id,
            "status": order.status,
            "currency": order.currency,
            "subtotal": num(subtotal),
            "taxAmount": num(order.tax),
            "discountAmount": num(order.discount),
            "shippingAmount": num(order.shipping),
            "totalAmount": num(subtotal - order.discount + order.shipping + order.tax),
            "items": [
                {
                    "productId": ln.product_id,
                    "quantity": num(ln.quantity),
                    "unitPrice": num(ln.unit_price),
                    "taxRate": rate_num(ln.rate),
                    "total": num(ln.net),
                }
                for ln in order.lines
            ],
            "createdAt": ts_ms(order.created_at),
            "updatedAt": ts_ms(order.created_at),
        }

    @staticmethod
    def render_customer(c: Customer) -> dict[str, Any]:
        return {
            "id": c.id,
            "siteId": c.site_id,
            "name": c.name,
            "email": c.party.email,
            "phone": c.party.phone,
            "vatNumber": c.party.vat_id,
            "country": c.party.country,
            "createdAt": ts_ms(c.created_at),
            "updatedAt": ts_ms(c.created_at),
        }

    @staticmethod
    def render_product(p: Product) -> dict[str, Any]:
        return {
            "id": p.id,
            "siteId": p.site_id,
            "categoryId": p.category_id,
            "name": p.name,
            "sku": p.sku,
            "price": num(p.price),
            "taxRate": rate_num(p.rate),
            "isActive": p.active,
            "createdAt": ts_ms(p.created_at),
            "updatedAt": ts_ms(p.created_at),
        }

    @staticmethod
    def render_category(c: Category) -> dict[str, Any]:
        return {
            "id": c.id,
            "name": c.name,
            "parentId": c.parent_id,
            "createdAt": ts_ms(c.created_at),
            "updatedAt": ts_ms(c.created_at),
        }

    def _records(self, entity: str) -> list[tuple[str, bytes, Any]]:
        """(id, bytes, record) in the contract's order: createdAt ascending, then id."""
        books = self._books()
        now = self.world.now
        if entity == "invoices":
            docs = sorted(self.live_docs(), key=lambda d: (d.created_at, d.id))
            return [
                (d.id, self.cached("invoice", d.id, partial(self.render_invoice, d), d), d)
                for d in docs
            ]
        if entity == "orders":
            orders = sorted(
                (o for o in books.orders if o.created_at <= now), key=lambda o: (o.created_at, o.id)
            )
            return [
                (o.id, self.cached("order", o.id, partial(self.render_order, o)), o) for o in orders
            ]
        if entity == "customers":
            cs = sorted(books.customers, key=lambda c: (c.created_at, c.id))
            return [
                (c.id, self.cached("customer", c.id, partial(self.render_customer, c)), c)
                for c in cs
            ]
        if entity == "products":
            ps = sorted(books.products, key=lambda p: (p.created_at, p.id))
            return [
                (p.id, self.cached("product", p.id, partial(self.render_product, p)), p) for p in ps
            ]
        cats = sorted(books.categories, key=lambda c: (c.created_at, c.id))
        return [
            (c.id, self.cached("category", c.id, partial(self.render_category, c)), c) for c in cats
        ]

    def _site_of(self, entity: str) -> dict[str, str | None]:
        books = self._books()
        if entity == "products":
            return {p.id: p.site_id for p in books.products}
        if entity == "orders":
            return {o.id: o.site_id for o in books.orders}
        return {c.id: c.site_id for c in books.customers}

    def list(self, req: Request, entity: str) -> Response:
        try:
            page = self.int_arg(req, "page", 1, 1)
            limit = self.int_arg(req, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
        except ValueError:
            return self.error(400, "page must be >= 1 and limit between 1 and 100")
        items = self.listing(entity, lambda: self._pairs(entity), docs=entity == "invoices")
        site = req.header("x-site-id") or req.arg("siteId")
        if site and entity in ("products", "orders", "customers"):
            include_global = (
                entity == "customers" and (req.arg("includeGlobal") or "").lower() == "true"
            )
            sites = self._site_of(entity)
            items = self.filtered(
                (entity, site, include_global),
                items,
                lambda rid: sites.get(rid) == site or (include_global and sites.get(rid) is None),
            )
        total = len(items)
        records = self.page_items(req, items, (page - 1) * limit, limit)
        meta = {
            "total": total,
            "page": page,
            "limit": limit,
            "totalPages": math.ceil(total / limit),
        }
        body = self.envelope(b'{"data":', records, b',"meta":' + dumps(meta) + b"}")
        return Response(200, body)

    def _pairs(self, entity: str) -> builtins.list[tuple[str, bytes]]:
        return [(rid, data) for rid, data, _ in self._records(entity)]

    def one(self, entity: str, rid: str) -> Response:
        data = self.index(entity, lambda: self._pairs(entity), docs=entity == "invoices").get(rid)
        if data is None:
            return self.error(404, "Record Not Found")
        return Response(200, data)
