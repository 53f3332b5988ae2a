-- grain: one row per period (YYYY-MM), basis (accrual, cash), direction (output, input),
-- country and VAT rate; amounts in the reporting currency
-- accrual: the invoice date's month; cash: the payment date's month, VAT in proportion to the
-- amount paid. Credit notes reduce their own period. A Wuro final invoice declares only the VAT
-- its advances did not. Documents without VAT data, or without an exchange rate, are listed
-- in marts.vat_coverage instead of being counted as zero.
with cells as (
    select * from intermediate.int_vat_cells
    where fx_factor is not null
),

per_document as (
    select
        period, basis, direction, country, vat_rate, invoice_key,
        round(sum(taxable_base) * any_value(fx_factor), 2) as taxable_base,
        round(sum(vat_amount) * any_value(fx_factor), 2) as vat_amount
    from cells
    group by period, basis, direction, country, vat_rate, invoice_key
),

final as (
    select
        period,
        basis,
        direction,
        country,
        vat_rate,
        cast(sum(taxable_base) as decimal(18, 2)) as taxable_base,
        cast(sum(vat_amount) as decimal(18, 2)) as vat_amount,
        count(*) as document_count
    from per_document
    group by period, basis, direction, country, vat_rate
)

select * from final
