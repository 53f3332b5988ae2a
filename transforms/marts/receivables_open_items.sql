-- grain: one row per receivable still open on the as-of date (core.parameters.as_of_date)
-- The balance counts only payments dated on or before the as-of date.
with params as (
    select * from core.parameters
),

invoices as (
    select * from core.invoices
    where direction = 'receivable'
        and not is_deleted
        and status not in ('draft', 'cancelled')
),

paid as (
    select invoice_key, paid_by_as_of as paid_amount from intermediate.int_payments_by_invoice
),

balances as (
    select
        invoices.invoice_key,
        invoices.customer_key,
        invoices.source_system,
        invoices.currency,
        invoices.issue_date,
        invoices.due_date,
        params.as_of_date,
        cast(params.as_of_date - invoices.due_date as integer) as days_past_due,
        cast(invoices.gross_amount - coalesce(paid.paid_amount, 0) as decimal(18, 2)) as open_amount,
        invoices.fx_factor
    from invoices
    cross join params
    left join paid on paid.invoice_key = invoices.invoice_key
    where invoices.issue_date <= params.as_of_date
),

final as (
    select
        invoice_key,
        customer_key,
        source_system,
        currency,
        issue_date,
        due_date,
        as_of_date,
        days_past_due,
        case
            when days_past_due <= 0 then 'current'
            when days_past_due <= 30 then '1-30'
            when days_past_due <= 60 then '31-60'
            when days_past_due <= 90 then '61-90'
            when days_past_due <= 120 then '91-120'
            else '120+'
        end as aging_bucket,
        open_amount,
        -- (the factor as DECIMAL(18, 10): exact, and far faster than DECIMAL(28, 10))
        cast(round(open_amount * cast(fx_factor as decimal(18, 10)), 2) as decimal(18, 2)) as open_amount_rc
    from balances
    where open_amount <> 0
)

select * from final
