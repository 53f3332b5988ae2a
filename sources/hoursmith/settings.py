"""Hoursmith: constants and every [assumed] contract detail, in one place to change.

See ``api-contracts.md`` section 5. The real host is ``https://hoursmith.app/api/v1``.
"""

from datetime import timedelta

BASE_URL = "https://hoursmith.app/api/v1"
# [doc] ``Authorization: Bearer hsk_<env>_<prefix12>_<secret32>``; a bad token gives 401.
CREDENTIAL_HINT = "SOURCES__HOURSMITH__TOKEN"

# [doc] endpoints; lists are ``{"data": [...], "pagination": {"nextCursor", "limit"}}``.
ENDPOINTS = {"invoices": "/invoices", "clients": "/clients"}

# [doc] cursor paging: ``limit`` at most 200, ``cursor`` = the previous ``nextCursor``; the
# same ``sort`` on every page of a walk.
LIMIT_PARAM = "limit"
CURSOR_PARAM = "cursor"
PAGE_LIMIT = 200
# A full scan sorts on the immutable ``id`` (a keyset on it cannot miss a record that changes
# while pages are read); the incremental invoice read goes newest change first [doc].
FULL_SORT = "id"
CHANGES_SORT = "-updatedAt"
# [doc] clients filter on ``updatedAtFrom``; invoices have no such filter [absent]: they are
# read with ``sort=-updatedAt`` until past the watermark.
CLIENTS_SINCE_PARAM = "updatedAtFrom"
# [assumed] how far before the newest ``updatedAt`` seen an incremental read starts again
# (writes committed late, clocks that disagree).
UPDATED_LAG = timedelta(hours=1)
# Every ``full_reconcile_days`` a run reads everything: hard deletes (the only changes that
# leave no ``updatedAt``) are flagged.
FULL_RECONCILE_DAYS = 7.0

# [doc] per-token limits of the Studio plan, (requests, seconds); Agency allows 60 and 1,200.
# The client keeps under them before Hoursmith has to refuse (and follows the
# ``X-RateLimit-*`` headers when the plan allows more).
PLAN_LIMITS = ((30, 10.0), (600, 60.0))
# [doc] retry only 429 (after ``Retry-After``) and 500; broken connections are retried too.
RETRY_STATUSES = frozenset({429, 500})

# [doc] enums (unknown codes are loaded as sent).
STATUSES = ("DRAFT", "SENT", "PAID", "CANCELLED")
PAYMENT_STATUSES = ("unpaid", "partially_paid", "paid", "refunded")

# [assumed] the account's VAT jurisdiction, and the currency of an invoice that names none.
VAT_COUNTRY = "GB"
DEFAULT_CURRENCY = "GBP"

# [doc] Hoursmith's statuses in ledgerline's vocabulary ("overdue" is derived, not stored).
CODES = {
    "status": {"DRAFT": "draft", "SENT": "open", "PAID": "paid", "CANCELLED": "cancelled"},
}
