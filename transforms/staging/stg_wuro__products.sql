-- grain: one row per Wuro product
with source as (
    select * from {{ source('wuro', 'products') }}
),

categories as (
    select * from {{ source('wuro', 'product_categories') }}
),

renamed as (
    select
        'wuro:' || source.id as product_key,
        'wuro' as source_system,
        source.id as source_id,
        source.name,
        source.sku,
        categories.name as category,
        source.price_ht as unit_price,
        source.tva_rate as vat_rate,
        source.state = 'active' as is_active,
        coalesce(source.deleted_upstream, false) or source.state = 'inactive' as is_deleted
    from source
    left join categories on categories.id = source.category_id
)

select * from renamed
