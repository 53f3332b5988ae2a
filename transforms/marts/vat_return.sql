-- grain: one row per period (YYYY-MM), basis and country: VAT collected on sales, VAT
-- deductible on purchases and the net due (negative: a credit), in the reporting currency
with rates as (
    select * from marts.vat_by_rate
),

final as (
    select
        period,
        strftime(strptime(period || '-01', '%Y-%m-%d'), '%Y') || '-Q' || cast(quarter(strptime(period || '-01', '%Y-%m-%d')) as varchar) as quarter,
        basis,
        country,
        cast(coalesce(sum(vat_amount) filter (where direction = 'output'), 0) as decimal(18, 2)) as output_vat,
        cast(coalesce(sum(vat_amount) filter (where direction = 'input'), 0) as decimal(18, 2)) as input_vat,
        cast(
            coalesce(sum(vat_amount) filter (where direction = 'output'), 0)
            - coalesce(sum(vat_amount) filter (where direction = 'input'), 0) as decimal(18, 2)
        ) as net_vat_due,
        cast(coalesce(sum(taxable_base) filter (where direction = 'output'), 0) as decimal(18, 2)) as sales_base,
        cast(coalesce(sum(taxable_base) filter (where direction = 'input'), 0) as decimal(18, 2)) as purchases_base
    from rates
    group by period, basis, country
)

select * from final
