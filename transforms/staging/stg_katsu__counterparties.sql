-- grain: one row per Katsu Pay counterparty
with source as (
    select * from {{ source('katsu', 'counterparties') }}
),

renamed as (
    select
        'katsu:' || id as customer_key,
        'katsu' as source_system,
        id as source_id,
        name,
        email,
        phone,
        cast(null as varchar) as vat_id,
        cast(null as varchar) as country,
        cast(null as varchar) as iban,
        coalesce(deleted_upstream, false) as is_deleted
    from source
)

select * from renamed
