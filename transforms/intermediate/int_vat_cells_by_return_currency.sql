-- grain: one row per document, basis, period and VAT rate of the French (EUR) and UK (GBP)
-- returns, converted to the return's currency at the ECB rate of the document's issue date
-- (int_vat_cells has one row per document, basis, period and rate: each is rounded on its own)
with cells as (
    select * from intermediate.int_vat_cells
    where country in ('FR', 'GB')
),

per_document as (
    select
        invoice_key, basis, period, direction, country, vat_rate, currency, issue_date,
        case country when 'FR' then 'EUR' else 'GBP' end as return_currency,
        case country when 'FR' then fx_factor_eur else fx_factor_gbp end as factor,
        taxable_base,
        vat_amount
    from cells
),

-- the factors have 10 decimals and are below 10^8: as DECIMAL(18, 10) the products stay exact
-- and DuckDB computes them far faster than with DECIMAL(28, 10)
converted as (
    select
        *,
        round(taxable_base * cast(factor as decimal(18, 10)), 2) as taxable_base_converted,
        round(vat_amount * cast(factor as decimal(18, 10)), 2) as vat_amount_converted
    from per_document
)

select * from converted
