"""Katsu Pay's tables, envelope and pagination."""

from __future__ import annotations

from typing import Any

from sources.http import SourceError
from sources.katsu import settings
from sources.records import Col, Table, wire_value
from sources.sync import PageSpec


def _cols(*spec: tuple[str, str, str] | tuple[str, str, str, bool]) -> list[Col]:
    return [Col(*s) for s in spec]


# Every wire field; the integer enums (currency, invoiceStatus, discountType, billingCycle,
# paymentOption) stay raw integers: an unknown code is kept, never guessed or rejected.
INVOICES = Table(
    "invoices",
    _cols(
        ("id", "id", "str", True),
        ("invoice_number", "invoiceId", "str"),  # Katsu's human number is called invoiceId
        ("counterparty_id", "counterpartyId", "str"),
        ("counterparty_name", "counterPartyName", "str"),
        ("account_name", "accountName", "str"),
        ("due_date", "dueDate", "date"),
        ("currency", "currency", "int", True),
        ("discount_type", "discountType", "int"),
        ("description", "description", "str"),
        ("billing_cycle", "billingCycle", "int"),
        ("recurring_invoice", "recuringInvoice", "bool"),  # (sic) on the wire
        ("payment_option", "paymentOption", "int"),
        ("user_id", "userId", "str"),
        ("amount", "amount", "money", True),
        ("notifications", "notifications", "str"),
        ("paid_amount", "paidAmount", "money"),
        ("created_at", "created", "timestamp"),
        ("invoice_status", "invoiceStatus", "int", True),
        ("before_due_date", "beforeDueDate", "int"),
        ("after_due_date", "afterDueDate", "int"),
        ("on_due_date", "onDueDate", "bool"),
    ),
    row_hash=True,
)

COUNTERPARTIES = Table(
    "counterparties",
    _cols(
        ("id", "id", "str", True),
        ("name", "name", "str"),
        ("email", "email", "str"),
        ("phone", "phone", "str"),
        ("group_id", "groupId", "str"),
        ("created_at", "created", "timestamp"),
    ),
    hashed=True,
)

PRODUCTS = Table(
    "products",
    _cols(
        ("id", "id", "str", True),
        ("name", "name", "str"),
        ("description", "description", "str"),
        ("price", "price", "money"),
        ("category_id", "categoryId", "str"),
        ("image_url", "imageUrl", "str"),
        ("availability", "availability", "bool"),
        ("created_at", "createdAt", "timestamp"),
        ("updated_at", "updatedAt", "timestamp"),
    ),
    hashed=True,
)

TABLES = {t.name: t for t in (INVOICES, COUNTERPARTIES, PRODUCTS)}
# Every raw table this source writes (the transforms read exactly these), and those kept
# with history (dlt scd2: ``_dlt_valid_from``/``_dlt_valid_to``).
RAW_TABLES = dict(TABLES)
HISTORY_TABLES = {"invoices"}


def data(body: Any) -> Any:
    """The ``data`` of Katsu's envelope, refusing an answer that says it did not succeed."""
    if not isinstance(body, dict) or body.get("succeeded") is False:
        message = body.get("message") if isinstance(body, dict) else None
        raise SourceError(
            f"katsu answered without success ({message or 'no message'}): run the sync again later."
        )
    return body.get("data")


def items(body: Any) -> list[Any]:
    records = data(body)
    if not isinstance(records, list):
        raise SourceError("katsu sent a page without a data list: check SOURCES__KATSU__BASE_URL.")
    return records


def page_spec(entity: str, **filters: Any) -> PageSpec:
    """Pagination of one Katsu list endpoint, with optional filters (``InvoiceStatus``)."""
    number, size = settings.PAGE_PARAMS[entity]
    return PageSpec(
        path=settings.ENDPOINTS[entity],
        params=lambda n: {**filters, number: n, size: settings.PAGE_SIZE},
        total=lambda body: int(body["total"]),
        items=items,
        limit=settings.PAGE_SIZE,
        key="data",
    )


# An invoice's ``created`` instant (None when it has none that can be read): the watermark.
created = wire_value("created", "timestamp")
