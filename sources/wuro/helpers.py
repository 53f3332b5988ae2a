"""Wuro's tables, pagination and the rows derived from an invoice (lines, VAT, advances, payments)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pyarrow as pa

from sources.records import Col, Table
from sources.sync import PageSpec, SyncContext, child, rejected
from sources.wuro import settings

_TS = Col("created_at", "createdAt", "timestamp"), Col("updated_at", "updatedAt", "timestamp")

INVOICES = Table(
    "invoices",
    [
        Col("id", "_id", required=True),
        Col("number", "number"),
        Col("state", "state"),
        Col("type", "type"),
        Col("title", "title"),
        Col("date", "date", "date"),
        Col("payment_expiry_date", "payment_expiry_date", "date"),
        Col("total_ht", "total_ht", "money", required=True),
        Col("total_tva", "total_tva", "money", required=True),
        Col("total_ttc", "total_ttc", "money", required=True),
        Col("base_currency", "base_currency"),
        # ``client`` is the client's id, or the client itself with ``populate=client``
        Col("client_id", ("client", "_id"), alt="client"),
        Col("client_name", "client_name"),
        Col("client_address", "client_address"),
        Col("client_zip_code", "client_zip_code"),
        Col("client_city", "client_city"),
        Col("client_country", "client_country"),
        Col("client_country_code", "client_country"),  # mapped to ISO 3166 by country_codes()
        Col("client_email", "client_email"),
        Col("client_phone", "client_phone"),
        Col("company", "company"),
        Col("company_name", "company_name"),
    ],
    extra={"currency": pa.string()},
    row_hash=True,
    known=frozenset({"invoice_lines", "VATRates", "acomptes", "payments"}),  # -> child tables
)

INVOICE_LINES = Table(
    "invoice_lines",
    [
        Col("line_id", "_id"),
        Col("type", "type"),
        Col("title", "title"),
        Col("description", "description"),
        Col("reference", "reference"),
        Col("quantity", "quantity", "rate"),
        Col("unit", "unit"),
        # unit prices may carry more than cents: four places, still exact
        Col("price_ht", "price_ht", "rate"),
        Col("tva_rate", "tva_rate", "rate"),
        Col("total_ht", "total_ht", "money"),
        Col("total_ttc", "total_ttc", "money"),
    ],
    extra={"invoice_id": pa.string(), "line_number": pa.int64()},
)

INVOICE_VAT_RATES = Table(
    "invoice_vat_rates",
    [
        Col("rate", "rate", "rate", required=True),  # percent, sent as a string ("5.5")
        Col("total", "total", "money", required=True),  # the taxable base (HT) at that rate
        Col("amount", "amount", "money", required=True),  # its VAT
    ],
    extra={"invoice_id": pa.string(), "line_number": pa.int64()},
)

INVOICE_ADVANCES = Table(
    "invoice_advances",
    [
        Col("advance_id", "_id"),
        Col("amount", "amount", "money", required=True),  # gross
        Col("amount_ht", "amount_ht", "money"),  # net
        Col("credit", "credit", "bool"),
        Col("date", "date", "date"),
    ],
    extra={"invoice_id": pa.string(), "line_number": pa.int64()},
)

INVOICE_PAYMENTS = Table(
    "invoice_payments",
    [
        Col("payment_id", "_id"),
        Col("mode", "mode"),
        Col("method_name", "method_name"),
        Col("amount", "amount", "money", required=True),
        Col("date", "date", "timestamp"),
        Col("check_number", "check_number"),
    ],
    extra={"invoice_id": pa.string(), "line_number": pa.int64()},
)

PAYMENTS = Table(
    "payments",
    [
        Col("id", "_id", required=True),
        Col("amount", "amount", "money", required=True),
        Col("date", "date", "timestamp"),
        Col("method_name", "method_name"),
        Col("mode", "mode"),
        Col("invoice_id", ("invoice", "invoice_id")),
        Col("invoice_number", ("invoice", "number")),
        Col("client_name", ("invoice", "client_name")),
    ],
    optional=frozenset({"mode"}),  # [doc] lists it on invoice payments, not always here
    hashed=True,
)

CLIENTS = Table(
    "clients",
    [
        Col("id", "_id", required=True),
        Col("name", "name"),
        Col("email", "email"),
        Col("phone", "phone"),
        Col("address", "address"),
        Col("zip_code", "zip_code"),
        Col("city", "city"),
        Col("country", "country"),
        Col("country_code", "country"),  # mapped to ISO 3166 by country_codes()
        Col("company", "company"),
        Col("client_code", "client_code"),
        Col("siren", "siren"),
        Col("tva_number", "tva_number"),
        Col("state", "state"),
        *_TS,
    ],
    hashed=True,
)

PRODUCTS = Table(
    "products",
    [
        Col("id", "_id", required=True),
        Col("name", "name"),
        Col("reference", "reference"),
        Col("sku", "sku"),
        Col("price_ht", "price_ht", "rate"),
        Col("tva_rate", "tva_rate", "rate"),
        Col("category_id", "category"),
        Col("unit", "unit"),
        Col("state", "state"),
        *_TS,
    ],
    hashed=True,
)

PRODUCT_CATEGORIES = Table(
    "product_categories",
    [Col("id", "_id", required=True), Col("name", "name"), Col("state", "state"), *_TS],
    hashed=True,
)

# Where each invoice's nested lists go: (wire key, table).
INVOICE_CHILDREN = (
    ("invoice_lines", INVOICE_LINES),
    ("VATRates", INVOICE_VAT_RATES),
    ("acomptes", INVOICE_ADVANCES),
    ("payments", INVOICE_PAYMENTS),
)
COUNTRY_COLUMNS = {"invoices": ("client_country_code",), "clients": ("country_code",)}

# Every raw table this source writes (the transforms read exactly these), and those kept
# with history (dlt scd2: ``_dlt_valid_from``/``_dlt_valid_to``).
RAW_TABLES = {
    t.name: t
    for t in (
        INVOICES,
        INVOICE_LINES,
        INVOICE_VAT_RATES,
        INVOICE_ADVANCES,
        INVOICE_PAYMENTS,
        PAYMENTS,
        CLIENTS,
        PRODUCTS,
        PRODUCT_CATEGORIES,
    )
}
HISTORY_TABLES = {"invoices"}


def page_spec(entity: str, **filters: Any) -> PageSpec:
    """Skip/limit pagination of one Wuro list, in a stable order, with ``filters`` (None: left out)."""
    query = {k: v for k, v in filters.items() if v is not None}

    def params(n: int) -> dict[str, Any]:
        return {
            **query,
            "sort": settings.SORT,
            settings.SKIP_PARAM: (n - 1) * settings.PAGE_LIMIT,
            settings.LIMIT_PARAM: settings.PAGE_LIMIT,
        }

    key, total = settings.LIST_KEYS[entity], settings.TOTAL_KEYS[entity]
    return PageSpec(
        path=settings.ENDPOINTS[entity],
        params=params,
        total=lambda body: int(body[total]),
        items=lambda body: body[key],
        limit=settings.PAGE_LIMIT,
        record_id=settings.ID_KEY,
        key=key,
    )


def country_code(name: str | None) -> str | None:
    """ISO 3166-1 alpha-2 code of a country as Wuro writes it (a French name, or already a code)."""
    if name is None:
        return None
    name = name.strip()
    if len(name) == 2 and name.isalpha():
        return name.upper()
    return settings.COUNTRY_CODES.get(name)


def country_codes(items: Iterator[Any], columns: tuple[str, ...]) -> Iterator[Any]:
    """Map the country columns of a source's own pages (plain Arrow tables) to ISO codes.

    Child rows and rejects come marked with their hints and pass unchanged; so do tombstones,
    which carry the codes the warehouse already holds (the mapping keeps a code a code).
    """
    for item in items:
        if isinstance(item, pa.Table):
            for col in columns:
                i = item.schema.get_field_index(col)
                if i < 0:
                    continue
                codes = pa.array([country_code(v) for v in item.column(i).to_pylist()], pa.string())
                item = item.set_column(i, item.schema.field(i), codes)
        yield item


def invoice_extra(record: dict[str, Any]) -> dict[str, Any]:
    """Columns derived from an invoice record: its currency, the account's when absent."""
    return {"currency": record.get("base_currency") or settings.DEFAULT_CURRENCY}


def child_rows(
    ctx: SyncContext, key: str, table: Table
) -> Callable[[list[dict[str, Any]]], list[Any]]:
    """A factory of one child table's rows (and rejects) from a page of good invoices."""
    endpoint = f"{settings.ENDPOINTS['invoices']} {key}"

    def make(invoices: list[dict[str, Any]]) -> list[Any]:
        rows = [
            dict(item, _invoice=inv[settings.ID_KEY], _n=n)
            for inv in invoices
            for n, item in enumerate(inv.get(key) or [], start=1)
            if isinstance(item, dict)
        ]
        if not rows:
            return []
        arrow, bad, _ = table.convert(
            rows,
            endpoint,
            id_key=settings.ID_KEY,
            extra=lambda r: {"invoice_id": r["_invoice"], "line_number": r["_n"]},
        )
        out = [child(arrow, table, "invoice_id")] if arrow.num_rows else []
        if bad:
            out.append(rejected(ctx, bad))
        return out

    return make


def open_states_sql() -> str:
    """SQL condition on ``state`` for the open states (used to find invoices that left them)."""
    return "state in (" + ", ".join(f"'{s}'" for s in settings.OPEN_STATES) + ")"
