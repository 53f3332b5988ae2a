-- grain: one row per observed version of a Hoursmith invoice (paid amounts as seen)
with source as (
    select * from {{ source('hoursmith', 'invoices') }}
),

renamed as (
    select
        'hoursmith:' || id as invoice_key,
        coalesce(amount_paid, 0) as paid_amount,
        total as gross_amount,
        paid_at,
        updated_at,
        _dlt_valid_from as observed_at,
        _dlt_valid_to as superseded_at,
        coalesce(deleted_upstream, false) or deleted_at is not null as is_deleted
    from source
)

select * from renamed
