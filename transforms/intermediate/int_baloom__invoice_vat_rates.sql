-- grain: one row per Baloom invoice and VAT rate
-- Rates come from the invoice's order items ([assumed] allocation, as Baloom computes its
-- tax: a discount reduces the base of the order's main rate, shipping is taxed at the
-- country's standard rate). An invoice without its order gets the rate derived from its
-- header (tax / net), snapped to the nearest rate of its country, and is flagged 'derived'.
with invoices as (
    select * from staging.stg_baloom__invoices
),

items as (
    select * from staging.stg_baloom__order_items
),

rates as (
    select * from core.vat_rates
),

item_bases as (
    select order_key, vat_rate, sum(net_amount) as base
    from items
    group by order_key, vat_rate
),

main_rate as (
    select order_key, arg_max(vat_rate, base) as vat_rate
    from item_bases
    group by order_key
),

from_items as (
    select
        invoices.invoice_key,
        item_bases.vat_rate,
        item_bases.base - case when item_bases.vat_rate = main_rate.vat_rate then invoices.discount_amount else 0 end as base
    from invoices
    inner join item_bases on item_bases.order_key = invoices.order_key
    inner join main_rate on main_rate.order_key = invoices.order_key
),

shipping as (
    select invoices.invoice_key, rates.vat_rate, invoices.shipping_amount as base
    from invoices
    inner join rates on rates.country = invoices.country and rates.is_standard
    where invoices.shipping_amount <> 0
        and invoices.order_key in (select order_key from main_rate)
),

-- from_items has one row per invoice and rate, shipping one per invoice: shipping adds to the
-- standard rate's row, or makes it. (A document's base fits its own DECIMAL(18, 2): the VAT
-- below is then computed fast.)
ordered as (
    select
        coalesce(from_items.invoice_key, shipping.invoice_key) as invoice_key,
        coalesce(from_items.vat_rate, shipping.vat_rate) as vat_rate,
        cast(coalesce(from_items.base, 0) + coalesce(shipping.base, 0) as decimal(18, 2)) as taxable_base
    from from_items
    full outer join shipping on shipping.invoice_key = from_items.invoice_key and shipping.vat_rate = from_items.vat_rate
),

-- an invoice is in `ordered` exactly when its order has items (one main_rate row per such
-- order): the others are derived
without_items as (
    select * from invoices
    where not exists (select 1 from main_rate where main_rate.order_key = invoices.order_key)
),

derived_candidates as (
    select
        without_items.invoice_key,
        rates.vat_rate,
        without_items.net_amount as taxable_base,
        without_items.tax_amount as vat_amount,
        abs(without_items.tax_amount - round(without_items.net_amount * rates.vat_rate * 0.01, 2)) as miss
    from without_items
    inner join rates on rates.country = without_items.country
),

derived as (
    select invoice_key, arg_min(vat_rate, miss) as vat_rate, any_value(taxable_base) as taxable_base, any_value(vat_amount) as vat_amount
    from derived_candidates
    group by invoice_key
),

final as (
    select invoice_key, vat_rate, taxable_base, round(taxable_base * vat_rate * 0.01, 2) as vat_amount, 'order_items' as vat_source
    from ordered
    union all
    select invoice_key, vat_rate, taxable_base, vat_amount, 'derived' as vat_source
    from derived
)

select * from final
