-- grain: one row per customer and currency (the reporting currency, or a document currency
-- the ECB has no rate for), with the open receivables of each aging bucket as of the as-of
-- date, plus one total row per currency (customer_key null)
with items as (
    select * from marts.receivables_open_items
),

customers as (
    select customer_key, unified_customer_id, name from core.customers
),

params as (
    select * from core.parameters
),

valued as (
    select
        items.*,
        items.open_amount_rc is not null as is_converted,
        case when items.open_amount_rc is null then items.currency else params.reporting_currency end as amount_currency,
        coalesce(items.open_amount_rc, items.open_amount) as amount
    from items
    cross join params
),

per_customer as (
    select
        customer_key,
        any_value(source_system) as source_system,
        amount_currency as currency,
        is_converted,
        cast(coalesce(sum(amount) filter (where aging_bucket = 'current'), 0) as decimal(18, 2)) as "current",
        cast(coalesce(sum(amount) filter (where aging_bucket = '1-30'), 0) as decimal(18, 2)) as "1-30",
        cast(coalesce(sum(amount) filter (where aging_bucket = '31-60'), 0) as decimal(18, 2)) as "31-60",
        cast(coalesce(sum(amount) filter (where aging_bucket = '61-90'), 0) as decimal(18, 2)) as "61-90",
        cast(coalesce(sum(amount) filter (where aging_bucket = '91-120'), 0) as decimal(18, 2)) as "91-120",
        cast(coalesce(sum(amount) filter (where aging_bucket = '120+'), 0) as decimal(18, 2)) as "120+",
        cast(sum(amount) as decimal(18, 2)) as total,
        cast(count(*) as bigint) as open_items
    from valued
    group by customer_key, amount_currency, is_converted
),

with_names as (
    select
        per_customer.customer_key,
        customers.unified_customer_id,
        customers.name as customer_name,
        per_customer.* exclude (customer_key)
    from per_customer
    left join customers on customers.customer_key = per_customer.customer_key
),

totals as (
    select
        null as customer_key,
        null as unified_customer_id,
        'Total' as customer_name,
        null as source_system,
        currency,
        is_converted,
        cast(sum("current") as decimal(18, 2)), cast(sum("1-30") as decimal(18, 2)),
        cast(sum("31-60") as decimal(18, 2)), cast(sum("61-90") as decimal(18, 2)),
        cast(sum("91-120") as decimal(18, 2)), cast(sum("120+") as decimal(18, 2)),
        cast(sum(total) as decimal(18, 2)),
        cast(sum(open_items) as bigint)
    from per_customer
    group by currency, is_converted
),

final as (
    select *, false as is_total from with_names
    union all
    select *, true as is_total from totals
)

select * from final
