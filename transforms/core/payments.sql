-- grain: one row per payment of a document (signed like the document), with the date it is
-- known to have been paid
with payments as (
    select * from intermediate.int_payments_dated
),

-- (joined to the documents, not just to the credit notes: reading the documents' table makes
-- DuckDB write this table as it builds it, in parallel, instead of all at the commit)
invoices as (
    select invoice_key, sign from intermediate.int_invoices_unioned
),

final as (
    select
        payments.payment_key,
        payments.invoice_key,
        payments.paid_on,
        cast(invoices.sign * payments.amount as decimal(18, 2)) as amount,
        payments.currency,
        payments.method,
        payments.vendor_dated
    from payments
    inner join invoices on invoices.invoice_key = payments.invoice_key
)

select * from final
