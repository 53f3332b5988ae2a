-- grain: one row per VAT rate of a Wuro invoice (VATRates: base and VAT at that rate)
with source as (
    select * from {{ source('wuro', 'invoice_vat_rates') }}
),

renamed as (
    select
        'wuro:' || invoice_id as invoice_key,
        rate as vat_rate,
        total as taxable_base,
        amount as vat_amount
    from source
)

select * from renamed
