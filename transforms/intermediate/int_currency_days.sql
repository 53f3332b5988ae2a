-- grain: one row per document currency and issue date (null when the document has none): the
-- days the exchange rates are needed for
-- materialized: temp (read by several models: computed once per build)
select distinct currency, issue_date
from intermediate.int_invoices_unioned
where currency is not null
