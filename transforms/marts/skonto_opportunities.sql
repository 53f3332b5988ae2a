-- grain: one row per open payable whose early-payment discount (skonto) can still be taken on
-- or after the as-of date: the deadline, the discount and what to pay to take it
with items as (
    select * from marts.payables_open_items
    where skonto_date is not null and skonto_rate > 0
),

invoices as (
    select invoice_key, gross_amount, fx_factor from core.invoices
),

params as (
    select * from core.parameters
),

final as (
    select
        items.invoice_key,
        items.supplier_key,
        items.currency,
        items.skonto_date,
        items.skonto_rate,
        cast(items.skonto_date - params.as_of_date as integer) as days_left,
        invoices.gross_amount,
        -- the vendor's discount amount; computed when it sends none
        cast(coalesce(items.skonto_amount, round(invoices.gross_amount * items.skonto_rate * 0.01, 2)) as decimal(18, 2)) as discount_amount,
        cast(invoices.gross_amount - coalesce(items.skonto_amount, round(invoices.gross_amount * items.skonto_rate * 0.01, 2)) as decimal(18, 2)) as amount_if_taken,
        items.open_amount,
        cast(round(coalesce(items.skonto_amount, round(invoices.gross_amount * items.skonto_rate * 0.01, 2)) * invoices.fx_factor, 2) as decimal(18, 2)) as discount_amount_rc,
        cast(round((invoices.gross_amount - coalesce(items.skonto_amount, round(invoices.gross_amount * items.skonto_rate * 0.01, 2))) * invoices.fx_factor, 2) as decimal(18, 2)) as amount_if_taken_rc
    from items
    inner join invoices on invoices.invoice_key = items.invoice_key
    cross join params
    where items.skonto_date >= params.as_of_date
)

select * from final
