-- grain: one row per observed version of an ibana customer invoice (paid amounts as seen)
with source as (
    select * from {{ source('ibana', 'customer_invoices') }}
),

renamed as (
    select
        'ibana:' || id as invoice_key,
        coalesce(paid_amount, 0) as paid_amount,
        total_amount as gross_amount,
        cast(null as timestamptz) as paid_at,
        updated_at,
        _dlt_valid_from as observed_at,
        _dlt_valid_to as superseded_at,
        coalesce(deleted_upstream, false) as is_deleted
    from source
)

select * from renamed
