-- grain: one row per Hoursmith client (soft deletes kept, flagged)
with source as (
    select * from {{ source('hoursmith', 'clients') }}
),

renamed as (
    select
        'hoursmith:' || id as customer_key,
        'hoursmith' as source_system,
        id as source_id,
        name,
        email,
        phone,
        tax_number as vat_id,
        billing_country as country,
        cast(null as varchar) as iban,
        coalesce(deleted_upstream, false) or deleted_at is not null as is_deleted
    from source
)

select * from renamed
