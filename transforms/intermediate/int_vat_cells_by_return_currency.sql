-- grain: one row per document, basis, period and VAT rate of the French (EUR) and UK (GBP)
-- returns, converted to the return's currency at the ECB rate of the document's issue date
with cells as (
    select * from intermediate.int_vat_cells
    where country in ('FR', 'GB')
),

fx as (
    select * from core.fx_factors
),

per_document as (
    select
        invoice_key, basis, period, direction, country, vat_rate, currency, issue_date,
        case country when 'FR' then 'EUR' else 'GBP' end as return_currency,
        sum(taxable_base) as taxable_base,
        sum(vat_amount) as vat_amount
    from cells
    group by all
),

converted as (
    select
        per_document.*,
        fx.factor,
        round(per_document.taxable_base * fx.factor, 2) as taxable_base_converted,
        round(per_document.vat_amount * fx.factor, 2) as vat_amount_converted
    from per_document
    asof left join fx
        on fx.from_currency = per_document.currency
        and fx.to_currency = per_document.return_currency
        and per_document.issue_date >= fx.rate_date
)

select * from converted
