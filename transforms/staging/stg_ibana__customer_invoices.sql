-- grain: one row per ibana customer invoice (a receivable), its latest known version
with source as (
    select * from {{ source('ibana', 'customer_invoices') }}
    where _dlt_valid_to is null
),

settings as (
    select * from core.vendor_settings where vendor = 'ibana'
),

codes as (
    select * from core.vendor_codes where vendor = 'ibana' and field = 'customer_status'
),

renamed as (
    select
        'ibana:' || source.id as invoice_key,
        'ibana' as source_system,
        source.id as source_id,
        source.invoice_number,
        'receivable' as direction,
        'invoice' as document_type,
        codes.value as mapped_status,
        source.status as raw_status,
        'ibana:' || source.counterparty_id as customer_key,
        source.invoice_date as issue_date,
        source.due_date,
        coalesce(source.currency, settings.currency) as currency,
        settings.vat_country as country,
        source.net_amount,
        source.tax_amount,
        source.total_amount as gross_amount,
        coalesce(source.paid_amount, 0) as paid_amount,
        coalesce(source.deleted_upstream, false) as is_deleted
    from source
    cross join settings
    left join codes on codes.code = source.status
)

select * from renamed
