-- grain: one row per Wuro document with what it invoices itself: a final ("sold") invoice
-- shows the full amounts and lists the advances already invoiced; it is owed, and declares,
-- only the rest ([assumed] in api-contracts.md)
with invoices as (
    select * from staging.stg_wuro__invoices
),

advances as (
    select invoice_key, sum(gross_amount) as gross_amount, sum(net_amount) as net_amount
    from staging.stg_wuro__invoice_advances
    group by invoice_key
),

payments as (
    select invoice_key, sum(amount) as amount, max(paid_on) as last_paid_on
    from staging.stg_wuro__invoice_payments
    group by invoice_key
),

final as (
    select
        invoices.invoice_key, invoices.source_system, invoices.source_id, invoices.invoice_number,
        invoices.direction, invoices.document_type, invoices.mapped_status, invoices.raw_status,
        invoices.customer_key, invoices.issue_date, invoices.due_date, invoices.currency, invoices.country,
        invoices.net_amount - coalesce(advances.net_amount, 0) as net_amount,
        (invoices.gross_amount - coalesce(advances.gross_amount, 0))
            - (invoices.net_amount - coalesce(advances.net_amount, 0)) as tax_amount,
        invoices.gross_amount - coalesce(advances.gross_amount, 0) as gross_amount,
        coalesce(payments.amount, 0) as paid_amount,
        case when invoices.mapped_status = 'paid' then cast(payments.last_paid_on as timestamptz) end as paid_at,
        invoices.is_deleted,
        'vendor' as payment_dating,
        cast(null as date) as skonto_date,
        cast(null as decimal(18, 4)) as skonto_rate,
        cast(null as decimal(18, 2)) as skonto_amount
    from invoices
    left join advances on advances.invoice_key = invoices.invoice_key
    left join payments on payments.invoice_key = invoices.invoice_key
)

select * from final
