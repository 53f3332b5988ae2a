"""Wuro: French invoicing, API v3.2 (contract section 4).

Lists page with ``skip``/``limit`` and sort with ``sort=<field>:<1|-1>`` on any top-level
scalar field of the record. Inactive (deleted) records are left out of lists unless
``state=inactive`` is asked for; ``GET /invoice/{uid}`` still returns them. Invoices carry no
timestamps: their ``state`` moves with the clock (``waiting`` -> ``late`` -> ``notpaid``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from functools import partial
from typing import Any, cast

import orjson

from sandbox.http import Request, Response
from sandbox.vendors.base import VendorApp, builtin, day_ts, dumps, num, rate_text, ts_ms
from sandbox.world.books import WuroBooks
from sandbox.world.model import Customer, Document, Line, Payment, Product

MAX_LIMIT = 100
DEFAULT_LIMIT = 20
LATE_DAYS = 60  # overdue by more than this many days: "notpaid" rather than "late" [assumed]
STATES = ("draft", "waiting", "paid", "notpaid", "late", "inactive")
TYPES = ("invoice", "credit", "sold", "advance", "external", "external_credit")
COUNTRY_NAMES = {
    "FR": "France", "DE": "Allemagne", "GB": "Royaume-Uni", "US": "États-Unis", "NG": "Nigeria",
}  # fmt: skip
INVOICE_FIELDS = (
    "_id", "base_currency", "client", "client_name", "client_address", "client_city",
    "client_zip_code", "client_country", "client_email", "client_phone", "company",
    "company_name", "date", "payment_expiry_date", "number", "state", "title", "total_ht",
    "total_ttc", "total_tva", "type",
)  # fmt: skip
CLIENT_FIELDS = (
    "_id", "name", "email", "phone", "address", "zip_code", "city", "country", "company",
    "client_code", "siren", "tva_number", "state", "createdAt", "updatedAt",
)  # fmt: skip
PRODUCT_FIELDS = (
    "_id", "name", "reference", "sku", "price_ht", "tva_rate", "category", "unit", "state",
    "createdAt", "updatedAt",
)  # fmt: skip
PAYMENT_FIELDS = ("_id", "amount", "date", "method_name")
# list -> (record kind, sortable fields, fields searched, fields filtered by exact value)
CATALOG = {
    "clients": ("client", CLIENT_FIELDS, ("name", "email", "client_code"), ()),
    "products": ("product", PRODUCT_FIELDS, ("name", "reference", "sku"), ("category",)),
}

Record = tuple[str, bytes, dict[str, Any]]  # id, wire bytes, top-level scalars (for sorting)


class Cents(int):
    """An amount in cents (or a rate in basis points), written as an exact JSON number."""


class BadRequest(ValueError):
    """A query parameter the API refuses (answered with 400)."""


def wire(obj: Any) -> Any:
    """The JSON-ready form of a plain record: every :class:`Cents` becomes an exact number."""
    if isinstance(obj, Cents):
        return num(obj)
    if isinstance(obj, dict):
        return {k: wire(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [wire(v) for v in obj]
    return obj


def _wire_default(obj: Any) -> Any:
    """orjson's hook for subclasses of builtin types: what :func:`wire` and orjson make of them."""
    return num(obj) if isinstance(obj, Cents) else builtin(obj)


def dumps_wire(obj: Any) -> bytes:
    """``orjson.dumps(wire(obj))`` in one pass: the encoder converts each Cents it meets."""
    return orjson.dumps(obj, default=_wire_default, option=orjson.OPT_PASSTHROUGH_SUBCLASS)


def wuro_state(doc: Document, today: date) -> str:
    """The invoice ``state`` (one of :data:`STATES`) at the sandbox clock day ``today``."""
    if doc.deleted == "soft" or doc.state == "cancelled":
        return "inactive"
    if doc.state in ("draft", "paid"):
        return doc.state
    overdue = (today - doc.effective_due_date).days
    if overdue <= 0:
        return "waiting"
    return "late" if overdue <= LATE_DAYS else "notpaid"


