-- grain: one row per distinct record hoursmith sent that could not be loaded, with the reason
with source as (
    select * from {{ source('hoursmith', 'rejected_records') }}
),

renamed as (
    select
        'hoursmith' as source_system,
        endpoint,
        record_id,
        reason,
        payload,
        payload_hash,
        rejected_at
    from source
)

select * from renamed
