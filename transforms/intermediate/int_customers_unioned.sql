-- grain: one row per customer, client, counterparty or supplier record of any vendor
with unioned as (
    select customer_key, source_system, source_id, name, email, phone, vat_id, country, iban, is_deleted
    from staging.stg_baloom__customers
)

select * from unioned