def parse_bound(raw: str | None, name: str) -> tuple[date, datetime | None] | None:
    """A date filter value: ``YYYY-MM-DD`` (compares days) or ISO (compares instants).

    Args:
        raw: The query value, or None.
        name: The parameter's name, for the error message.

    Returns:
        ``(day, instant)`` with ``instant`` None for a plain date; None when absent.

    Raises:
        BadRequest: When the value is neither.
    """
    if raw is None or raw == "":
        return None
    try:
        if len(raw) == 10:
            return date.fromisoformat(raw), None
        at = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise BadRequest(f"{name} must be a date (YYYY-MM-DD) or an ISO date-time") from exc
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return at.date(), at


def in_range(
    day: date,
    at: datetime,
    lo: tuple[date, datetime | None] | None,
    hi: tuple[date, datetime | None] | None,
) -> bool:
    """Whether a record dated ``day`` (instant ``at``) lies within inclusive bounds."""
    if lo is not None and (day < lo[0] if lo[1] is None else at < lo[1]):
        return False
    return not (hi is not None and (day > hi[0] if hi[1] is None else at > hi[1]))


def order(records: list[Record], field: str, desc: bool) -> list[tuple[str, bytes]]:
    """Records sorted on one scalar field, ties broken by id ascending, nulls last."""
    records = sorted(records, key=lambda r: r[0])
    present = [r for r in records if r[2].get(field) is not None]
    nulls = [r for r in records if r[2].get(field) is None]
    present.sort(key=lambda r: r[2][field], reverse=desc)
    return [(rid, data) for rid, data, _ in present + nulls]


def _siren(vat_id: str | None) -> str:
    return vat_id[4:] if vat_id and vat_id.startswith("FR") and len(vat_id) == 13 else ""


