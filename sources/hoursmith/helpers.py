"""Hoursmith's tables, client and cursor pagination."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any

import pyarrow as pa

from sources.hoursmith import settings
from sources.http import ApiClient, RequestBudget, RetryPolicy, SyncStats
from sources.records import Col, Invalid, Table, to_timestamp
from sources.sync import SyncContext, cursor_pages

_TS = (
    Col("created_at", "createdAt", "timestamp"),
    Col("updated_at", "updatedAt", "timestamp"),
    Col("deleted_at", "deletedAt", "timestamp"),  # soft delete: the record stays, dated
)

INVOICES = Table(
    "invoices",
    [
        Col("id", "id", required=True),
        Col("org_id", "orgId"),
        Col("client_id", "clientId"),
        Col("number", "number"),
        Col("status", "status"),
        Col("payment_status", "paymentStatus"),
        # money arrives as strings ("1234.50"): exact decimals
        Col("subtotal", "subtotal", "money", required=True),
        Col("discount_amount", "discountAmount", "money"),
        Col("tax_rate", "taxRate", "rate"),  # one VAT rate per invoice, in percent
        Col("total", "total", "money", required=True),
        Col("amount_paid", "amountPaid", "money"),
        Col("notes", "notes"),
        Col("bill_to_name", "billToName"),
        Col("issue_date", "issueDate", "date"),
        Col("due_date", "dueDate", "date"),
        Col("sent_at", "sentAt", "timestamp"),
        # dates the payment that completes an invoice: a record without it is rejected
        Col("paid_at", "paidAt", "timestamp", critical=True),
        *_TS,
    ],
    extra={"currency": pa.string()},
    row_hash=True,
    known=frozenset({"currency"}),  # read by invoice_extra
    numbers_as_text=True,  # money and rates are strings on the wire [doc]
)

CLIENTS = Table(
    "clients",
    [
        Col("id", "id", required=True),
        Col("org_id", "orgId"),
        Col("name", "name"),
        Col("contact_name", "contactName"),
        Col("email", "email"),
        Col("phone", "phone"),
        Col("currency", "currency"),
        Col("billing_country", "billingCountry"),
        Col("tax_number", "taxNumber"),
        Col("default_payment_terms", "defaultPaymentTerms", "int"),
        *_TS,
    ],
    hashed=True,
)

TABLES = {t.name: t for t in (INVOICES, CLIENTS)}
# Every raw table this source writes (the transforms read exactly these), and those kept
# with history (dlt scd2: ``_dlt_valid_from``/``_dlt_valid_to``).
RAW_TABLES = dict(TABLES)
HISTORY_TABLES = {"invoices"}


def make_client(
    base_url: str,
    token: str,
    stats: SyncStats | None = None,
    plan_limits: Sequence[Sequence[float]] = settings.PLAN_LIMITS,
) -> ApiClient:
    """The Hoursmith client: bearer token, the plan's request budget, retries on 429/500 only."""
    return ApiClient(
        "hoursmith",
        base_url,
        {"Authorization": f"Bearer {token}", "Accept": "application/json"},
        credential_hint=settings.CREDENTIAL_HINT,
        budget=RequestBudget([(int(n), float(s)) for n, s in plan_limits]),
        policy=RetryPolicy(statuses=settings.RETRY_STATUSES),
        stats=stats,
        max_connections=2,  # cursor pages come one after another
    )


def invoice_extra(record: dict[str, Any]) -> dict[str, Any]:
    """Columns derived from an invoice: its currency, the account's when it names none."""
    return {"currency": record.get("currency") or settings.DEFAULT_CURRENCY}


def pages(
    ctx: SyncContext,
    entity: str,
    params: dict[str, Any],
    limit: int,
    stop: Callable[[list[Any]], bool] | None = None,
) -> Iterator[list[Any]]:
    """The records of one list, a page at a time, walking ``nextCursor``."""
    return cursor_pages(
        ctx,
        settings.ENDPOINTS[entity],
        {**params, settings.LIMIT_PARAM: limit},
        items=lambda body: body["data"],
        next_cursor=lambda body: (body.get("pagination") or {}).get("nextCursor"),
        cursor_param=settings.CURSOR_PARAM,
        stop=stop,
    )


def older_than(cutoff: datetime) -> Callable[[list[Any]], bool]:
    """For a ``-updatedAt`` walk: true once a page reaches records changed before ``cutoff``."""

    def reached(records: list[Any]) -> bool:
        for rec in records:
            value = rec.get("updatedAt") if isinstance(rec, dict) else None
            if value is None:
                continue
            try:
                if to_timestamp(value) < cutoff:
                    return True
            except Invalid:
                continue  # unreadable: the record is rejected, the walk goes on
        return False

    return reached
