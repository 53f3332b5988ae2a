-- grain: one row per Baloom invoice or refund, its latest known version
with source as (
    select * from {{ source('baloom', 'invoices') }}
    where _dlt_valid_to is null
),

settings as (
    select * from core.vendor_settings where vendor = 'baloom'
),

codes as (
    select * from core.vendor_codes where vendor = 'baloom'
),

renamed as (
    select
        'baloom:' || source.id as invoice_key,
        'baloom' as source_system,
        source.id as source_id,
        source.invoice_number,
        'receivable' as direction,
        types.value as document_type,
        statuses.value as mapped_status,
        source.status as raw_status,
        source.type as raw_type,
        'baloom:' || source.customer_id as customer_key,
        'baloom:' || source.order_id as order_key,
        (source.created_at at time zone 'UTC')::date as issue_date,
        source.due_date,
        coalesce(source.currency, settings.currency) as currency,
        settings.vat_country as country,
        source.subtotal - coalesce(source.discount_amount, 0) + coalesce(source.shipping_amount, 0) as net_amount,
        source.tax_amount,
        source.total_amount as gross_amount,
        source.subtotal,
        coalesce(source.discount_amount, 0) as discount_amount,
        coalesce(source.shipping_amount, 0) as shipping_amount,
        -- Baloom has no payment list: paidAt set means paid in full on that day
        case when source.paid_at is not null then source.total_amount else 0 end as paid_amount,
        source.paid_at,
        coalesce(source.deleted_upstream, false) as is_deleted,
        source._dlt_valid_from as observed_at
    from source
    cross join settings
    left join codes as types on types.field = 'type' and types.code = source.type
    left join codes as statuses on statuses.field = 'status' and statuses.code = source.status
)

select * from renamed
