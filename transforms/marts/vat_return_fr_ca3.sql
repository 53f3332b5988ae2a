-- grain: one row per month, basis and CA3 line of the French VAT return, in EUR
-- 08 (20%), 9B (10%), 09 (5.5%), T6 (2.1%): taxable base and VAT collected; 16: total VAT
-- collected; 20: deductible VAT on goods and services; 23: total deductible; 28: net VAT
-- due, or 25: VAT credit
-- (intermediate.int_vat_totals: each document converted to EUR and rounded on its own, added up
-- by period, basis, direction and rate; documents without a rate are left out)
with cells as (
    select period, basis, direction, vat_rate, taxable_base_return as taxable_base_converted, vat_amount_return as vat_amount_converted
    from intermediate.int_vat_totals
    where country = 'FR' and documents_return > 0
),

periods as (
    select distinct period, basis from cells
),

lines as (
    select * from (values
        ('08', 'Taux normal 20 %', 20.0),
        ('9B', 'Taux réduit 10 %', 10.0),
        ('09', 'Taux réduit 5,5 %', 5.5),
        ('T6', 'Taux particulier 2,1 %', 2.1)
    ) as t (line, label, vat_rate)
),

collected as (
    select
        periods.period,
        periods.basis,
        lines.line,
        lines.label,
        coalesce(sum(cells.taxable_base_converted), 0) as taxable_base,
        coalesce(sum(cells.vat_amount_converted), 0) as vat_amount
    from periods
    cross join lines
    left join cells
        on cells.period = periods.period
        and cells.basis = periods.basis
        and cells.direction = 'output'
        and cells.vat_rate = lines.vat_rate
    group by all
),

totals as (
    select
        periods.period,
        periods.basis,
        coalesce(sum(cells.vat_amount_converted) filter (where cells.direction = 'output'), 0) as collected,
        coalesce(sum(cells.vat_amount_converted) filter (where cells.direction = 'input'), 0) as deductible,
        coalesce(sum(cells.taxable_base_converted) filter (where cells.direction = 'input'), 0) as purchases
    from periods
    left join cells on cells.period = periods.period and cells.basis = periods.basis
    group by all
),

summary as (
    select period, basis, '16' as line, 'Total de la TVA brute due' as label, null as taxable_base, collected as vat_amount from totals
    union all
    select period, basis, '20', 'Autres biens et services (TVA déductible)', purchases, deductible from totals
    union all
    select period, basis, '23', 'Total TVA déductible', null, deductible from totals
    union all
    select period, basis, '28', 'TVA nette due', null, greatest(collected - deductible, 0) from totals
    union all
    select period, basis, '25', 'Crédit de TVA', null, greatest(deductible - collected, 0) from totals
),

final as (
    select period, basis, line, label, cast(taxable_base as decimal(18, 2)) as taxable_base, cast(vat_amount as decimal(18, 2)) as vat_amount, 'EUR' as currency
    from collected
    union all
    select period, basis, line, label, cast(taxable_base as decimal(18, 2)), cast(vat_amount as decimal(18, 2)), 'EUR'
    from summary
)

select * from final
