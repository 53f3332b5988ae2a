-- grain: one row per item of a Baloom order
with source as (
    select * from {{ source('baloom', 'order_items') }}
),

renamed as (
    select
        'baloom:' || order_id as order_key,
        line_number,
        'baloom:' || product_id as product_key,
        quantity,
        unit_price,
        tax_rate as vat_rate,
        total as net_amount
    from source
)

select * from renamed
