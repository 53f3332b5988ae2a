-- grain: one row per advance (acompte) deducted by a Wuro final invoice
with source as (
    select * from {{ source('wuro', 'invoice_advances') }}
),

renamed as (
    select
        'wuro:' || invoice_id as invoice_key,
        line_number,
        'wuro:' || advance_id as advance_invoice_key,
        amount as gross_amount,
        amount_ht as net_amount,
        coalesce(credit, false) as is_credit,
        date as advance_date
    from source
)

select * from renamed
