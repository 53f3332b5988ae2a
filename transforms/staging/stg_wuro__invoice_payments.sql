-- grain: one row per payment recorded on a Wuro invoice
with source as (
    select * from {{ source('wuro', 'invoice_payments') }}
),

renamed as (
    select
        'wuro:' || invoice_id as invoice_key,
        line_number,
        'wuro:' || coalesce(payment_id, invoice_id || ':' || line_number) as payment_key,
        (date at time zone 'UTC')::date as paid_on,
        amount,
        method_name as method
    from source
)

select * from renamed
