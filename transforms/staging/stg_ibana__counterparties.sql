-- grain: one row per ibana counterparty (suppliers and customers alike)
with source as (
    select * from {{ source('ibana', 'counterparties') }}
),

renamed as (
    select
        'ibana:' || id as customer_key,
        'ibana' as source_system,
        id as source_id,
        name,
        email,
        cast(null as varchar) as phone,
        vat as vat_id,
        country,
        bank_iban as iban,
        coalesce(deleted_upstream, false) as is_deleted
    from source
)

select * from renamed
