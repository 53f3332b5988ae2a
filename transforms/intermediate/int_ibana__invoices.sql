-- grain: one row per ibana document (supplier invoices and customer invoices); a supplier
-- invoice's net and VAT are the sums of its line items ([assumed]: totalAmount is gross)
with supplier as (
    select * from staging.stg_ibana__supplier_invoices
),

lines as (
    select invoice_key, sum(net_amount) as net_amount, sum(vat_amount) as tax_amount
    from staging.stg_ibana__supplier_invoice_lines
    group by invoice_key
),

customer as (
    select * from staging.stg_ibana__customer_invoices
),

unioned as (
    select
        supplier.invoice_key, supplier.source_system, supplier.source_id, supplier.invoice_number,
        supplier.direction, supplier.document_type, supplier.mapped_status, supplier.raw_status,
        supplier.customer_key, supplier.issue_date, supplier.due_date, supplier.currency, supplier.country,
        lines.net_amount, lines.tax_amount, supplier.gross_amount, supplier.paid_amount,
        cast(supplier.already_paid_date as timestamptz) as paid_at, supplier.is_deleted,
        'vendor' as payment_dating,
        supplier.skonto_date, supplier.skonto_rate, supplier.skonto_amount
    from supplier
    left join lines on lines.invoice_key = supplier.invoice_key
    union all
    select
        invoice_key, source_system, source_id, invoice_number, direction, document_type, mapped_status,
        raw_status, customer_key, issue_date, due_date, currency, country,
        net_amount, tax_amount, gross_amount, paid_amount, cast(null as timestamptz) as paid_at, is_deleted,
        'observed' as payment_dating,
        cast(null as date), cast(null as decimal(18, 4)), cast(null as decimal(18, 2))
    from customer
)

select * from unioned
