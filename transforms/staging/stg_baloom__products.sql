-- grain: one row per Baloom product
with source as (
    select * from {{ source('baloom', 'products') }}
),

categories as (
    select * from {{ source('baloom', 'categories') }}
),

renamed as (
    select
        'baloom:' || source.id as product_key,
        'baloom' as source_system,
        source.id as source_id,
        source.name,
        source.sku,
        categories.name as category,
        source.price as unit_price,
        source.tax_rate as vat_rate,
        source.is_active,
        coalesce(source.deleted_upstream, false) as is_deleted
    from source
    left join categories on categories.id = source.category_id
)

select * from renamed
