-- grain: one row per line item of an ibana supplier invoice
with source as (
    select * from {{ source('ibana', 'supplier_invoice_lines') }}
),

renamed as (
    select
        'ibana:' || supplier_invoice_id as invoice_key,
        line_number,
        coalesce(title, description) as description,
        quantity,
        unit_price,
        total_price as net_amount,
        tax_rate as vat_rate,
        tax_amount as vat_amount
    from source
)

select * from renamed
