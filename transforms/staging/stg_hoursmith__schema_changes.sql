-- grain: one row per change hoursmith made to the shape of its records (field, kind of change),
-- as the source found it against its wire contract: first and last seen, and what the sync did
with source as (
    select * from {{ source('hoursmith', 'schema_changes') }}
),

renamed as (
    select
        'hoursmith' as source_system,
        endpoint,
        field,
        change,
        expected,
        seen,
        column_name,
        effect,
        severity,
        example_record_id,
        example_value,
        first_seen_at,
        last_seen_at
    from source
)

select * from renamed
