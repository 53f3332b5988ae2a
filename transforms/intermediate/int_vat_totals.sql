-- grain: one row per period, basis, direction, country and VAT rate: the documents' base and
-- VAT converted document by document (each rounded to the cent on its own) and added up, in
-- the reporting currency and in the currency of the country's return (EUR for FR, GBP for GB);
-- what marts.vat_by_rate and the French and UK returns are made of
-- materialized: temp (read by several models: computed once per build)
-- The factors have 10 decimals and are below 10^8: as DECIMAL(18, 10) the products stay exact
-- and DuckDB computes them far faster than with DECIMAL(28, 10).
with cells as (
    select
        *,
        cast(fx_factor as decimal(18, 10)) as factor_rc,
        cast(case country when 'FR' then fx_factor_eur when 'GB' then fx_factor_gbp end as decimal(18, 10)) as factor_return
    from intermediate.int_vat_cells
),

final as (
    select
        period,
        basis,
        direction,
        country,
        vat_rate,
        -- documents without an exchange rate add nothing (null) and are not counted
        sum(round(taxable_base * factor_rc, 2)) as taxable_base_rc,
        sum(round(vat_amount * factor_rc, 2)) as vat_amount_rc,
        count(factor_rc) as documents_rc,
        sum(round(taxable_base * factor_return, 2)) as taxable_base_return,
        sum(round(vat_amount * factor_return, 2)) as vat_amount_return,
        count(factor_return) as documents_return
    from cells
    group by period, basis, direction, country, vat_rate
)

select * from final
