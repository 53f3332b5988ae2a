-- grain: one row per document and VAT rate: the base and VAT the document itself declares
-- (positive, as the vendor shows them; signs are applied with the document's)
-- materialized: temp (read by several models: computed once per build)
-- Amounts are DECIMAL(18, 2), as the documents' own: what follows multiplies them exactly and fast.
with unioned as (
    select invoice_key, vat_rate, taxable_base, vat_amount, vat_source from intermediate.int_baloom__invoice_vat_rates
    union all
    select invoice_key, vat_rate, taxable_base, vat_amount, vat_source from intermediate.int_ibana__invoice_vat_rates
    union all
    select invoice_key, vat_rate, taxable_base, vat_amount, vat_source from intermediate.int_wuro__invoice_vat_rates
    union all
    select invoice_key, vat_rate, taxable_base, vat_amount, vat_source from intermediate.int_hoursmith__invoice_vat_rates
)

select
    invoice_key,
    vat_rate,
    cast(taxable_base as decimal(18, 2)) as taxable_base,
    cast(vat_amount as decimal(18, 2)) as vat_amount,
    vat_source
from unioned
