-- grain: one row per observed version of a Katsu invoice (history: paid amounts as seen)
with source as (
    select * from {{ source('katsu', 'invoices') }}
),

renamed as (
    select
        'katsu:' || id as invoice_key,
        coalesce(paid_amount, 0) as paid_amount,
        amount as gross_amount,
        cast(null as timestamptz) as paid_at,
        -- Katsu publishes no update time: money is dated by the sync that saw it
        cast(null as timestamptz) as updated_at,
        _dlt_valid_from as observed_at,
        _dlt_valid_to as superseded_at,
        coalesce(deleted_upstream, false) as is_deleted
    from source
)

select * from renamed
