-- grain: one row per distinct record baloom sent that could not be loaded, with the reason
with source as (
    select * from {{ source('baloom', 'rejected_records') }}
),

renamed as (
    select
        'baloom' as source_system,
        endpoint,
        record_id,
        reason,
        payload,
        payload_hash,
        rejected_at
    from source
)

select * from renamed
