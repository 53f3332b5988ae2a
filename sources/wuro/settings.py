"""Wuro: constants and every [assumed] contract detail, in one place to change.

See ``api-contracts.md`` section 4. The real host is ``https://wuro.pro/api/v3.2``.
"""

from datetime import timedelta

BASE_URL = "https://wuro.pro/api/v3.2"
# [doc] auth: both headers on every request; [assumed] missing or wrong ones give 401.
ID_HEADER = "X-APP-ID"
SECRET_HEADER = "X-APP-SECRET"
CREDENTIAL_HINT = "SOURCES__WURO__APP_ID and SOURCES__WURO__APP_SECRET"

# [doc] endpoints and their envelopes.
ENDPOINTS = {
    "invoices": "/invoices",
    "invoice": "/invoice/{uid}",  # {"invoice": {...}}; [assumed] inactive ones included
    "payments": "/invoices/payments",  # {payments[], count, total, average}
    "clients": "/clients",
    "products": "/products",
    "product_categories": "/product-categories",  # {data[], count}, unpaginated
}
LIST_KEYS = {
    "invoices": "invoices",
    "payments": "payments",
    "clients": "clients",
    "products": "products",
}
ID_KEY = "_id"

# [doc] skip/limit paging; [assumed] at most 100 per page. The total is ``total`` on lists and
# ``count`` on the payments list.
SKIP_PARAM = "skip"
LIMIT_PARAM = "limit"
PAGE_LIMIT = 100
TOTAL_KEYS = {"invoices": "total", "payments": "count", "clients": "total", "products": "total"}
# [doc] ``sort=<field>:<1|-1>``; [assumed] ``_id`` sorts. A unique key keeps skip/limit pages
# stable (no ties whose order could change between two page requests).
SORT = "_id:1"

# [doc] invoice states; ``inactive`` = deleted or void, left out of lists unless asked for.
STATES = ("draft", "waiting", "paid", "notpaid", "late", "inactive")
INACTIVE = "inactive"
# [doc] ``state`` is a single-value filter: one request series per open state on every run.
OPEN_STATES = ("draft", "waiting", "notpaid", "late")
# [doc] invoice types; credit notes (``credit``, ``external_credit``) carry positive amounts
# [assumed], their type is what makes them reduce receivables and VAT.
TYPES = ("invoice", "credit", "sold", "advance", "external", "external_credit")
CREDIT_TYPES = ("credit", "external_credit")
# [doc] line types; only ``product`` lines carry amounts.
LINE_TYPES = ("product", "header", "subtotal", "globalDiscount")

# Invoices carry no timestamps [doc]: new ones are found by ``minDate`` (on the invoice date
# [assumed]) from the newest date seen less this lag (invoices entered with a past date).
NEW_INVOICES_LAG = timedelta(days=7)
# A new invoice may be deleted before the next run sees it: the new-invoice scan also asks for
# ``state=inactive`` (None = the default list, every state but inactive).
NEW_INVOICE_STATES: tuple[str | None, ...] = (None, INACTIVE)
# [doc] payments by ``minDate`` on the payment date, from the newest seen less this lag
# (payments are often recorded days after the money arrived).
PAYMENTS_LAG = timedelta(days=7)
# Every ``full_reconcile_days`` a run reads everything: edits to closed invoices, hard deletes.
FULL_RECONCILE_DAYS = 7.0

# [doc] clients and products are soft-deleted (``state: inactive``); both lists are read.
CATALOG_STATES: tuple[str | None, ...] = (None, INACTIVE)

# [assumed] Wuro writes countries as French names ("Allemagne"); the warehouse also gets the
# ISO 3166-1 alpha-2 code. A name missing here gives a null code (and the raw name is kept).
COUNTRY_CODES = {
    "France": "FR",
    "Allemagne": "DE",
    "Royaume-Uni": "GB",
    "États-Unis": "US",
    "Etats-Unis": "US",
    "Nigeria": "NG",
    "Nigéria": "NG",
    "Belgique": "BE",
    "Suisse": "CH",
    "Espagne": "ES",
    "Italie": "IT",
    "Pays-Bas": "NL",
    "Luxembourg": "LU",
    "Portugal": "PT",
    "Irlande": "IE",
    "Autriche": "AT",
    "Canada": "CA",
    "Monaco": "MC",
}

# [assumed] the account's own VAT jurisdiction and currency (``base_currency`` when absent).
VAT_COUNTRY = "FR"
DEFAULT_CURRENCY = "EUR"

# [doc] Wuro's states and types in ledgerline's vocabulary ("inactive" is a deleted draft).
CODES = {
    "state": {
        "draft": "draft",
        "waiting": "open",
        "late": "open",
        "notpaid": "open",
        "paid": "paid",
        "inactive": "cancelled",
    },
    "type": {
        "invoice": "invoice",
        "credit": "credit_note",
        "sold": "final",
        "advance": "advance",
        "external": "invoice",
        "external_credit": "credit_note",
    },
}
