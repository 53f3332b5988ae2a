"""ibana: constants and every [assumed] contract detail, in one place to change.

See ``api-contracts.md`` section 3. ibana publishes no host, so ``base_url`` is required.
"""

from datetime import timedelta

# [doc] auth: ``Authorization: Bearer <token>``.
CREDENTIAL_HINT = "SOURCES__IBANA__TOKEN"

# [doc] endpoints.
ENDPOINTS = {
    "supplier_invoices": "/v1/invoice",
    "customer_invoices": "/v1/accounts-receivable",
    "counterparties": "/v1/counterparty",
}
SUPPLIER_INVOICE_BY_ID = "/v1/invoice/{id}"  # [doc]; customer invoices have no by-id route

# [assumed] pagination: ``page`` (1-based) and ``limit`` (at most 100); ``{data, meta.total}``.
PAGE_PARAM = "page"
LIMIT_PARAM = "limit"
PAGE_LIMIT = 100

# [doc] ``status`` filters a single value.
STATUS_PARAM = "status"
# [assumed] supplier statuses NEW, IN_REVIEW, APPROVED, REJECTED, PAID; the unpaid ones are
# re-scanned every run, and a document that leaves them is re-read by id. A paid document may
# keep APPROVED with ``alreadyPaid`` true: it stays in the APPROVED scan, which is harmless.
SUPPLIER_OPEN_STATUSES = ("NEW", "IN_REVIEW", "APPROVED")
# [assumed] list order: ``createdAt`` ascending, then ``id``. New supplier invoices are read
# from the tail: from the page holding the first position past the record count the last run
# saw, to the end. The start page is accepted only if its first record was created strictly
# before the newest ``createdAt`` seen so far (so it and everything before it are known);
# otherwise (deletes shifted the list, same-second ties) the read starts a page earlier, and so
# on. That check is the safety margin, so no fixed overlap is needed: raise this to always
# start more pages earlier. If ibana sorted otherwise, new documents would only arrive with
# the periodic full reconcile.
TAIL_OVERLAP_PAGES = 0

# [assumed] customer statuses OPEN, PAID, CANCELLED; OPEN ones are re-scanned every run.
CUSTOMER_OPEN_STATUSES = ("OPEN",)
# [doc] date window on customer invoices; ``dateField`` ``invoice_date`` is the default.
DATE_FROM_PARAM = "dateFrom"
DATE_TO_PARAM = "dateTo"
DATE_FIELD_PARAM = "dateField"
DATE_FIELD = "invoice_date"
# New customer invoices: ``dateFrom`` = the newest invoice date seen, less this lag (invoices
# entered a few days after their date).
NEW_CUSTOMER_INVOICES_LAG = timedelta(days=3)
# Customer invoices that left the open set have no by-id route: they are re-read through a
# one-day window (dateFrom = dateTo = their invoice date), one window per date. The window has
# no status filter: one request shows them PAID or CANCELLED alike, and absent means deleted.

# Deletes are hard [assumed] and there is no updated-since filter [absent]: a periodic full
# reconcile (every ``full_reconcile_days``) catches edits to closed documents and deletes.
FULL_RECONCILE_DAYS = 7.0

# [assumed] the VAT jurisdiction of customer invoices; a supplier invoice's is its debitor's
# country code (the group entity that pays it).
VAT_COUNTRY = "DE"
DEFAULT_CURRENCY = "EUR"
# [assumed] what ibana's codes mean (a supplier invoice is paid also when alreadyPaid is true).
CODES = {
    "type": {"INVOICE": "invoice", "CREDIT_NOTE": "credit_note"},
    "supplier_status": {
        "NEW": "open",
        "IN_REVIEW": "open",
        "APPROVED": "open",
        "REJECTED": "cancelled",
        "PAID": "paid",
    },
    "customer_status": {"OPEN": "open", "PAID": "paid", "CANCELLED": "cancelled"},
}
