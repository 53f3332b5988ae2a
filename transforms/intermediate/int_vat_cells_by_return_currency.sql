-- grain: one row per document, basis, period and VAT rate of the French (EUR) and UK (GBP)
-- returns, converted to the return's currency at the ECB rate of the document's issue date
-- materialized: table (read by several models: computed once per build)
with cells as (
    select * from intermediate.int_vat_cells
    where country in ('FR', 'GB')
),

per_document as (
    select
        invoice_key, basis, period, direction, country, vat_rate, currency, issue_date,
        case country when 'FR' then 'EUR' else 'GBP' end as return_currency,
        any_value(case country when 'FR' then fx_factor_eur else fx_factor_gbp end) as factor,
        sum(taxable_base) as taxable_base,
        sum(vat_amount) as vat_amount
    from cells
    group by invoice_key, basis, period, direction, country, vat_rate, currency, issue_date
),

converted as (
    select
        *,
        round(taxable_base * factor, 2) as taxable_base_converted,
        round(vat_amount * factor, 2) as vat_amount_converted
    from per_document
)

select * from converted
