-- grain: one row per document with VAT data: the VAT it declares over all its rates, where
-- that comes from (one source per document) and how many rates it has
-- materialized: temp (read by several models: computed once per build)
with rates as (
    select * from intermediate.int_invoice_vat_rates
),

final as (
    select
        invoice_key,
        sum(vat_amount) as vat_amount,
        any_value(vat_source) as vat_source,
        count(*) as rates
    from rates
    group by invoice_key
)

select * from final
