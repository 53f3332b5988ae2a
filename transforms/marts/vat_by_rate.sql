-- grain: one row per period (YYYY-MM), basis (accrual, cash), direction (output, input),
-- country and VAT rate; amounts in the reporting currency
-- accrual: the invoice date's month; cash: the payment date's month, VAT in proportion to the
-- amount paid. Credit notes reduce their own period. A Wuro final invoice declares only the VAT
-- its advances did not. Documents without VAT data, or without an exchange rate, are listed
-- in marts.vat_coverage instead of being counted as zero. Each document is converted and
-- rounded on its own (intermediate.int_vat_totals).
with totals as (
    select * from intermediate.int_vat_totals
    where documents_rc > 0
),

final as (
    select
        period,
        basis,
        direction,
        country,
        vat_rate,
        cast(taxable_base_rc as decimal(18, 2)) as taxable_base,
        cast(vat_amount_rc as decimal(18, 2)) as vat_amount,
        documents_rc as document_count
    from totals
)

select * from final
