-- grain: one row per document, basis, period and VAT rate: the signed base and VAT the
-- document contributes, in the document's currency (accrual: issue month; cash: the months
-- its payments settle it)
with documents as (
    select * from intermediate.int_vat_documents
),

cash as (
    select * from intermediate.int_vat_cash_portions
),

cells as (
    select
        invoice_key, 'accrual' as basis, strftime(issue_date, '%Y-%m') as period, vat_rate, sign, taxable_base, vat_amount,
        direction, country, currency, issue_date, fx_factor, fx_factor_eur, fx_factor_gbp
    from documents
    union all
    select
        invoice_key, 'cash' as basis, period, vat_rate, sign, taxable_base, vat_amount,
        direction, country, currency, issue_date, fx_factor, fx_factor_eur, fx_factor_gbp
    from cash
),

final as (
    select
        invoice_key,
        basis,
        period,
        vat_rate,
        cast(sign * taxable_base as decimal(18, 2)) as taxable_base,
        cast(sign * vat_amount as decimal(18, 2)) as vat_amount,
        direction,
        country,
        currency,
        issue_date,
        fx_factor,
        fx_factor_eur,
        fx_factor_gbp
    from cells
)

select * from final
