-- grain: one row per order (Baloom: the only vendor with orders), with its invoice if any
with orders as (
    select * from staging.stg_baloom__orders
),

invoiced as (
    select order_key, min(invoice_key) as invoice_key, count(*) as invoices
    from staging.stg_baloom__invoices
    where order_key is not null
    group by order_key
),

final as (
    select
        orders.order_key,
        orders.source_system,
        orders.source_id,
        orders.order_number,
        orders.customer_key,
        orders.status,
        orders.currency,
        orders.subtotal,
        orders.tax_amount,
        orders.discount_amount,
        orders.shipping_amount,
        orders.total_amount,
        (orders.created_at at time zone 'UTC')::date as order_date,
        invoiced.invoice_key,
        orders.is_deleted
    from orders
    left join invoiced on invoiced.order_key = orders.order_key
)

select * from final
