"""ibana's tables and pagination.

Supplier invoices come in two spellings of the payee: newer ``counterparty*`` keys and older
``recipient*`` keys. Both land in one set of ``payee_*`` columns (``Col.alt``).
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from sources.http import SourceError
from sources.ibana import settings
from sources.records import Col, Table, wire_value
from sources.sync import PageSpec

_TS = Col("created_at", "createdAt", "timestamp"), Col("updated_at", "updatedAt", "timestamp")


def _payee(
    name: str, new: str | tuple[str, ...], old: str | tuple[str, ...], kind: str = "str"
) -> Col:
    """A payee column read from the newer ``counterparty*`` spelling or the older ``recipient*``."""
    return Col(name, new, kind, alt=old)


SUPPLIER_INVOICES = Table(
    "supplier_invoices",
    [
        Col("id", "id", "str", True),
        *_TS,
        Col("original_file_name", "originalFileName"),
        Col("filename", "filename"),
        _payee("payee_name", "counterpartyName", "recipientName"),
        _payee("payee_iban", "counterpartyIban", "recipientIban"),
        _payee("payee_vat", "counterpartyVat", "recipientVat"),
        _payee("payee_id", ("counterparty", "id"), ("recipient", "id")),
        _payee("payee_email", ("counterparty", "email"), ("recipient", "email")),
        _payee(
            "payee_accounts_payable_number",
            ("counterparty", "accountsPayableNumber"),
            ("recipient", "accountsPayableNumber"),
        ),
        _payee(
            "payee_bank_iban",
            ("counterparty", "bankAccount", "iban"),
            ("recipient", "bankAccount", "iban"),
        ),
        _payee(
            "payee_bank_bic",
            ("counterparty", "bankAccount", "bic"),
            ("recipient", "bankAccount", "bic"),
        ),
        _payee("payee", "counterparty", "recipient", "json"),  # the whole object, as sent
        Col("invoice_number", "invoiceNumber"),
        Col("purchase_order", "purchaseOrder"),
        Col("invoice_date", "date", "date"),
        Col("billing_period_start", "billingPeriodStart", "date"),
        Col("billing_period_end", "billingPeriodEnd", "date"),
        Col("due_date", "dueDate", "date"),
        Col("skonto_date", "skontoDate", "date"),
        Col("skonto_amount", "skontoAmount", "money"),
        Col("skonto_rate", "skontoRate", "rate"),
        Col("total_amount", "totalAmount", "money", True),
        Col("currency", "currency"),
        Col("type", "type", "str", True),
        Col("payment_terms", "paymentTerms"),
        Col("notes", "notes"),
        Col("should_create_transaction", "shouldCreateTransaction", "bool"),
        # paid also when alreadyPaid: a record without the field must not read as unpaid
        Col("already_paid", "alreadyPaid", "bool", critical=True),
        Col("already_paid_date", "alreadyPaidDate", "date"),
        Col("archived", "archived", "bool"),
        Col("archived_date", "archivedDate", "timestamp"),
        Col("archived_by_user", "archivedByUser", "json"),
        Col("organization_id", ("organization", "id")),
        Col("organization_name", ("organization", "name")),
        Col("status", "status", "str", True),
        Col("debitor_id", ("debitor", "id")),
        Col("debitor_name", ("debitor", "name")),
        Col("debitor_iban", ("debitor", "iban")),
        Col("debitor_bic", ("debitor", "bic")),
        Col("debitor_country_code", ("debitor", "countryCode")),
        Col("export", "export", "json"),
    ],
    row_hash=True,
    known=frozenset({"lineItems", "splits"}),  # -> the child tables
)

_LINE_COLS = [
    Col("line_id", "id"),
    Col("product_code", "productCode"),
    Col("title", "title"),
    Col("description", "description"),
    Col("quantity", "quantity", "rate"),
    Col("unit", "unit"),
    Col("unit_price", "unitPrice", "money"),
    Col("total_price", "totalPrice", "money", True),
    Col("discount", "discount", "money"),  # [assumed] an amount, not a percentage
    Col("tax_rate", "taxRate", "rate"),
    Col("tax_amount", "taxAmount", "money"),
]

SUPPLIER_INVOICE_LINES = Table(
    "supplier_invoice_lines",
    _LINE_COLS,
    extra={"supplier_invoice_id": pa.string(), "line_number": pa.int64()},
    known=frozenset({"createdAt", "updatedAt"}),  # line timestamps: not loaded
)

SUPPLIER_INVOICE_SPLITS = Table(
    "supplier_invoice_splits",
    [
        Col("split_id", "id"),
        Col("partial_amount", "partialAmount", "money", True),
        Col("tax_rate", "taxRate", "rate"),
        Col("notes", "notes"),
        Col("cost_center_code", ("costCenter", "code")),
        Col("cost_center_name", ("costCenter", "name")),
        Col("cost_center_type", ("costCenter", "type")),
        Col("cost_center2_code", ("costCenter2", "code")),
        Col("cost_center2_name", ("costCenter2", "name")),
        Col("cost_center2_type", ("costCenter2", "type")),
        Col("ledger_account_number", ("ledgerAccount", "accountNumber")),
        Col("ledger_account_name", ("ledgerAccount", "name")),
    ],
    extra={"supplier_invoice_id": pa.string(), "split_number": pa.int64()},
    known=frozenset({"createdAt", "updatedAt"}),
)

CUSTOMER_INVOICES = Table(
    "customer_invoices",
    [
        Col("id", "id", "str", True),
        Col("invoice_number", "invoiceNumber"),
        Col("counterparty_id", "counterpartyId"),
        Col("invoice_date", "date", "date"),
        Col("due_date", "dueDate", "date"),
        Col("currency", "currency"),
        Col("net_amount", "netAmount", "money"),
        Col("tax_amount", "taxAmount", "money"),
        Col("total_amount", "totalAmount", "money", True),
        Col("paid_amount", "paidAmount", "money"),
        Col("status", "status", "str", True),
        *_TS,
    ],
    row_hash=True,
    known=frozenset({"lineItems"}),  # -> customer_invoice_lines
)

CUSTOMER_INVOICE_LINES = Table(
    "customer_invoice_lines",
    _LINE_COLS,
    extra={"customer_invoice_id": pa.string(), "line_number": pa.int64()},
    known=frozenset({"createdAt", "updatedAt"}),  # line timestamps: not loaded
)

COUNTERPARTIES = Table(
    "counterparties",
    [
        Col("id", "id", "str", True),
        Col("name", "name"),
        Col("email", "email"),
        Col("vat", "vat"),
        Col("street", "street"),
        Col("city", "city"),
        Col("zip", "zip"),
        Col("country", "country"),
        Col("accounts_payable_number", "accountsPayableNumber"),
        Col("bank_account_id", ("bankAccount", "id")),
        Col("bank_account_name", ("bankAccount", "name")),
        Col("bank_iban", ("bankAccount", "iban")),
        Col("bank_bic", ("bankAccount", "bic")),
        Col("bank_country_code", ("bankAccount", "countryCode")),
        *_TS,
    ],
    hashed=True,
)

TABLES = {
    t.name: t
    for t in (
        SUPPLIER_INVOICES,
        SUPPLIER_INVOICE_LINES,
        SUPPLIER_INVOICE_SPLITS,
        CUSTOMER_INVOICES,
        CUSTOMER_INVOICE_LINES,
        COUNTERPARTIES,
    )
}
# Every raw table this source writes (the transforms read exactly these), and those kept
# with history (dlt scd2: ``_dlt_valid_from``/``_dlt_valid_to``).
RAW_TABLES = dict(TABLES)
HISTORY_TABLES = {"supplier_invoices", "customer_invoices"}

# Watermarks: a supplier invoice's ``createdAt``, a customer invoice's date.
created_at = wire_value("createdAt", "timestamp")
invoice_date = wire_value("date", "date")


def items(body: Any) -> list[Any]:
    records = body.get("data") if isinstance(body, dict) else None
    if not isinstance(records, list):
        raise SourceError("ibana sent a page without a data list: check SOURCES__IBANA__BASE_URL.")
    return records


def page_spec(entity: str, **filters: Any) -> PageSpec:
    """Pagination of one ibana list endpoint, with optional filters (status, date window)."""
    return PageSpec(
        path=settings.ENDPOINTS[entity],
        params=lambda n: {
            **filters,
            settings.PAGE_PARAM: n,
            settings.LIMIT_PARAM: settings.PAGE_LIMIT,
        },
        total=lambda body: int(body["meta"]["total"]),
        items=items,
        limit=settings.PAGE_LIMIT,
        key="data",
    )


def day_window(day: str) -> dict[str, str]:
    """The filters of a one-day window on the invoice date."""
    return {
        settings.DATE_FROM_PARAM: day,
        settings.DATE_TO_PARAM: day,
        settings.DATE_FIELD_PARAM: settings.DATE_FIELD,
    }
