"""Baloom's tables and pagination."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from sources.baloom import settings
from sources.records import Col, Table
from sources.sync import PageSpec

_TS = ("created_at", "createdAt", "timestamp"), ("updated_at", "updatedAt", "timestamp")


def _cols(*spec: tuple[str, str, str] | tuple[str, str, str, bool] | Col) -> list[Col]:
    return [s if isinstance(s, Col) else Col(*s) for s in spec]


INVOICES = Table(
    "invoices",
    _cols(
        ("id", "id", "str", True),
        ("organization_id", "organizationId", "str"),
        ("site_id", "siteId", "str"),
        ("invoice_number", "invoiceNumber", "str"),
        ("type", "type", "str", True),
        ("status", "status", "str", True),
        ("customer_id", "customerId", "str"),
        ("order_id", "orderId", "str"),
        ("total_amount", "totalAmount", "money", True),
        ("subtotal", "subtotal", "money", True),
        ("tax_amount", "taxAmount", "money", True),
        ("discount_amount", "discountAmount", "money"),
        ("shipping_amount", "shippingAmount", "money"),
        ("due_date", "dueDate", "date"),
        # paid means paidAt set: a record without the field must not read as unpaid
        Col("paid_at", "paidAt", "timestamp", critical=True),
        *_TS,
    ),
    extra={"currency": pa.string()},
    row_hash=True,
)

ORDERS = Table(
    "orders",
    _cols(
        ("id", "id", "str", True),
        ("order_number", "orderNumber", "str"),
        ("site_id", "siteId", "str"),
        ("customer_id", "customerId", "str"),
        ("status", "status", "str"),
        ("currency", "currency", "str"),
        ("subtotal", "subtotal", "money", True),
        ("tax_amount", "taxAmount", "money", True),
        ("discount_amount", "discountAmount", "money"),
        ("shipping_amount", "shippingAmount", "money"),
        ("total_amount", "totalAmount", "money", True),
        *_TS,
    ),
    known=frozenset({"items"}),  # -> order_items
    hashed=True,
)

ORDER_ITEMS = Table(
    "order_items",
    _cols(
        ("product_id", "productId", "str"),
        ("quantity", "quantity", "rate", True),
        ("unit_price", "unitPrice", "money", True),
        ("tax_rate", "taxRate", "rate"),
        ("total", "total", "money", True),
    ),
    extra={"order_id": pa.string(), "line_number": pa.int64()},
)

PRODUCTS = Table(
    "products",
    _cols(
        ("id", "id", "str", True),
        ("site_id", "siteId", "str"),
        ("category_id", "categoryId", "str"),
        ("name", "name", "str"),
        ("sku", "sku", "str"),
        ("price", "price", "money"),
        ("tax_rate", "taxRate", "rate"),
        ("is_active", "isActive", "bool"),
        *_TS,
    ),
    hashed=True,
)

CATEGORIES = Table(
    "categories",
    _cols(
        ("id", "id", "str", True), ("name", "name", "str"), ("parent_id", "parentId", "str"), *_TS
    ),
    hashed=True,
)

CUSTOMERS = Table(
    "customers",
    _cols(
        ("id", "id", "str", True),
        ("site_id", "siteId", "str"),
        ("name", "name", "str"),
        ("email", "email", "str"),
        ("phone", "phone", "str"),
        ("vat_number", "vatNumber", "str"),
        ("country", "country", "str"),
        *_TS,
    ),
    hashed=True,
)

TABLES = {t.name: t for t in (INVOICES, ORDERS, PRODUCTS, CATEGORIES, CUSTOMERS)}


def page_spec(entity: str, site_id: str | None) -> PageSpec:
    """Pagination of one Baloom list endpoint, scoped to a site when one is configured."""

    def params(n: int) -> dict[str, Any]:
        p: dict[str, Any] = {settings.PAGE_PARAM: n, settings.LIMIT_PARAM: settings.PAGE_LIMIT}
        if site_id and entity in settings.SITE_SCOPED:
            p["siteId"] = site_id
            if entity == "customers":
                p["includeGlobal"] = "true"
        return p

    return PageSpec(
        path=settings.ENDPOINTS[entity],
        params=params,
        total=lambda body: int(body["meta"]["total"]),
        items=lambda body: body["data"],
        limit=settings.PAGE_LIMIT,
        key="data",
    )


def order_items(order: dict[str, Any]) -> list[dict[str, Any]]:
    items = order.get("items") or []
    return [dict(it, _n=i + 1) for i, it in enumerate(items) if isinstance(it, dict)]


# Every raw table this source writes (the transforms read exactly these), and those kept
# with history (dlt scd2: ``_dlt_valid_from``/``_dlt_valid_to``).
RAW_TABLES = {**TABLES, ORDER_ITEMS.name: ORDER_ITEMS}
HISTORY_TABLES = {"invoices"}
