-- grain: one row per counted document whose VAT could not be placed exactly: no VAT data from
-- the vendor (Katsu), a rate derived from the header (Baloom without its order), or no
-- exchange rate for its currency; with amounts, so missing VAT is never read as zero VAT
with invoices as (
    select * from core.invoices
    where not is_deleted and status not in ('draft', 'cancelled')
),

rates as (
    select invoice_key, vat_source, rates from intermediate.int_vat_by_invoice
),

classified as (
    select
        invoices.invoice_key,
        invoices.source_system,
        invoices.direction,
        invoices.country,
        invoices.issue_date,
        strftime(invoices.issue_date, '%Y-%m') as period,
        invoices.currency,
        invoices.gross_amount,
        invoices.tax_amount,
        invoices.gross_amount_rc,
        case
            when rates.invoice_key is null then 'no_vat_data'
            when invoices.fx_factor is null then 'no_fx_rate'
            when rates.vat_source = 'derived' then 'derived_rate'
        end as reason
    from invoices
    left join rates on rates.invoice_key = invoices.invoice_key
),

final as (
    select
        *,
        case reason
            when 'no_vat_data' then 'the vendor sends no tax data: VAT unknown, not zero'
            when 'no_fx_rate' then 'no ECB rate for ' || currency || ': left out of the reporting-currency VAT tables'
            when 'derived_rate' then 'rate derived from the header (tax / net): counted, to be checked'
        end as detail
    from classified
    where reason is not null
)

select * from final
