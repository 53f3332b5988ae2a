-- grain: one row per line of a Wuro invoice (layout lines included, flagged by line_type)
with source as (
    select * from {{ source('wuro', 'invoice_lines') }}
),

renamed as (
    select
        'wuro:' || invoice_id as invoice_key,
        line_number,
        type as line_type,
        coalesce(title, description) as description,
        quantity,
        price_ht as unit_price,
        total_ht as net_amount,
        tva_rate as vat_rate,
        total_ttc - total_ht as vat_amount
    from source
)

select * from renamed
