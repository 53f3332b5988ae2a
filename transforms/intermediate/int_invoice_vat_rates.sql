-- grain: one row per document and VAT rate: the base and VAT the document itself declares
with unioned as (
    select invoice_key, vat_rate, taxable_base, vat_amount, vat_source
    from intermediate.int_baloom__invoice_vat_rates
)

select * from unioned
