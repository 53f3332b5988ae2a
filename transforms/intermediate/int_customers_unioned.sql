-- grain: one row per customer, client, counterparty or supplier record of any vendor
with unioned as (
    select customer_key, source_system, source_id, name, email, phone, vat_id, country, iban, is_deleted
    from staging.stg_baloom__customers
    union all
    select customer_key, source_system, source_id, name, email, phone, vat_id, country, iban, is_deleted
    from staging.stg_katsu__counterparties
    union all
    select customer_key, source_system, source_id, name, email, phone, vat_id, country, iban, is_deleted
    from staging.stg_ibana__counterparties
    union all
    select customer_key, source_system, source_id, name, email, phone, vat_id, country, iban, is_deleted
    from staging.stg_wuro__clients
    union all
    select customer_key, source_system, source_id, name, email, phone, vat_id, country, iban, is_deleted
    from staging.stg_hoursmith__clients
)

select * from unioned
