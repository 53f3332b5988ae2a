-- grain: one row per product line of a document that has lines (Baloom order items, ibana line
-- items, Wuro product lines, Hoursmith's single line); amounts signed like the document
with invoices as (
    select invoice_key, sign, source_system from core.invoices
),

baloom as (
    select
        baloom_invoices.invoice_key, items.line_number,
        cast(null as varchar) as description, items.quantity, items.unit_price,
        items.net_amount, items.vat_rate,
        round(items.net_amount * items.vat_rate * 0.01, 2) as vat_amount
    from staging.stg_baloom__invoices as baloom_invoices
    inner join staging.stg_baloom__order_items as items on items.order_key = baloom_invoices.order_key
),

ibana as (
    select invoice_key, line_number, description, quantity, unit_price, net_amount, vat_rate, vat_amount
    from staging.stg_ibana__supplier_invoice_lines
    union all
    select invoice_key, line_number, description, quantity, unit_price, net_amount, vat_rate, vat_amount
    from staging.stg_ibana__customer_invoice_lines
),

wuro as (
    select invoice_key, line_number, description, quantity, unit_price, net_amount, vat_rate, vat_amount
    from staging.stg_wuro__invoice_lines
    where line_type = 'product'
),

hoursmith as (
    select
        invoice_key, 1 as line_number, 'Time' as description, cast(null as decimal(18, 4)) as quantity,
        cast(null as decimal(18, 4)) as unit_price, net_amount, vat_rate, tax_amount as vat_amount
    from staging.stg_hoursmith__invoices
),

unioned as (
    select * from baloom
    union all select * from ibana
    union all select * from wuro
    union all select * from hoursmith
),

final as (
    select
        unioned.invoice_key,
        cast(unioned.line_number as integer) as line_number,
        unioned.description,
        cast(unioned.quantity as decimal(18, 4)) as quantity,
        cast(unioned.unit_price as decimal(18, 4)) as unit_price,
        cast(invoices.sign * unioned.net_amount as decimal(18, 2)) as net_amount,
        cast(unioned.vat_rate as decimal(18, 4)) as vat_rate,
        cast(invoices.sign * unioned.vat_amount as decimal(18, 2)) as vat_amount
    from unioned
    inner join invoices on invoices.invoice_key = unioned.invoice_key
)

select * from final
