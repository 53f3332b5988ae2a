"""ibana: accounts-payable and receivable automation, DE (contract section 3).

Supplier invoices follow the seed-002 shape key for key; about a third of them use the newer
``counterparty*`` spelling instead of ``recipient*``. Customer invoices have the contract's
[assumed] flat shape and no single-object route.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from schwifty import IBAN

from sandbox.faults import unit
from sandbox.http import Request, Response
from sandbox.vendors.base import VendorApp, day_iso, dumps, num, num_text, ts_s
from sandbox.world.books import IbanaBooks
from sandbox.world.model import Customer, Document, Line, vat_of

MAX_LIMIT = 100
DEFAULT_LIMIT = 20
SUPPLIER_STATUSES = ("NEW", "IN_REVIEW", "APPROVED", "REJECTED", "PAID")
EXPORTABLE = ("APPROVED", "PAID")
AR_STATUSES = ("OPEN", "PAID", "CANCELLED")
DATE_FIELDS = ("invoice_date", "due_date")
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
BOOL_ARGS = {"true": True, "false": False}
ERROR_NAMES = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 429: "Too Many Requests"}
# (bank code, account digits) for the debitor accounts: real formats, valid check digits
DEBITOR_BANKS = {"DE": ("37040044", 10), "FR": ("30004", 11), "GB": ("NWBK601613", 8)}
COST_CENTERS = (("100", "Verwaltung"), ("200", "Vertrieb"), ("300", "Produktion"))
LEDGER = {
    1900: ("3400", "Wareneingang 19 % Vorsteuer"),
    700: ("3300", "Wareneingang 7 % Vorsteuer"),
}
LEDGER_OTHER = ("3200", "Wareneingang")
USERS = (("Anna Becker", "ADMIN"), ("Jonas Wolff", "ACCOUNTANT"))
FEATURES = ("SKONTO", "ACCOUNTS_RECEIVABLE", "DATEV_EXPORT")
Pred = tuple[Any, Callable[[Document], bool]]  # (cache key part, test)
SHARED_IDS = frozenset({"bank", "cost-center", "flag", "ledger", "user"})
_B36 = "0123456789abcdefghijklmnopqrstuvwxyz"
# three base-36 digits per entry, least significant first: an id is 8 look-ups, not 24 divisions
_B36_CHUNKS = [a + b + c for c in _B36 for b in _B36 for a in _B36]


def supplier_status(doc: Document) -> str:
    """The rendered ``status`` of a supplier invoice.

    Args:
        doc: A materialized supplier invoice.

    Returns:
        ``REJECTED`` once cancelled; when paid, the document's paid style (``PAID``, or
        ``APPROVED`` with ``alreadyPaid`` true); otherwise its review state (``NEW`` at first).
    """
    if doc.state == "cancelled":
        return "REJECTED"
    if doc.state == "paid":
        return str(doc.extra["paid_status_style"])
    return str(doc.edits.get("review", "NEW"))


def receivable_status(doc: Document) -> str:
    """The rendered ``status`` of a customer invoice: OPEN, PAID or CANCELLED."""
    return {"paid": "PAID", "cancelled": "CANCELLED"}.get(doc.state, "OPEN")


class IbanaApp(VendorApp):
    """The ibana emulator."""

    name = "ibana"
    prefix = ""
    warm_targets = (
        f"/v1/invoice?limit={MAX_LIMIT}",
        "/v1/invoice/-",
        f"/v1/accounts-receivable?limit={MAX_LIMIT}",
        f"/v1/counterparty?limit={MAX_LIMIT}",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._shared_ids: dict[tuple[object, ...], str] = {}
        super().__init__(*args, **kwargs)
        books = self._books()
        self._since = ts_s(books.epoch())
        self._users = [self._user(i, n, r) for i, (n, r) in enumerate(USERS)]
        self._org = self._organization(books)
        self._debitors = {c: self._debitor(d) for c, d in books.debitors.items()}
        self._supplier_ids = {c.id for c in books.suppliers}

    def routes(self) -> None:
        """Register ibana's four GET endpoints."""
        self.route("/v1/invoice", self.list_supplier_invoices)
        self.route("/v1/invoice/{rid}", self.get_supplier_invoice)
        self.route("/v1/accounts-receivable", self.list_customer_invoices)
        self.route("/v1/counterparty", self.list_counterparties)

    def authorized(self, req: Request) -> bool:
        """Bearer token only."""
        return req.header("authorization") == f"Bearer {self.creds.ibana_token}"

    def error(self, status: int, message: str) -> Response:
        """NestJS's error shape."""
        name = ERROR_NAMES.get(status, message)
        body = {"statusCode": status, "message": message, "error": name}
        return self.json(body, status)

    # -- deterministic helpers
    def _books(self) -> IbanaBooks:
        books = self.world.books["ibana"]
        assert isinstance(books, IbanaBooks)
        return books

    def _id(self, *parts: object) -> str:
        """A cuid-like id that depends only on the seed and ``parts``."""
        if parts[0] in SHARED_IDS:  # the same few objects embedded in many invoices
            hit = self._shared_ids.get(parts)
            if hit is None:
                hit = self._shared_ids[parts] = self._make_id(parts)
            return hit
        return self._make_id(parts)

    def _make_id(self, parts: tuple[object, ...]) -> str:
        text = "/".join(map(str, (self.world.seed, "ibana", *parts)))
        n = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=16).digest(), "big")
        chars = ["c"]
        for _ in range(8):  # 24 base-36 digits, least significant first
            n, r = divmod(n, 46656)
            chars.append(_B36_CHUNKS[r])
        return "".join(chars)

    def _int(self, *parts: object, below: int) -> int:
        return int(unit(self.world.seed, "ibana", *parts) * below)

    def _stamps(
        self, created: datetime | str | None, updated: datetime | None = None
    ) -> dict[str, Any]:
        c = created if isinstance(created, str) or created is None else ts_s(created)
        return {"createdAt": c, "updatedAt": ts_s(updated) if updated else c}

    def _user(self, i: int, name: str, role: str) -> dict[str, Any]:
        first, last = name.lower().split()
        uid = self._id("user", i)
        return {
            "id": uid,
            **self._stamps(self._since),
            "email": f"{first}.{last}@ledgerline-demo.example",
            "name": name,
            "authId": f"auth0|{uid[1:]}",
            "role": role,
            "hasPushNotification": i == 0,
        }

    def _organization(self, books: IbanaBooks) -> dict[str, Any]:
        org = books.organization
        return {
            "id": org["id"],
            **self._stamps(self._since),
            "name": org["name"],
            "slug": org["name"].lower().replace(" ", "-"),
            "logoFileName": None,
            "featureFlags": [
                {
                    "id": self._id("flag", f),
                    **self._stamps(self._since),
                    "featureName": f,
                    "isEnabled": True,
                }
                for f in FEATURES
            ],
        }

    def _debitor(self, d: dict[str, Any]) -> dict[str, Any]:
        country = d["countryCode"]
        bank, digits = DEBITOR_BANKS[country]
        account = f"{self._int('debitor-account', d['id'], below=10**digits):0{digits}d}"
        iban = IBAN.generate(country, bank_code=bank, account_code=account)
        bic = iban.bic
        return {
            "id": d["id"],
            **self._stamps(self._since),
            "name": d["name"],
            "iban": str(iban),
            "bic": str(bic) if bic is not None else None,
            "countryCode": country,
            "address": None,
        }

    def payable_number(self, c: Customer) -> str | None:
        """The supplier's accounts-payable number (``22 0391919`` style); None for debtors."""
        if c.id not in self._supplier_ids:
            return None
        return f"{10 + self._int('ap', c.id, below=90)} {self._int('ap2', c.id, below=10**7):07d}"

    def bank_account(self, c: Customer) -> dict[str, Any] | None:
        """The party's bank account, or None when it has no IBAN."""
        p = c.party
        if p.iban is None:
            return None
        return {
            "id": self._id("bank", c.id),
            **self._stamps(c.created_at),
            "name": c.name,
            "iban": p.iban,
            "bic": p.bic,
            "countryCode": p.iban[:2],
            "address": None,
        }

    def _payee(self, c: Customer) -> dict[str, Any]:
        trusted = unit(self.world.seed, "ibana", "trusted", c.id) < 0.6
        return {
            "id": c.id,
            **self._stamps(c.created_at),
            "email": c.party.email,
            "markedTrusted": trusted,
            "markedTrustedDate": ts_s(c.created_at + timedelta(days=1)) if trusted else None,
            "markedTrustedUser": self._users[0] if trusted else None,
            "description": None,
            "vat": c.party.vat_id,
            "accountsPayableNumber": self.payable_number(c),
            "bankAccount": self.bank_account(c),
        }

    # -- records
    def line_items(self, doc: Document) -> list[dict[str, Any]]:
        """Line items of either kind of invoice (product lines only)."""
        return [self._line(doc, ln) for ln in doc.lines if ln.kind == "product"]

    def _line(self, doc: Document, ln: Line) -> dict[str, Any]:
        return {
            "id": self._id("line", doc.id, ln.number),
            **self._stamps(doc.created_at),
            "productCode": 10_000 + self._int("product", ln.description, below=90_000),
            "title": ln.description,
            "description": f"Position {ln.number}",
            "quantity": num(ln.quantity),
            "unit": 1,
            "unitPrice": num(ln.unit_price),
            "totalPrice": num(ln.net),
            "discount": 0,
            "taxRate": num(ln.rate),
            "taxAmount": num(ln.vat),
        }

    def _splits(self, doc: Document) -> list[dict[str, Any]]:
        code, cc_name = COST_CENTERS[self._int("cost-center", doc.id, below=len(COST_CENTERS))]
        cost_center = {
            "id": self._id("cost-center", code),
            **self._stamps(self._since),
            "code": code,
            "name": cc_name,
            "type": "COST_CENTER",
        }
        out = []
        for rate in sorted(doc.vat_by_rate, reverse=True):
            base, vat = doc.vat_by_rate[rate]
            number, ledger_name = (
                LEDGER.get(rate, LEDGER_OTHER) if doc.country == "DE" else LEDGER_OTHER
            )
            out.append(
                {
                    "id": self._id("split", doc.id, rate),
                    **self._stamps(doc.created_at),
                    "partialAmount": num(base + vat),
                    "taxRate": num(rate),
                    "notes": None,
                    "costCenter": cost_center,
                    "costCenter2": None,
                    "ledgerAccount": {
                        "id": self._id("ledger", number),
                        **self._stamps(self._since),
                        "accountNumber": number,
                        "name": ledger_name,
                    },
                }
            )
        return out

    @staticmethod
    def _payment_terms(doc: Document) -> str:
        days = (doc.due_date - doc.issue_date).days
        if doc.skonto_date is None:
            return f"Zahlbar innerhalb von {days} Tagen ohne Abzug"
        return (
            f"{num_text(doc.skonto_rate)} % Skonto bei Zahlung bis {doc.skonto_date:%d.%m.%Y}, "
            f"{days} Tage netto"
        )

    def render_supplier_invoice(self, doc: Document) -> dict[str, Any]:
        """One supplier invoice in the seed-002 shape (old or new payee spelling)."""
        sup = doc.customer
        word = "counterparty" if doc.extra.get("new_spelling") else "recipient"
        skonto = doc.skonto_date is not None
        month_end = (doc.issue_date.replace(day=28) + timedelta(days=4)).replace(day=1)
        last_payment = doc.payments[-1].on if doc.payments else None
        return {
            "id": doc.id,
            **self._stamps(doc.created_at, doc.updated_at),
            "originalFileName": f"{doc.number}.pdf",
            "filename": f"{doc.id}.pdf",
            f"{word}Name": sup.name,
            f"{word}Iban": sup.party.iban,
            f"{word}Vat": sup.party.vat_id,
            word: self._payee(sup),
            "invoiceNumber": doc.number,
            "purchaseOrder": None,
            "date": day_iso(doc.issue_date),
            "billingPeriodStart": day_iso(doc.issue_date.replace(day=1)),
            "billingPeriodEnd": day_iso(month_end - timedelta(days=1)),
            "dueDate": day_iso(doc.effective_due_date),
            "skontoDate": day_iso(doc.skonto_date),
            "skontoAmount": num(vat_of(doc.gross, doc.skonto_rate)) if skonto else None,
            "skontoRate": num(doc.skonto_rate) if skonto else None,
            "totalAmount": num(doc.gross),
            "currency": doc.currency,
            "type": "CREDIT_NOTE" if doc.kind == "credit_note" else "INVOICE",
            "paymentTerms": self._payment_terms(doc),
            "notes": doc.effective_notes,
            "shouldCreateTransaction": True,
            "alreadyPaid": doc.state == "paid",
            "alreadyPaidDate": day_iso(last_payment),
            "archived": False,
            "archivedDate": None,
            "archivedByUser": None,
            "organization": self._org,
            "status": supplier_status(doc),
            "debitor": self._debitors[doc.extra["debitor"]["countryCode"]],
            "export": None,
            "splits": self._splits(doc),
            "lineItems": self.line_items(doc),
        }

    def render_customer_invoice(self, doc: Document) -> dict[str, Any]:
        """One customer invoice in the contract's [assumed] shape."""
        return {
            "id": doc.id,
            "invoiceNumber": doc.number,
            "counterpartyId": doc.customer.id,
            "date": day_iso(doc.issue_date),
            "dueDate": day_iso(doc.effective_due_date),
            "currency": doc.currency,
            "netAmount": num(doc.net),
            "taxAmount": num(doc.vat),
            "totalAmount": num(doc.gross),
            "paidAmount": num(doc.paid),
            "status": receivable_status(doc),
            "lineItems": self.line_items(doc),
            **self._stamps(doc.created_at, doc.updated_at),
        }

    def render_counterparty(self, c: Customer) -> dict[str, Any]:
        """One counterparty (supplier or debtor)."""
        p = c.party
        return {
            "id": c.id,
            "name": c.name,
            "email": p.email,
            "vat": p.vat_id,
            "street": p.street,
            "city": p.city,
            "zip": p.zip,
            "country": p.country,
            "accountsPayableNumber": self.payable_number(c),
            "bankAccount": self.bank_account(c),
            **self._stamps(c.created_at),
        }

    def corrupt(self, fault: str, obj: dict[str, Any]) -> dict[str, Any]:
        """Malform an invoice: text total, no id, or an undocumented status."""
        obj = dict(obj)
        if fault == "bad_amount":
            obj["totalAmount"] = "abc"
        elif fault == "missing_id":
            del obj["id"]
        elif fault == "unknown_enum":
            obj["status"] = "ON_HOLD"
        return obj

    # -- listings (createdAt ascending, then id)
    def _doc_pairs(self, endpoint: str) -> list[tuple[str, bytes]]:
        docs = sorted(self.live_docs(endpoint), key=lambda d: (ts_s(d.created_at) or "", d.id))
        if endpoint == "supplier_invoices":
            kind, render = "supplier_invoice", self.render_supplier_invoice
        else:
            kind, render = "customer_invoice", self.render_customer_invoice
        return [(d.id, self.cached(kind, d.id, partial(render, d), d)) for d in docs]

    def _counterparty_pairs(self) -> list[tuple[str, bytes]]:
        cs = [c for c in self._books().customers if not c.deleted]
        cs.sort(key=lambda c: (ts_s(c.created_at) or "", c.id))
        return [
            (c.id, self.cached("counterparty", c.id, partial(self.render_counterparty, c)))
            for c in cs
        ]

    def documents(self, endpoint: str) -> list[tuple[str, bytes]]:
        """The ordered listing of one document endpoint (with hostile duplicates)."""
        return self.listing(endpoint, lambda: self._doc_pairs(endpoint), docs=True)

    # -- handlers
    def page(self, req: Request, items: list[tuple[str, bytes]]) -> Response:
        """One page of ``items`` in the ``{data, meta}`` envelope, or a 400."""
        try:
            page = self.int_arg(req, "page", 1, 1)
            limit = self.int_arg(req, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
        except ValueError:
            return self.error(400, f"page must be >= 1 and limit between 1 and {MAX_LIMIT}")
        n = len(items)
        records = self.page_items(req, items, (page - 1) * limit, limit)
        meta = {"total": n, "page": page, "limit": limit, "totalPages": math.ceil(n / limit)}
        return Response(200, self.envelope(b'{"data":', records, b',"meta":' + dumps(meta) + b"}"))

    def _filtered_docs(self, endpoint: str, preds: list[Pred]) -> list[tuple[str, bytes]]:
        items = self.documents(endpoint)
        if not preds:
            return items
        by_id = self._books().by_id
        key = (endpoint, *(k for k, _ in preds))
        tests = [p for _, p in preds]
        return self.filtered(key, items, lambda rid: all(t(by_id[rid]) for t in tests))

    @staticmethod
    def _common_filters(
        req: Request, statuses: tuple[str, ...], status_of: Callable[[Document], str]
    ) -> list[Pred]:
        preds: list[Pred] = []
        term = (req.arg("searchTerm") or "").casefold()
        if term:
            preds.append(
                (
                    ("searchTerm", term),
                    lambda d: term in d.number.casefold() or term in d.customer.name.casefold(),
                )
            )
        status = req.arg("status") or ""
        if status:
            if status not in statuses:
                raise ValueError(
                    f"status must be one of the following values: {', '.join(statuses)}"
                )
            preds.append((("status", status), lambda d: status_of(d) == status))
        ids = frozenset(
            s.strip() for s in (req.arg("counterpartyIds") or "").split(",") if s.strip()
        )
        if ids:
            preds.append((("counterpartyIds", ids), lambda d: d.customer.id in ids))
        return preds

    def list_supplier_invoices(self, req: Request) -> Response:
        """``GET /v1/invoice``: supplier invoices with searchTerm, status, ids, exportable."""
        try:
            preds = self._common_filters(req, SUPPLIER_STATUSES, supplier_status)
            raw = req.arg("exportable") or ""
            if raw:
                flag = BOOL_ARGS.get(raw.lower())
                if flag is None:
                    raise ValueError("exportable must be a boolean value")
                preds.append(
                    (("exportable", flag), lambda d: (supplier_status(d) in EXPORTABLE) is flag)
                )
        except ValueError as exc:
            return self.error(400, str(exc))
        return self.page(req, self._filtered_docs("supplier_invoices", preds))

    def get_supplier_invoice(self, req: Request, rid: str) -> Response:
        """``GET /v1/invoice/{id}``."""
        idx = self.index(
            "supplier_invoices", lambda: self._doc_pairs("supplier_invoices"), docs=True
        )
        data = idx.get(rid)
        if data is None:
            return self.error(404, f"Invoice with id {rid} not found")
        return Response(200, data)

    def list_customer_invoices(self, req: Request) -> Response:
        """``GET /v1/accounts-receivable``: customer invoices with their date window."""
        try:
            preds = self._common_filters(req, AR_STATUSES, receivable_status)
            field = req.arg("dateField") or "invoice_date"
            if field not in DATE_FIELDS:
                raise ValueError(
                    "dateField must be one of the following values: " + ", ".join(DATE_FIELDS)
                )
            lo, hi = _day_arg(req, "dateFrom"), _day_arg(req, "dateTo")
        except ValueError as exc:
            return self.error(400, str(exc))
        if lo is not None or hi is not None:

            def day_of(d: Document) -> date:
                return d.issue_date if field == "invoice_date" else d.effective_due_date

            preds.append(
                (
                    ("dates", field, lo, hi),
                    lambda d: (lo is None or day_of(d) >= lo) and (hi is None or day_of(d) <= hi),
                )
            )
        return self.page(req, self._filtered_docs("customer_invoices", preds))

    def list_counterparties(self, req: Request) -> Response:
        """``GET /v1/counterparty``: suppliers and debtors in one list."""
        return self.page(req, self.listing("counterparties", self._counterparty_pairs))


def _day_arg(req: Request, name: str) -> date | None:
    raw = req.arg(name) or ""
    if not raw:
        return None
    if not ISO_DAY.fullmatch(raw):
        raise ValueError(f"{name} must be a date in the format YYYY-MM-DD")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"{name} must be a valid date") from None
