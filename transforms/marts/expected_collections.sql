-- grain: one row per week (Monday) in which open receivables fall due, from the as-of week on;
-- amounts already overdue on the as-of date are expected in the as-of week. Reporting currency.
with items as (
    select * from marts.receivables_open_items
    where open_amount_rc is not null
),

params as (
    select * from core.parameters
),

weeks as (
    select
        greatest(date_trunc('week', items.due_date), date_trunc('week', params.as_of_date))::date as due_week,
        items.days_past_due > 0 as overdue,
        items.open_amount_rc
    from items
    cross join params
),

final as (
    select
        due_week,
        cast(sum(open_amount_rc) as decimal(18, 2)) as expected_amount_rc,
        cast(coalesce(sum(open_amount_rc) filter (where overdue), 0) as decimal(18, 2)) as overdue_amount_rc,
        count(*) as open_items
    from weeks
    group by due_week
)

select * from final
