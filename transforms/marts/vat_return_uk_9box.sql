-- grain: one row per quarter, basis and box of the UK VAT return (boxes 1, 3, 4, 5, 6, 7), in
-- GBP; boxes 6 and 7 in whole pounds (pence dropped, as HMRC asks)
-- (intermediate.int_vat_totals: each document converted to GBP and rounded on its own, added up
-- by period, basis, direction and rate; documents without a rate are left out)
with cells as (
    select
        basis,
        direction,
        taxable_base_return as taxable_base_converted,
        vat_amount_return as vat_amount_converted,
        strftime(strptime(period || '-01', '%Y-%m-%d'), '%Y') || '-Q' || cast(quarter(strptime(period || '-01', '%Y-%m-%d')) as varchar) as quarter
    from intermediate.int_vat_totals
    where country = 'GB' and documents_return > 0
),

totals as (
    select
        quarter,
        basis,
        coalesce(sum(vat_amount_converted) filter (where direction = 'output'), 0) as output_vat,
        coalesce(sum(vat_amount_converted) filter (where direction = 'input'), 0) as input_vat,
        coalesce(sum(taxable_base_converted) filter (where direction = 'output'), 0) as sales,
        coalesce(sum(taxable_base_converted) filter (where direction = 'input'), 0) as purchases
    from cells
    group by quarter, basis
),

boxes as (
    select quarter, basis, 1 as box, 'VAT due on sales and other outputs' as label, cast(output_vat as decimal(18, 2)) as amount from totals
    union all
    select quarter, basis, 3, 'Total VAT due', output_vat from totals
    union all
    select quarter, basis, 4, 'VAT reclaimed on purchases and other inputs', input_vat from totals
    union all
    select quarter, basis, 5, 'Net VAT to pay to HMRC or reclaim', output_vat - input_vat from totals
    union all
    select quarter, basis, 6, 'Total value of sales and other outputs, excluding VAT', cast(trunc(sales) as decimal(18, 2)) from totals
    union all
    select quarter, basis, 7, 'Total value of purchases and other inputs, excluding VAT', cast(trunc(purchases) as decimal(18, 2)) from totals
),

final as (
    select quarter, basis, box, label, cast(amount as decimal(18, 2)) as amount, 'GBP' as currency
    from boxes
)

select * from final
