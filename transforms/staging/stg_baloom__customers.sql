-- grain: one row per Baloom customer
with source as (
    select * from {{ source('baloom', 'customers') }}
),

renamed as (
    select
        'baloom:' || id as customer_key,
        'baloom' as source_system,
        id as source_id,
        name,
        email,
        phone,
        vat_number as vat_id,
        country,
        cast(null as varchar) as iban,
        created_at,
        updated_at,
        coalesce(deleted_upstream, false) as is_deleted
    from source
)

select * from renamed