class WuroApp(VendorApp):
    """The Wuro API v3.2 emulator."""

    name = "wuro"
    prefix = "/api/v3.2"
    # the contract's default orders, and the unique-key order the sources page in
    warm_targets = tuple(
        f"{path}?{sort}limit={MAX_LIMIT}"
        for path in ("/invoices", "/invoices/payments", "/clients", "/products")
        for sort in ("", "sort=_id:1&")
    ) + ("/invoice/-",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._scalars: dict[tuple[str, str], dict[str, Any]] = {}
        self._lookups: tuple[dict[str, Product], dict[str, str]] | None = None
        super().__init__(*args, **kwargs)

    def routes(self) -> None:
        self.route("/invoices", self.list_invoices)
        self.route("/invoices/payments", self.list_payments)
        self.route("/invoice/{uid}", self.get_invoice)
        self.route("/clients", lambda req: self.list_catalog(req, "clients"))
        self.route("/products", lambda req: self.list_catalog(req, "products"))
        self.route("/product-categories", self.list_categories)

    def authorized(self, req: Request) -> bool:
        return (
            req.header("x-app-id") == self.creds.wuro_app_id
            and req.header("x-app-secret") == self.creds.wuro_app_secret
        )

    def error(self, status: int, message: str) -> Response:
        return self.json({"message": message, "code": status}, status)

    def corrupt(self, fault: str, obj: dict[str, Any]) -> dict[str, Any]:
        obj = dict(obj)
        if fault == "bad_amount":
            obj["total_ttc"] = "abc"
        elif fault == "missing_id":
            del obj["_id"]
        elif fault == "unknown_enum":
            obj["state"] = "archived"
        return obj

    def refresh(self, changed: set[str]) -> None:
        for key in [k for k in self._scalars if k[1] in changed]:
            del self._scalars[key]
        super().refresh(changed)

    # -- records
    def _books(self) -> WuroBooks:
        books = self.world.books["wuro"]
        assert isinstance(books, WuroBooks)
        return books

    def _catalog(self) -> tuple[dict[str, Product], dict[str, str]]:
        """Products by id and payment method ids by name (both fixed for the world's life)."""
        if self._lookups is None:
            books = self._books()
            methods = {name: mid for mid, name in books.methods}
            self._lookups = ({p.id: p for p in books.products}, methods)
        return self._lookups

    def record(
        self, kind: str, rid: str, render: Callable[[], dict[str, Any]], doc: Document | None = None
    ) -> Record:
        """One record's bytes (malformed under ``hostile``) and its true top-level scalars."""
        key = (kind, rid)
        scal = self._scalars.get(key)
        if scal is None or key not in self._cache:
            plain = render()
            scal = {k: v for k, v in plain.items() if not isinstance(v, list | dict)}
            self._scalars[key] = scal
            self._cache.pop(key, None)
            # Schema drift reshapes JSON-ready values (exact numbers), so it needs wire() first;
            # otherwise the encoder writes each Cents as it meets it.
            render_wire = (lambda: wire(plain)) if self.faults.drift else (lambda: plain)
            return rid, self.cached(kind, rid, render_wire, doc), scal
        return rid, self._cache[key], scal

    def encode(self, obj: Any) -> bytes:
        return dumps_wire(obj)

    def render_invoice(self, doc: Document) -> dict[str, Any]:
        """The invoice as ``GET /invoice/{uid}`` shows it (seed 003).

        Top-level amounts are :class:`Cents` (sortable, filterable scalars); nested ones are
        already exact JSON numbers.
        """
        books = self._books()
        c, party = doc.customer, doc.customer.party
        products, methods = self._catalog()
        return {
            "_id": doc.id,
            "VATRates": [
                {"amount": num(vat), "rate": rate_text(rate), "total": num(base)}
                for rate, (base, vat) in doc.vat_by_rate.items()
            ],
            "acomptes": [
                {
                    "_id": adv.id,
                    "amount": num(adv.gross),
                    "amount_ht": num(adv.net),
                    "credit": False,
                    "date": day_ts(adv.issue_date),
                }
                for adv in doc.advances
            ],
            "base_currency": doc.currency,
            "client": c.id,
            "client_name": c.name,
            "client_address": party.street,
            "client_city": party.city,
            "client_zip_code": party.zip,
            "client_country": COUNTRY_NAMES.get(party.country, party.country),
            "client_email": party.email or "",
            "client_phone": party.phone,
            "company": books.company["id"],
            "company_name": books.company["name"],
            "date": day_ts(doc.issue_date),
            "payment_expiry_date": day_ts(doc.effective_due_date),
            "invoice_lines": [
                self._line(doc, ln, products.get(ln.product_id or "")) for ln in doc.lines
            ],
            "number": doc.number if doc.sent_at is not None else "",
            "state": wuro_state(doc, self.world.clock),
            "title": doc.edits.get("notes", doc.title),
            "total_ht": Cents(doc.net),
            "total_ttc": Cents(doc.gross),
            "total_tva": Cents(doc.vat),
            "type": doc.vendor_type or ("credit" if doc.kind == "credit_note" else "invoice"),
            "payments": [self._payment(p, methods.get(p.method, "")) for p in doc.payments],
        }

    @staticmethod
    def _line(doc: Document, ln: Line, product: Product | None) -> dict[str, Any]:
        return {
            "_id": hashlib.blake2b(f"{doc.id}/{ln.number}".encode(), digest_size=12).hexdigest(),
            "description": ln.description,
            "price_ht": num(ln.unit_price),
            "quantity": num(ln.quantity),
            "reference": _reference(product) if product else "",
            "title": ln.description,
            "total_ht": num(ln.net),
            "total_ttc": num(ln.net + ln.vat),
            "tva_rate": num(ln.rate),
            "type": ln.kind,
            "unit": product.unit if product else "",
        }

    @staticmethod
    def _payment(p: Payment, mode: str) -> dict[str, Any]:
        cheque = p.method == "Chèque"
        return {
            "_id": p.id,
            "mode": mode,
            "method_name": p.method,
            "amount": num(p.amount),
            "date": ts_ms(p.at),
            "check_number": f"{int(p.id[:8], 16) % 10**7:07d}" if cheque else None,
        }

    def render_client(self, c: Customer, code: int) -> dict[str, Any]:
        """A client record; ``code`` is its rank in creation order."""
        party = c.party
        return {
            "_id": c.id,
            "name": c.name,
            "email": party.email or "",
            "phone": party.phone,
            "address": party.street,
            "zip_code": party.zip,
            "city": party.city,
            "country": COUNTRY_NAMES.get(party.country, party.country),
            "company": self._books().company["id"],
            "client_code": f"CLI{code:05d}",
            "siren": _siren(party.vat_id),
            "tva_number": party.vat_id or "",
            "state": "inactive" if c.deleted else "active",
            "createdAt": ts_ms(c.created_at),
            "updatedAt": ts_ms(c.updated_at),
        }

    @staticmethod
    def render_product(p: Product) -> dict[str, Any]:
        """A product record (net price, VAT rate as a number)."""
        return {
            "_id": p.id,
            "name": p.name,
            "reference": _reference(p),
            "sku": p.sku,
            "price_ht": Cents(p.price),
            "tva_rate": Cents(p.rate),
            "category": p.category_id,
            "unit": p.unit,
            "state": "active" if p.active else "inactive",
            "createdAt": ts_ms(p.created_at),
            "updatedAt": ts_ms(p.created_at),
        }

    def _invoices(self) -> list[Record]:
        return [
            self.record("invoice", d.id, partial(self.render_invoice, d), d)
            for d in self.live_docs()
        ]

    def _clients(self) -> list[Record]:
        return [
            self.record("client", c.id, partial(self.render_client, c, i + 1))
            for i, c in enumerate(self._books().customers)
        ]

    def _products(self) -> list[Record]:
        return [
            self.record("product", p.id, partial(self.render_product, p))
            for p in self._books().products
        ]

    def _payments(self) -> list[Record]:
        out = []
        for rid, _, s in self._invoices():
            if s["state"] == "inactive":
                continue
            ref = {"invoice_id": rid, "number": s["number"], "client_name": s["client_name"]}
            for p in self._books().by_id[rid].payments:
                item = {
                    "_id": p.id,
                    "amount": Cents(p.amount),
                    "date": ts_ms(p.at),
                    "method_name": p.method,
                    "invoice": ref,
                }
                out.append(self.record("payment", p.id, partial(dict, item)))
        return out

    # -- query parameters
    @staticmethod
    def _paging(req: Request) -> tuple[int, int]:
        try:
            skip = VendorApp.int_arg(req, "skip", 0, 0)
            limit = VendorApp.int_arg(req, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
        except ValueError as exc:
            raise BadRequest(f"skip must be >= 0 and limit between 1 and {MAX_LIMIT}") from exc
        return skip, limit

    @staticmethod
    def _sort(req: Request, default: str, fields: tuple[str, ...]) -> tuple[str, bool]:
        raw = req.arg("sort") or default
        field, sep, direction = raw.partition(":")
        if not sep or field not in fields or direction not in ("1", "-1"):
            raise BadRequest(f"sort must be <field>:<1|-1> with a field among {', '.join(fields)}")
        return field, direction == "-1"

    def _sorted(
        self, kind: str, field: str, desc: bool, build: Callable[[], list[Record]]
    ) -> list[tuple[str, bytes]]:
        return self.listing(
            f"{kind}|{field}|{desc}", lambda: order(build(), field, desc), docs=kind == "invoices"
        )

    def _scal(self, kind: str, rid: str) -> dict[str, Any]:
        return self._scalars[(kind, rid)]

    @staticmethod
    def _choice(req: Request, name: str, allowed: tuple[str, ...]) -> str | None:
        value = req.arg(name) or None
        if value is not None and value not in allowed:
            raise BadRequest(f"{name} must be one of {', '.join(allowed)}")
        return value

    def _page(
        self, req: Request, key: str, items: list[tuple[str, bytes]], skip: int, limit: int
    ) -> Response:
        records = self.page_items(req, items, skip, limit)
        tail = dumps({"total": len(items), "skip": skip, "limit": limit})
        return Response(200, self.envelope(b'{"' + key.encode() + b'":', records, b"," + tail[1:]))

    # -- endpoints
    def list_invoices(self, req: Request) -> Response:
        """``GET /invoices``: filters state, type, client, minDate/maxDate, number, search."""
        try:
            skip, limit = self._paging(req)
            field, desc = self._sort(req, "date:-1", INVOICE_FIELDS)
            state = self._choice(req, "state", STATES)
            vtype = self._choice(req, "type", TYPES)
            lo = parse_bound(req.arg("minDate"), "minDate")
            hi = parse_bound(req.arg("maxDate"), "maxDate")
        except BadRequest as exc:
            return self.error(400, str(exc))
        client, number = req.arg("client") or None, req.arg("number") or None
        search = (req.arg("search") or "").lower() or None
        docs = self._books().by_id

        def keep(rid: str) -> bool:
            s = self._scal("invoice", rid)
            if (s["state"] != state) if state else s["state"] == "inactive":
                return False
            if (vtype and s["type"] != vtype) or (client and s["client"] != client):
                return False
            if number and s["number"] != number:
                return False
            if search and not any(
                search in s[k].lower() for k in ("number", "title", "client_name")
            ):
                return False
            day = docs[rid].issue_date
            return in_range(day, datetime.combine(day, time(0), UTC), lo, hi)

        items = self._sorted("invoices", field, desc, self._invoices)
        params = (state, vtype, client, lo, hi, number, search)
        items = self.filtered(("invoices", field, desc, *params), items, keep)
        return self._page(req, "invoices", items, skip, limit)

    def get_invoice(self, req: Request, uid: str) -> Response:
        """``GET /invoice/{uid}``, inactive ones included; ``populate=client`` embeds it."""
        data = self.index("invoice", lambda: [(r[0], r[1]) for r in self._invoices()]).get(uid)
        if data is None:
            return self.error(404, "Facture non trouvée")
        populate = {p.strip() for p in (req.arg("populate") or "").split(",")}
        cid = self._scalars[("invoice", uid)]["client"]
        if "client" in populate:
            client = self.index("client", lambda: [(r[0], r[1]) for r in self._clients()]).get(cid)
            if client is not None:
                data = data.replace(b'"client":' + dumps(cid), b'"client":' + client, 1)
        return Response(200, b'{"invoice":' + data + b"}")

    def list_payments(self, req: Request) -> Response:
        """``GET /invoices/payments``: every payment of the active invoices, with sums."""
        try:
            skip, limit = self._paging(req)
            field, desc = self._sort(req, "date:1", PAYMENT_FIELDS)
            lo = parse_bound(req.arg("minDate"), "minDate")
            hi = parse_bound(req.arg("maxDate"), "maxDate")
        except BadRequest as exc:
            return self.error(400, str(exc))
        mode = req.arg("mode") or None
        view_key = ("payments-view", field, desc, mode, lo, hi)
        view = self._filtered.get(view_key)  # cleared whenever the clock moves
        if view is None:
            pays = {p.id: p for d in self.live_docs() for p in d.payments}
            methods = self._catalog()[1]

            def keep(rid: str) -> bool:
                p = pays[rid]
                if mode and methods.get(p.method) != mode:
                    return False
                return in_range(
                    p.on, p.at.replace(microsecond=p.at.microsecond // 1000 * 1000), lo, hi
                )

            items = self._sorted("payments", field, desc, self._payments)
            items = self.filtered(("payments", field, desc, mode, lo, hi), items, keep)
            total = sum(self._scal("payment", rid)["amount"] for rid, _ in items)
            # one entry, the listing and its total, kept with the listings the clock clears
            view = cast(list[tuple[str, bytes]], [(items, total)])
            self._filtered[view_key] = view
        items, total = cast(tuple[list[tuple[str, bytes]], int], view[0])
        count = len(items)
        average = (2 * total + count) // (2 * count) if count else 0
        records = self.page_items(req, items, skip, limit)
        tail = dumps({"count": count, "total": num(total), "average": num(average)})
        return Response(200, self.envelope(b'{"payments":', records, b"," + tail[1:]))

    def list_catalog(self, req: Request, entity: str) -> Response:
        """``GET /clients`` (state, search) and ``GET /products`` (state, category, search)."""
        kind, fields, search_keys, exact = CATALOG[entity]
        try:
            skip, limit = self._paging(req)
            field, desc = self._sort(req, "createdAt:1", fields)
            state = self._choice(req, "state", ("active", "inactive")) or "active"
        except BadRequest as exc:
            return self.error(400, str(exc))
        search = (req.arg("search") or "").lower() or None
        wanted = {k: v for k in exact if (v := req.arg(k))}

        def keep(rid: str) -> bool:
            s = self._scal(kind, rid)
            if s["state"] != state or any(s[k] != v for k, v in wanted.items()):
                return False
            return not search or any(search in s[k].lower() for k in search_keys)

        build = self._clients if entity == "clients" else self._products
        items = self._sorted(entity, field, desc, build)
        key = (entity, field, desc, state, search, *sorted(wanted.items()))
        return self._page(req, entity, self.filtered(key, items, keep), skip, limit)

    def list_categories(self, req: Request) -> Response:
        """``GET /product-categories``: all categories, unpaginated, oldest first."""
        cats = sorted(self._books().categories, key=lambda c: (c.created_at, c.id))
        data = [
            {
                "_id": c.id,
                "name": c.name,
                "state": "active",
                "createdAt": ts_ms(c.created_at),
                "updatedAt": ts_ms(c.created_at),
            }
            for c in cats
        ]
        return self.json({"data": data, "count": len(data)})


def _reference(p: Product) -> str:
    return p.sku.replace("SKU-", "REF-", 1)
