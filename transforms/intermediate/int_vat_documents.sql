-- grain: one row per counted document (not deleted, draft or cancelled) and VAT rate: the base
-- and VAT it declares (positive, as the vendor shows them) with what the VAT tables need of the
-- document: sign, direction (output, input), country, currency, issue date, gross in cents and
-- conversion factors
-- materialized: temp (read by several models: computed once per build)
with invoices as (
    select * from core.invoices
    where not is_deleted and status not in ('draft', 'cancelled')
),

rates as (
    select * from intermediate.int_invoice_vat_rates
),

final as (
    select
        rates.invoice_key,
        rates.vat_rate,
        rates.taxable_base,
        rates.vat_amount,
        invoices.sign,
        case invoices.direction when 'receivable' then 'output' else 'input' end as direction,
        invoices.country,
        invoices.currency,
        invoices.issue_date,
        cast(abs(invoices.gross_amount) * 100 as bigint) as gross_cents,
        invoices.fx_factor,
        invoices.fx_factor_eur,
        invoices.fx_factor_gbp
    from rates
    inner join invoices on invoices.invoice_key = rates.invoice_key
)

select * from final
