-- grain: one row per Katsu Pay invoice, its latest known version
-- Katsu sends integer codes; their meaning is an [assumed] table in sources/katsu/settings.py.
-- A code outside it is kept (raw_*) and reported, never guessed.
with source as (
    select * from {{ source('katsu', 'invoices') }}
    where _dlt_valid_to is null
),

settings as (
    select * from core.vendor_settings where vendor = 'katsu'
),

codes as (
    select * from core.vendor_codes where vendor = 'katsu'
),

renamed as (
    select
        'katsu:' || source.id as invoice_key,
        'katsu' as source_system,
        source.id as source_id,
        source.invoice_number,
        'receivable' as direction,
        'invoice' as document_type,
        statuses.value as mapped_status,
        cast(source.invoice_status as varchar) as raw_status,
        'katsu:' || source.counterparty_id as customer_key,
        (source.created_at at time zone 'UTC')::date as issue_date,
        source.due_date,
        currencies.value as currency,
        cast(source.currency as varchar) as raw_currency,
        settings.vat_country as country,
        -- Katsu sends no tax data: net and VAT are unknown, not zero
        cast(null as decimal(18, 2)) as net_amount,
        cast(null as decimal(18, 2)) as tax_amount,
        source.amount as gross_amount,
        coalesce(source.paid_amount, 0) as paid_amount,
        cast(null as timestamptz) as paid_at,
        coalesce(source.deleted_upstream, false) as is_deleted,
        source.description,
        source.account_name,
        discount_types.value as discount_type,
        billing_cycles.value as billing_cycle,
        payment_options.value as payment_option,
        source.recurring_invoice
    from source
    cross join settings
    left join codes as statuses on statuses.field = 'status' and statuses.code = cast(source.invoice_status as varchar)
    left join codes as currencies on currencies.field = 'currency' and currencies.code = cast(source.currency as varchar)
    left join codes as discount_types on discount_types.field = 'discount_type' and discount_types.code = cast(source.discount_type as varchar)
    left join codes as billing_cycles on billing_cycles.field = 'billing_cycle' and billing_cycles.code = cast(source.billing_cycle as varchar)
    left join codes as payment_options on payment_options.field = 'payment_option' and payment_options.code = cast(source.payment_option as varchar)
)

select * from renamed
