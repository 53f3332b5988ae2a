-- grain: one row per Hoursmith invoice, its latest known version (soft deletes kept, flagged)
-- One VAT rate per invoice: net = subtotal - discount, VAT = total - net.
with source as (
    select * from {{ source('hoursmith', 'invoices') }}
    where _dlt_valid_to is null
),

settings as (
    select * from core.vendor_settings where vendor = 'hoursmith'
),

codes as (
    select * from core.vendor_codes where vendor = 'hoursmith' and field = 'status'
),

renamed as (
    select
        'hoursmith:' || source.id as invoice_key,
        'hoursmith' as source_system,
        source.id as source_id,
        source.number as invoice_number,
        'receivable' as direction,
        'invoice' as document_type,
        codes.value as mapped_status,
        source.status as raw_status,
        source.payment_status,
        'hoursmith:' || source.client_id as customer_key,
        source.issue_date,
        source.due_date,
        coalesce(source.currency, settings.currency) as currency,
        settings.vat_country as country,
        source.tax_rate as vat_rate,
        source.subtotal - coalesce(source.discount_amount, 0) as net_amount,
        source.total - (source.subtotal - coalesce(source.discount_amount, 0)) as tax_amount,
        source.total as gross_amount,
        coalesce(source.amount_paid, 0) as paid_amount,
        source.paid_at,
        source.deleted_at,
        coalesce(source.deleted_upstream, false) or source.deleted_at is not null as is_deleted
    from source
    cross join settings
    left join codes on codes.code = source.status
)

select * from renamed
