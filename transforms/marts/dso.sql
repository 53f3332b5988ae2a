-- grain: one row per calendar month up to the as-of date (24 months): days sales outstanding
-- = receivables open at month end / sales invoiced in the month * days in the month, in the
-- reporting currency (documents without an exchange rate are left out of both sides)
with params as (
    select * from core.parameters
),

months as (
    select
        cast(m as date) as month_start,
        cast(least(m + interval 1 month - interval 1 day, params.as_of_date) as date) as month_end
    from params,
        range(
            date_trunc('month', params.as_of_date) - interval 23 month,
            date_trunc('month', params.as_of_date) + interval 1 day,
            interval 1 month
        ) as r (m)
),

invoices as (
    select invoice_key, issue_date, gross_amount_rc, fx_factor from core.invoices
    where direction = 'receivable' and not is_deleted and status not in ('draft', 'cancelled')
        and fx_factor is not null
),

-- receivables at a day = everything invoiced by then, less everything paid by then
invoiced_by_day as (
    select issue_date as day, sum(gross_amount_rc) as amount_rc
    from invoices
    group by issue_date
),

paid_by_day as (
    select greatest(payments.paid_on, invoices.issue_date) as day, sum(round(payments.amount * cast(invoices.fx_factor as decimal(18, 10)), 2)) as amount_rc
    from core.payments as payments
    inner join invoices on invoices.invoice_key = payments.invoice_key
    group by all
),

balances as (
    select
        months.month_start,
        months.month_end,
        coalesce((select sum(amount_rc) from invoiced_by_day where day <= months.month_end), 0)
            - coalesce((select sum(amount_rc) from paid_by_day where day <= months.month_end), 0) as receivables_rc,
        coalesce((select sum(amount_rc) from invoiced_by_day where day between months.month_start and months.month_end), 0) as sales_rc
    from months
),

final as (
    select
        strftime(month_start, '%Y-%m') as period,
        month_end,
        cast(receivables_rc as decimal(18, 2)) as receivables_rc,
        cast(sales_rc as decimal(18, 2)) as sales_rc,
        cast(datediff('day', month_start, month_end) + 1 as integer) as days,
        case
            when sales_rc > 0
                then cast(round(receivables_rc / sales_rc * (datediff('day', month_start, month_end) + 1), 1) as decimal(10, 1))
        end as dso_days
    from balances
)

select * from final
