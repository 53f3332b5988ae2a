"""Katsu Pay: constants and every [assumed] contract detail, in one place to change.

See ``api-contracts.md`` section 2. Katsu publishes no host, so ``base_url`` is required.
"""

from datetime import timedelta

# [assumed] auth: ``Authorization: Bearer <token>`` (the docs say both "no API key" and Bearer).
CREDENTIAL_HINT = "SOURCES__KATSU__TOKEN"

# [doc] endpoints; [assumed] the list route is ``getAll`` (the docs also show
# ``GetInvoiceDeatails``) and ``/api/v1/Counterparties`` exists (the docs show only ``/groups``).
ENDPOINTS = {
    "invoices": "/api/v1/Invoice/getAll",
    "invoice": "/api/v1/Invoice/getbyId",
    "counterparties": "/api/v1/Counterparties",
    "products": "/api/v1/Products",
}
INVOICE_ID_PARAM = "InvoiceId"  # [doc] getbyId?InvoiceId=<uuid>

# [doc] paging parameters; Products spell them in lower camel case. [assumed] at most 100.
PAGE_PARAMS = {
    "invoices": ("PageNumber", "PageSize"),
    "counterparties": ("PageNumber", "PageSize"),
    "products": ("pageNumber", "pageSize"),
}
PAGE_SIZE = 100

# [doc] single-value status filter on the invoice list.
STATUS_PARAM = "InvoiceStatus"
# [assumed] the meaning of ``invoiceStatus``: 1 Draft, 2 Pending, 3 Approved, 4 Paid,
# 5 PartiallyPaid, 6 Overdue, 7 Cancelled. The open ones are re-scanned on every run; an
# invoice that leaves them (paid, cancelled, deleted) is re-read by id. The raw integers are
# loaded as they come: decoding them is the staging models' job.
OPEN_STATUSES = (1, 2, 3, 5, 6)

# [assumed] list order: ``created`` descending (newest first). New invoices are found by paging
# from the newest down to the newest ``created`` seen before, less this lag (late arrivals,
# clock skew between Katsu's servers).
NEW_INVOICES_LAG = timedelta(days=1)

# Deletes are hard [assumed] and there are no change filters [absent]: a periodic full
# reconcile (every ``full_reconcile_days``) catches edits to closed invoices and deletes.
FULL_RECONCILE_DAYS = 7.0

# [assumed] the meaning of Katsu's integer enums (the docs give none). Staging maps the raw
# integers through these; a code outside them is kept and reported, never guessed.
VAT_COUNTRY = "NG"
CODES = {
    "currency": {"1": "NGN", "2": "USD", "3": "GBP", "4": "EUR", "5": "KES"},
    "status": {
        "1": "draft",
        "2": "open",
        "3": "open",
        "4": "paid",
        "5": "open",
        "6": "open",
        "7": "cancelled",
    },
    "status_name": {
        "1": "Draft",
        "2": "Pending",
        "3": "Approved",
        "4": "Paid",
        "5": "PartiallyPaid",
        "6": "Overdue",
        "7": "Cancelled",
    },
    "discount_type": {"1": "Percentage", "2": "FixedAmount"},
    "billing_cycle": {
        "1": "OneTime",
        "2": "Daily",
        "3": "Weekly",
        "4": "Monthly",
        "5": "Quarterly",
        "6": "BiAnnually",
        "7": "Annually",
    },
    "payment_option": {
        "1": "BankTransfer",
        "2": "Card",
        "3": "USSD",
        "4": "Wallet",
        "5": "Cash",
        "6": "Any",
    },
}
