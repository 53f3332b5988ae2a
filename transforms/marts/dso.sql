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
    select * from core.invoices
    where direction = 'receivable' and not is_deleted and status not in ('draft', 'cancelled')
        and fx_factor is not null
),

payments as (
    select * from core.payments
),

sales as (
    select months.month_start, sum(invoices.gross_amount_rc) as sales_rc
    from months
    inner join invoices on invoices.issue_date between months.month_start and months.month_end
    group by months.month_start
),

open_at_end as (
    select
        months.month_start,
        invoices.invoice_key,
        invoices.gross_amount - coalesce(sum(payments.amount), 0) as open_amount,
        any_value(invoices.fx_factor) as fx_factor
    from months
    inner join invoices on invoices.issue_date <= months.month_end
    left join payments on payments.invoice_key = invoices.invoice_key and payments.paid_on <= months.month_end
    group by months.month_start, invoices.invoice_key, invoices.gross_amount
),

receivables as (
    select month_start, sum(round(open_amount * fx_factor, 2)) as receivables_rc
    from open_at_end
    group by month_start
),

final as (
    select
        strftime(months.month_start, '%Y-%m') as period,
        months.month_end,
        cast(coalesce(receivables.receivables_rc, 0) as decimal(18, 2)) as receivables_rc,
        cast(coalesce(sales.sales_rc, 0) as decimal(18, 2)) as sales_rc,
        cast(datediff('day', months.month_start, months.month_end) + 1 as integer) as days,
        case
            when coalesce(sales.sales_rc, 0) > 0
                then cast(round(coalesce(receivables.receivables_rc, 0) / sales.sales_rc * (datediff('day', months.month_start, months.month_end) + 1), 1) as decimal(10, 1))
        end as dso_days
    from months
    left join sales on sales.month_start = months.month_start
    left join receivables on receivables.month_start = months.month_start
)

select * from final
