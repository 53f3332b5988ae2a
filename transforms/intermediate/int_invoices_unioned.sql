-- grain: one row per document of any vendor, sales and purchases, in the document's currency
-- Amounts are as the vendor shows them (positive) and what the document itself invoices
-- (a Wuro final invoice less its advances); `sign` is -1 for credit notes. payment_dating
-- says whether payments carry the vendor's dates or are dated by the sync that saw them.
-- materialized: temp (read by several models: computed once per build)
with unioned as (
    select
        invoice_key, source_system, source_id, invoice_number, direction, document_type,
        mapped_status, raw_status, customer_key, issue_date, due_date, currency, country,
        net_amount, tax_amount, gross_amount, paid_amount, paid_at, is_deleted,
        'vendor' as payment_dating,
        cast(null as date) as skonto_date,
        cast(null as decimal(18, 4)) as skonto_rate,
        cast(null as decimal(18, 2)) as skonto_amount
    from staging.stg_baloom__invoices
    union all
    select
        invoice_key, source_system, source_id, invoice_number, direction, document_type,
        mapped_status, raw_status, customer_key, issue_date, due_date, currency, country,
        net_amount, tax_amount, gross_amount, paid_amount, paid_at, is_deleted,
        'observed', cast(null as date), cast(null as decimal(18, 4)), cast(null as decimal(18, 2))
    from staging.stg_katsu__invoices
    union all
    select * from intermediate.int_ibana__invoices
    union all
    select * from intermediate.int_wuro__invoices
    union all
    select
        invoice_key, source_system, source_id, invoice_number, direction, document_type,
        mapped_status, raw_status, customer_key, issue_date, due_date, currency, country,
        net_amount, tax_amount, gross_amount, paid_amount, paid_at, is_deleted,
        'observed', cast(null as date), cast(null as decimal(18, 4)), cast(null as decimal(18, 2))
    from staging.stg_hoursmith__invoices
),

final as (
    select
        *,
        case when document_type = 'credit_note' then -1 else 1 end as sign
    from unioned
)

select * from final
