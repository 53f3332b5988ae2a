-- grain: one row per document with payments: what they add up to (signed like the document),
-- in all and by the as-of date (null when none is dated on or before it)
-- materialized: temp (read by several models: computed once per build)
with payments as (
    select * from core.payments
),

params as (
    select * from core.parameters
),

final as (
    select
        payments.invoice_key,
        sum(payments.amount) as paid_amount,
        sum(payments.amount) filter (where payments.paid_on <= params.as_of_date) as paid_by_as_of
    from payments
    cross join params
    group by payments.invoice_key
)

select * from final
