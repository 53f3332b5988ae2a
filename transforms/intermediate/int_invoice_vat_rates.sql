-- grain: one row per document and VAT rate: the base and VAT the document itself declares
-- (positive, as the vendor shows them; signs are applied with the document's)
-- materialized: table (read by several models: computed once per build)
with unioned as (
    select invoice_key, vat_rate, taxable_base, vat_amount, vat_source from intermediate.int_baloom__invoice_vat_rates
    union all
    select invoice_key, vat_rate, taxable_base, vat_amount, vat_source from intermediate.int_ibana__invoice_vat_rates
    union all
    select invoice_key, vat_rate, taxable_base, vat_amount, vat_source from intermediate.int_wuro__invoice_vat_rates
    union all
    select invoice_key, vat_rate, taxable_base, vat_amount, vat_source from intermediate.int_hoursmith__invoice_vat_rates
)

select * from unioned
