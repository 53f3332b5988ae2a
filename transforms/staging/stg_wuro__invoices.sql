-- grain: one row per Wuro invoice (any type), its latest known version; amounts as Wuro shows
-- them (a final "sold" invoice shows the full amounts; int_wuro__invoices deducts advances)
with source as (
    select * from {{ source('wuro', 'invoices') }}
    where _dlt_valid_to is null
),

settings as (
    select * from core.vendor_settings where vendor = 'wuro'
),

codes as (
    select * from core.vendor_codes where vendor = 'wuro'
),

renamed as (
    select
        'wuro:' || source.id as invoice_key,
        'wuro' as source_system,
        source.id as source_id,
        nullif(source.number, '') as invoice_number,
        'receivable' as direction,
        types.value as document_type,
        source.type as raw_type,
        states.value as mapped_status,
        source.state as raw_status,
        'wuro:' || source.client_id as customer_key,
        source.date as issue_date,
        source.payment_expiry_date as due_date,
        coalesce(source.currency, source.base_currency, settings.currency) as currency,
        settings.vat_country as country,
        source.total_ht as net_amount,
        source.total_tva as tax_amount,
        source.total_ttc as gross_amount,
        source.title,
        -- inactive: deleted in Wuro (only unnumbered drafts can be)
        coalesce(source.deleted_upstream, false) or source.state = 'inactive' as is_deleted
    from source
    cross join settings
    left join codes as types on types.field = 'type' and types.code = source.type
    left join codes as states on states.field = 'state' and states.code = source.state
)

select * from renamed
