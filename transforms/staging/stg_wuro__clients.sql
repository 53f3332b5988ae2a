-- grain: one row per Wuro client (inactive ones are deleted)
with source as (
    select * from {{ source('wuro', 'clients') }}
),

renamed as (
    select
        'wuro:' || id as customer_key,
        'wuro' as source_system,
        id as source_id,
        name,
        nullif(email, '') as email,
        nullif(phone, '') as phone,
        nullif(tva_number, '') as vat_id,
        country_code as country,
        cast(null as varchar) as iban,
        coalesce(deleted_upstream, false) or state = 'inactive' as is_deleted
    from source
)

select * from renamed
