-- grain: one row per Baloom order
with source as (
    select * from {{ source('baloom', 'orders') }}
),

renamed as (
    select
        'baloom:' || id as order_key,
        'baloom' as source_system,
        id as source_id,
        order_number,
        'baloom:' || customer_id as customer_key,
        site_id,
        status,
        currency,
        subtotal,
        tax_amount,
        discount_amount,
        shipping_amount,
        total_amount,
        created_at,
        updated_at,
        coalesce(deleted_upstream, false) as is_deleted
    from source
)

select * from renamed
