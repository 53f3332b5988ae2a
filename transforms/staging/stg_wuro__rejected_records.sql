-- grain: one row per distinct record wuro sent that could not be loaded, with the reason
with source as (
    select * from {{ source('wuro', 'rejected_records') }}
),

renamed as (
    select
        'wuro' as source_system,
        endpoint,
        record_id,
        reason,
        payload,
        payload_hash,
        rejected_at
    from source
)

select * from renamed
