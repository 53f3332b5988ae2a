-- grain: one row per distinct record ibana sent that could not be loaded, with the reason
with source as (
    select * from {{ source('ibana', 'rejected_records') }}
),

renamed as (
    select
        'ibana' as source_system,
        endpoint,
        record_id,
        reason,
        payload,
        payload_hash,
        rejected_at
    from source
)

select * from renamed
