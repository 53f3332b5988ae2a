-- grain: one row per document, basis, period and VAT rate: the signed base and VAT the
-- document contributes, in the document's currency (accrual: issue month; cash: the months
-- its payments settle it)
-- materialized: table (read by several models: computed once per build)
with invoices as (
    select * from core.invoices
    where not is_deleted and status not in ('draft', 'cancelled')
),

rates as (
    select * from intermediate.int_invoice_vat_rates
),

cash as (
    select * from intermediate.int_vat_cash_portions
),

accrual_cells as (
    select
        invoices.invoice_key,
        'accrual' as basis,
        strftime(invoices.issue_date, '%Y-%m') as period,
        rates.vat_rate,
        invoices.sign * rates.taxable_base as taxable_base,
        invoices.sign * rates.vat_amount as vat_amount
    from invoices
    inner join rates on rates.invoice_key = invoices.invoice_key
),

cash_cells as (
    select
        cash.invoice_key,
        'cash' as basis,
        cash.period,
        cash.vat_rate,
        invoices.sign * cash.taxable_base as taxable_base,
        invoices.sign * cash.vat_amount as vat_amount
    from cash
    inner join invoices on invoices.invoice_key = cash.invoice_key
),

cells as (
    select * from accrual_cells
    union all
    select * from cash_cells
),

final as (
    select
        cells.*,
        case invoices.direction when 'receivable' then 'output' else 'input' end as direction,
        invoices.country,
        invoices.currency,
        invoices.issue_date,
        invoices.fx_factor,
        invoices.fx_factor_eur,
        invoices.fx_factor_gbp
    from cells
    inner join invoices on invoices.invoice_key = cells.invoice_key
)

select * from final
