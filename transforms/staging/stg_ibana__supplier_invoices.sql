-- grain: one row per ibana supplier invoice (a payable), its latest known version
-- The payee is the supplier; the debitor's country is the jurisdiction whose VAT applies.
with source as (
    select * from {{ source('ibana', 'supplier_invoices') }}
    where _dlt_valid_to is null
),

settings as (
    select * from core.vendor_settings where vendor = 'ibana'
),

codes as (
    select * from core.vendor_codes where vendor = 'ibana'
),

renamed as (
    select
        'ibana:' || source.id as invoice_key,
        'ibana' as source_system,
        source.id as source_id,
        source.invoice_number,
        'payable' as direction,
        types.value as document_type,
        -- [assumed] paid also when alreadyPaid is true, whatever the status says
        case when coalesce(source.already_paid, false) then 'paid' else statuses.value end as mapped_status,
        source.status as raw_status,
        'ibana:' || source.payee_id as customer_key,
        source.invoice_date as issue_date,
        source.due_date,
        coalesce(source.currency, settings.currency) as currency,
        coalesce(source.debitor_country_code, settings.vat_country) as country,
        source.total_amount as gross_amount,
        case when coalesce(source.already_paid, false) or source.status = 'PAID' then source.total_amount else 0 end as paid_amount,
        source.already_paid_date,
        source.skonto_date,
        source.skonto_rate,
        source.skonto_amount,
        source.payee_name,
        source.payee_iban,
        source.payee_vat,
        coalesce(source.deleted_upstream, false) as is_deleted
    from source
    cross join settings
    left join codes as types on types.field = 'type' and types.code = source.type
    left join codes as statuses on statuses.field = 'supplier_status' and statuses.code = source.status
)

select * from renamed
