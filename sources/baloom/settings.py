"""Baloom: constants and every [assumed] contract detail, in one place to change.

See ``api-contracts.md`` section 1. Baloom publishes no host, so ``base_url`` is required.
"""

# [assumed] pagination: page (1-based) and limit, at most 100 per page.
PAGE_PARAM = "page"
LIMIT_PARAM = "limit"
PAGE_LIMIT = 100
# [assumed] list endpoints that exist by the docs' own naming.
ENDPOINTS = {
    "products": "/api/products",
    "categories": "/api/categories",
    "orders": "/api/orders",
    "customers": "/api/customers",
    "invoices": "/api/invoices",
}
# [doc] site scoping applies to these endpoints only.
SITE_SCOPED = ("products", "orders", "customers")
# [assumed] invoices carry no currency: amounts are in the organisation's currency.
DEFAULT_CURRENCY = "EUR"
# [assumed] document types and statuses.
INVOICE_TYPES = ("SALE", "REFUND")
INVOICE_STATUSES = ("DRAFT", "SENT", "PAID", "OVERDUE", "CANCELLED")
# Deletes are hard [assumed] and Baloom has no change filters [absent]: every run is a full,
# parallel scan, and every run therefore detects hard deletes.
CREDENTIAL_HINT = "SOURCES__BALOOM__API_KEY"
# [assumed] the VAT jurisdiction of the shop (the country whose return its sales belong to).
VAT_COUNTRY = "FR"

# [assumed] what Baloom's codes mean in ledgerline's vocabulary (read by the staging models).
CODES = {
    "type": {"SALE": "invoice", "REFUND": "credit_note"},
    "status": {
        "DRAFT": "draft",
        "SENT": "open",
        "OVERDUE": "open",
        "PAID": "paid",
        "CANCELLED": "cancelled",
    },
}
# [assumed] how Baloom allocates its tax: shipping is taxed at the country's standard rate, and
# a discount reduces the base of the order's main rate.
SHIPPING_VAT = "standard"
