-- grain: one row per Katsu Pay product
with source as (
    select * from {{ source('katsu', 'products') }}
),

renamed as (
    select
        'katsu:' || id as product_key,
        'katsu' as source_system,
        id as source_id,
        name,
        cast(null as varchar) as sku,
        category_id as category,
        price as unit_price,
        cast(null as decimal(18, 4)) as vat_rate,
        availability as is_active,
        coalesce(deleted_upstream, false) as is_deleted
    from source
)

select * from renamed
