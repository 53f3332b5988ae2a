-- grain: one row per product of any vendor that has a catalogue (Baloom, Katsu, Wuro)
with unioned as (
    select product_key, source_system, source_id, name, sku, category, unit_price, vat_rate, is_active, is_deleted
    from staging.stg_baloom__products
    union all
    select product_key, source_system, source_id, name, sku, category, unit_price, vat_rate, is_active, is_deleted
    from staging.stg_katsu__products
    union all
    select product_key, source_system, source_id, name, sku, category, unit_price, vat_rate, is_active, is_deleted
    from staging.stg_wuro__products
)

select
    product_key,
    source_system,
    source_id,
    name,
    sku,
    category,
    cast(unit_price as decimal(18, 4)) as unit_price,
    cast(vat_rate as decimal(18, 4)) as vat_rate,
    is_active,
    is_deleted
from unioned
