-- grain: one row per Wuro document and VAT rate: base and VAT it declares itself (a final
-- invoice less, rate by rate, what its advance invoices already declared)
-- (one row per rate even if Wuro lists a rate twice: the VAT models count on it)
with rates as (
    select invoice_key, vat_rate, sum(taxable_base) as taxable_base, sum(vat_amount) as vat_amount
    from staging.stg_wuro__invoice_vat_rates
    group by invoice_key, vat_rate
),

advances as (
    select * from staging.stg_wuro__invoice_advances
),

advance_rates as (
    select advances.invoice_key, rates.vat_rate, sum(rates.taxable_base) as taxable_base, sum(rates.vat_amount) as vat_amount
    from advances
    inner join rates on rates.invoice_key = advances.advance_invoice_key
    group by advances.invoice_key, rates.vat_rate
),

final as (
    select
        rates.invoice_key,
        rates.vat_rate,
        rates.taxable_base - coalesce(advance_rates.taxable_base, 0) as taxable_base,
        rates.vat_amount - coalesce(advance_rates.vat_amount, 0) as vat_amount,
        'vat_rates' as vat_source
    from rates
    left join advance_rates on advance_rates.invoice_key = rates.invoice_key and advance_rates.vat_rate = rates.vat_rate
)

select * from final
