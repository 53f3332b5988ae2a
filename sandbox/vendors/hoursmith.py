"""Hoursmith: time tracking and invoicing, API v1 (contract section 5).

Lists page with an opaque keyset cursor: it holds the sort, the last record's sort value and
its id, and the next page starts strictly after that position in the current data. Records
that change between pages therefore never repeat, and records that existed before are never
skipped unless their own sort value moved behind the cursor (the ``-updatedAt`` watermark case).
Money is sent as strings with two decimals; every authorized response carries rate-limit
headers (:mod:`sandbox.ratelimit`).
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import re
from bisect import bisect_right
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from functools import partial
from typing import Any

import orjson

from sandbox.faults import FaultPlan
from sandbox.http import Request, Response
from sandbox.ratelimit import RateLimiter
from sandbox.vendors.base import Credentials, VendorApp, builtin, day_iso, dumps, money_str, ts_s
from sandbox.vendors.wuro import BadRequest, Cents, in_range, parse_bound
from sandbox.world import World
from sandbox.world.books import HoursmithBooks
from sandbox.world.model import Customer, Document

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
DEFAULT_SORT = "-createdAt"
TOKEN_RE = re.compile(r"hsk_(live|test)_[A-Za-z0-9]{12}_[A-Za-z0-9]{32}")
ERROR_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    402: "forbidden_plan",
    403: "forbidden_scope",
    404: "not_found",
    409: "conflict",
    422: "validation_error",
    429: "rate_limited",
    500: "internal",
}
STATUSES = ("DRAFT", "SENT", "PAID", "CANCELLED")
PAYMENT_STATUSES = ("unpaid", "partially_paid", "paid", "refunded")
MONEY_FIELDS = ("amountPaid", "total")
INVOICE_SORTS = (
    "amountPaid", "createdAt", "dueDate", "id", "issueDate", "number", "paidAt",
    "paymentStatus", "sentAt", "status", "total", "updatedAt",
)  # fmt: skip
CLIENT_SORTS = ("createdAt", "id", "name", "updatedAt")
INVOICE_RANGES = ("issueDate", "dueDate", "sentAt", "paidAt", "createdAt")
CLIENT_RANGES = ("updatedAt",)
PAGING = ("limit", "cursor", "sort")
INVOICE_PARAMS = {
    *PAGING, "status", "paymentStatus", "clientId",
    *(f"{c}{e}" for c in INVOICE_RANGES for e in ("From", "To")),
}  # fmt: skip
CLIENT_PARAMS = {*PAGING, "updatedAtFrom", "updatedAtTo"}
_FIRST = ("Alice", "Ben", "Chloé", "David", "Emma", "Femi", "Grace", "Hugo", "Ines", "Jonas")
_LAST = ("Archer", "Bauer", "Clarke", "Dubois", "Evans", "Fofana", "Gray", "Hart", "Ito")

Item = tuple[tuple[Any, ...], str, bytes, Any]  # sort key, id, bytes, sort value


class Invalid(Exception):
    """A request the API answers with 400 ``bad_request``, naming the offending fields."""

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields


@functools.total_ordering
class Rev:
    """Wraps a value so that it sorts in reverse (descending keyset order)."""

    __slots__ = ("v",)

    def __init__(self, v: Any) -> None:
        self.v = v

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Rev) and self.v == other.v

    def __lt__(self, other: Rev) -> bool:
        return bool(other.v < self.v)

    def __hash__(self) -> int:
        return hash(self.v)


def sort_key(value: Any, rid: str, desc: bool) -> tuple[Any, ...]:
    """The keyset position of a record: nulls last in both directions, then value, then id.

    Args:
        value: The record's sort value (int cents for money, str otherwise, or None).
        rid: The record id (breaks ties, in the sort's direction).
        desc: True for ``-field``.

    Returns:
        A tuple that orders records as the API lists them.
    """
    wrap: Callable[[Any], Any] = Rev if desc else (lambda v: v)
    return (value is None, wrap(value), wrap(rid))


def encode_cursor(sort: str, value: Any, rid: str) -> str:
    """The opaque ``nextCursor``: urlsafe base64 of ``[sort, last value, last id]``."""
    return base64.urlsafe_b64encode(orjson.dumps([sort, value, rid])).rstrip(b"=").decode()


def decode_cursor(cursor: str, sort: str) -> tuple[Any, str]:
    """The ``(last value, last id)`` of a cursor made with the same ``sort``.

    Args:
        cursor: A ``nextCursor`` value.
        sort: The normalized sort of this request.

    Returns:
        The last value and id of the previous page.

    Raises:
        Invalid: On a malformed cursor or one made with another sort.
    """
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        made_for, value, rid = orjson.loads(raw)
    except (binascii.Error, orjson.JSONDecodeError, ValueError, TypeError) as exc:
        raise Invalid("Malformed cursor", {"cursor": "is not a cursor from this API"}) from exc
    if made_for != sort:
        raise Invalid(
            f"The cursor was made for sort={made_for}; keep the same sort while paging",
            {"cursor": "was made for another sort"},
        )
    money = sort.lstrip("-") in MONEY_FIELDS
    ok_type = value is None or (type(value) is int if money else isinstance(value, str))
    if not isinstance(rid, str) or not ok_type:
        raise Invalid("Malformed cursor", {"cursor": "is not a cursor from this API"})
    return value, rid


def hs_wire(obj: dict[str, Any]) -> dict[str, Any]:
    """The JSON-ready record: amounts in :class:`Cents` become strings like ``"12.50"``."""
    return {k: money_str(v) if isinstance(v, Cents) else v for k, v in obj.items()}


def _hs_default(obj: Any) -> Any:
    """orjson's hook for subclasses of builtin types: Cents as money strings, others as orjson would."""
    return money_str(obj) if isinstance(obj, Cents) else builtin(obj)


class HoursmithApp(VendorApp):
    """The Hoursmith API v1 emulator, rate limited per token by plan."""

    name = "hoursmith"
    prefix = "/api/v1"
    # the default order, the sources' full-scan and change orders, and both indexes
    warm_targets = (
        f"/invoices?limit={MAX_LIMIT}",
        f"/invoices?sort=id&limit={MAX_LIMIT}",
        f"/invoices?sort=-updatedAt&limit={MAX_LIMIT}",
        "/invoices/-",
        f"/clients?limit={MAX_LIMIT}",
        f"/clients?sort=id&limit={MAX_LIMIT}",
        "/clients/-",
    )

    def __init__(
        self, world: World, faults: FaultPlan, creds: Credentials, plan: str = "studio"
    ) -> None:
        """Create the emulator.

        Args:
            world: The sandbox world.
            faults: The fault plan.
            creds: The sandbox credentials (one valid token).
            plan: Rate-limit plan: ``studio``, ``agency`` or ``unlimited``.
        """
        self.limiter = RateLimiter.for_plan(plan)
        self._values: dict[tuple[str, str], dict[str, Any]] = {}
        self._views: dict[tuple[Any, ...], list[Item]] = {}
        super().__init__(world, faults, creds)

    def routes(self) -> None:
        self.route("/invoices", lambda req: self.list(req, "invoice"))
        self.route("/invoices/{rid}", lambda req, rid: self.one(req, "invoice", rid))
        self.route("/clients", lambda req: self.list(req, "client"))
        self.route("/clients/{rid}", lambda req, rid: self.one(req, "client", rid))

    # -- auth, limits, errors
    def _auth_problem(self, req: Request) -> str | None:
        auth = req.header("authorization") or ""
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return "Missing bearer token"
        if not TOKEN_RE.fullmatch(token.strip()):
            return "Malformed API token: expected hsk_<env>_<prefix12>_<secret32>"
        if token.strip() != self.creds.hoursmith_token:
            return "Unknown or revoked API token"
        return None

    def authorized(self, req: Request) -> bool:
        return self._auth_problem(req) is None

    def handle(self, req: Request) -> Response:
        problem = self._auth_problem(req)
        if problem is not None:
            return self.error(401, problem)
        if self.limiter.unlimited:
            return super().handle(req)
        decision = self.limiter.hit(self.creds.hoursmith_token)
        if decision.allowed:
            resp = super().handle(req)
        else:
            resp = self.error(429, f"Rate limit exceeded; retry in {decision.retry_after} s")
        resp.headers.extend(decision.headers())
        return resp

    def error(self, status: int, message: str, fields: dict[str, str] | None = None) -> Response:
        code = ERROR_CODES.get(status, "internal" if status >= 500 else "bad_request")
        body: dict[str, Any] = {"code": code, "message": message}
        if fields:
            body["fields"] = fields
        return self.json({"error": body}, status)

    def corrupt(self, fault: str, obj: dict[str, Any]) -> dict[str, Any]:
        obj = dict(obj)
        if fault == "bad_amount":
            obj["total"] = "abc"
        elif fault == "missing_id":
            del obj["id"]
        elif fault == "unknown_enum":
            obj["status"] = "ARCHIVED"
        return obj

    def refresh(self, changed: set[str]) -> None:
        for key in [k for k in self._values if k[1] in changed]:
            del self._values[key]
        self._views.clear()
        super().refresh(changed)

    # -- records
    def _books(self) -> HoursmithBooks:
        books = self.world.books["hoursmith"]
        assert isinstance(books, HoursmithBooks)
        return books

    def render_invoice(self, doc: Document) -> dict[str, Any]:
        """The invoice as ``GET /invoices/{id}`` shows it (seed 004), amounts as Cents."""
        if doc.state == "paid":
            pay_status = "paid"
        else:
            pay_status = "partially_paid" if doc.paid > 0 else "unpaid"
        status = {"draft": "DRAFT", "paid": "PAID", "cancelled": "CANCELLED"}.get(doc.state, "SENT")
        return {
            "id": doc.id,
            "orgId": self._books().org_id,
            "clientId": doc.customer.id,
            "number": doc.number,
            "status": status,
            "paymentStatus": pay_status,
            "subtotal": Cents(sum(ln.net for ln in doc.lines)),
            "discountAmount": Cents(doc.discount),
            "taxRate": Cents(next(iter(doc.vat_by_rate), 0)),
            "total": Cents(doc.gross),
            "amountPaid": Cents(doc.paid),
            "currency": doc.currency,
            "notes": doc.effective_notes,
            "billToName": doc.customer.name,
            "issueDate": day_iso(doc.issue_date),
            "dueDate": day_iso(doc.effective_due_date),
            "sentAt": ts_s(doc.sent_at),
            "paidAt": ts_s(doc.paid_at),
            "createdAt": ts_s(doc.created_at),
            "updatedAt": ts_s(doc.updated_at),
            "deletedAt": ts_s(doc.deleted_at) if doc.deleted == "soft" else None,
        }

    def render_client(self, c: Customer) -> dict[str, Any]:
        """A client record; ``updatedAt`` is the deletion time once deleted."""
        h = int(hashlib.blake2b(c.id.encode(), digest_size=4).hexdigest(), 16)
        return {
            "id": c.id,
            "orgId": self._books().org_id,
            "name": c.name,
            "contactName": f"{_FIRST[h % len(_FIRST)]} {_LAST[h // 16 % len(_LAST)]}",
            "email": c.party.email,
            "phone": c.party.phone,
            "currency": c.currency,
            "billingCountry": c.party.country,
            "taxNumber": c.party.vat_id,
            "defaultPaymentTerms": c.payment_terms,
            "createdAt": ts_s(c.created_at),
            "updatedAt": ts_s(c.updated_at),
            "deletedAt": ts_s(c.deleted_on) if c.deleted else None,
        }

    def _record(self, kind: str, rid: str, render: Callable[[], dict[str, Any]], doc: Any) -> bytes:
        key = (kind, rid)
        if key not in self._values or key not in self._cache:
            plain = render()
            self._values[key] = plain
            self._cache.pop(key, None)
            # Schema drift reshapes JSON-ready values, so it needs hs_wire() first; otherwise
            # the encoder writes each Cents as it meets it.
            render_wire = (lambda: hs_wire(plain)) if self.faults.drift else (lambda: plain)
            return self.cached(kind, rid, render_wire, doc)
        return self._cache[key]

    def encode(self, obj: Any) -> bytes:
        return orjson.dumps(obj, default=_hs_default, option=orjson.OPT_PASSTHROUGH_SUBCLASS)

    def _records(self, kind: str) -> list[tuple[str, bytes]]:
        if kind == "invoice":
            docs = self.live_docs()
            return [
                (d.id, self._record(kind, d.id, partial(self.render_invoice, d), d)) for d in docs
            ]
        return [
            (c.id, self._record(kind, c.id, partial(self.render_client, c), None))
            for c in self._books().customers
        ]

    # -- query parameters
    @staticmethod
    def _check_params(req: Request, kind: str) -> None:
        allowed = INVOICE_PARAMS if kind == "invoice" else CLIENT_PARAMS
        for name in req.query:
            if name in allowed:
                continue
            if kind == "invoice" and name in ("updatedAtFrom", "updatedAtTo"):
                raise Invalid(
                    f"{name} is not a supported filter on invoices; page with sort=-updatedAt",
                    {name: "unsupported filter"},
                )
            raise Invalid(f"Unknown query parameter: {name}", {name: "unknown parameter"})

    @staticmethod
    def _limit(req: Request) -> int:
        try:
            return VendorApp.int_arg(req, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
        except ValueError as exc:
            msg = f"must be an integer between 1 and {MAX_LIMIT}"
            raise Invalid(f"limit {msg}", {"limit": msg}) from exc

    @staticmethod
    def _sort(req: Request, kind: str) -> tuple[str, str, bool]:
        raw = req.arg("sort") or DEFAULT_SORT
        desc = raw.startswith("-")
        field = raw[1:] if desc else raw
        allowed = INVOICE_SORTS if kind == "invoice" else CLIENT_SORTS
        if field not in allowed:
            msg = f"must be one of {', '.join(allowed)}, optionally prefixed with -"
            raise Invalid(f"sort {msg}", {"sort": msg})
        return ("-" if desc else "") + field, field, desc

    @staticmethod
    def _ranges(req: Request, columns: tuple[str, ...]) -> dict[str, tuple[Any, Any]]:
        out = {}
        for col in columns:
            bounds = []
            for end in ("From", "To"):
                name = col + end
                try:
                    bounds.append(parse_bound(req.arg(name), name))
                except BadRequest as exc:
                    raise Invalid(str(exc), {name: "must be YYYY-MM-DD or ISO 8601"}) from exc
            if bounds[0] is not None or bounds[1] is not None:
                out[col] = (bounds[0], bounds[1])
        return out

    @staticmethod
    def _enum(req: Request, name: str, allowed: tuple[str, ...]) -> str | None:
        value = req.arg(name) or None
        if value is not None and value not in allowed:
            msg = f"must be one of {', '.join(allowed)}"
            raise Invalid(f"{name} {msg}", {name: msg})
        return value

    # -- views
    def _view(
        self, kind: str, sort: str, field: str, desc: bool, filters: dict[str, Any]
    ) -> list[Item]:
        """The records in keyset order after filtering, cached until the clock moves."""
        ranges = filters.pop("ranges")
        key = (kind, sort, tuple(sorted(filters.items())), tuple(sorted(ranges.items())))
        hit = self._views.get(key)
        if hit is not None:
            return hit
        items: list[Item] = []
        for rid, data in self._records(kind):
            values = self._values[(kind, rid)]
            if any(values[k] != v for k, v in filters.items() if v is not None):
                continue
            if not all(_within(values[col], lo, hi) for col, (lo, hi) in ranges.items()):
                continue
            value = values[field]
            value = int(value) if isinstance(value, Cents) else value
            items.append((sort_key(value, rid, desc), rid, data, value))
        items.sort(key=lambda it: it[0])
        self._views[key] = items
        return items

    # -- endpoints
    def list(self, req: Request, kind: str) -> Response:
        """``GET /invoices`` and ``GET /clients``: filtered, sorted, cursor-paged."""
        try:
            self._check_params(req, kind)
            limit = self._limit(req)
            sort, field, desc = self._sort(req, kind)
            cursor = req.arg("cursor") or None
            after = decode_cursor(cursor, sort) if cursor else None
            filters: dict[str, Any] = {}
            if kind == "invoice":
                filters["status"] = self._enum(req, "status", STATUSES)
                filters["paymentStatus"] = self._enum(req, "paymentStatus", PAYMENT_STATUSES)
                filters["clientId"] = req.arg("clientId") or None
            filters["ranges"] = self._ranges(
                req, INVOICE_RANGES if kind == "invoice" else CLIENT_RANGES
            )
        except Invalid as exc:
            return self.error(400, exc.message, exc.fields)
        items = self._view(kind, sort, field, desc, filters)
        start = 0
        if after is not None:
            start = bisect_right(items, sort_key(after[0], after[1], desc), key=lambda it: it[0])
        page = items[start : start + limit]
        next_cursor = None
        if start + limit < len(items) and page:
            last = page[-1]
            next_cursor = encode_cursor(sort, last[3], last[1])
        tail = b',"pagination":' + dumps({"nextCursor": next_cursor, "limit": limit}) + b"}"
        body = self.envelope(b'{"data":', [it[2] for it in page], tail)
        return Response(200, body)

    def one(self, req: Request, kind: str, rid: str) -> Response:
        """``GET /invoices/{id}`` and ``GET /clients/{id}`` as ``{"data": {...}}``."""
        if req.query:
            name = next(iter(req.query))
            return self.error(400, f"Unknown query parameter: {name}", {name: "unknown parameter"})
        data = self.index(kind, lambda: self._records(kind)).get(rid)
        if data is None:
            return self.error(404, f"{kind.capitalize()} {rid} not found")
        return Response(200, b'{"data":' + data + b"}")


def _within(value: str | None, lo: Any, hi: Any) -> bool:
    """Whether a rendered date (``YYYY-MM-DD``) or timestamp lies within inclusive bounds."""
    if value is None:
        return False
    if len(value) == 10:
        day = date.fromisoformat(value)
        return in_range(day, datetime.combine(day, time(0), UTC), lo, hi)
    at = datetime.fromisoformat(value)
    return in_range(at.date(), at, lo, hi)
