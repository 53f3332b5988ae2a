-- grain: one row per document, payment month and VAT rate: the share of the document's base
-- and VAT that its payments in that month settle (cash basis)
-- A payment taking the paid total from C(k-1) to C(k) of a document of gross G settles
-- round(x * C(k) / G) - round(x * C(k-1) / G) of each amount x, in integer cents, so a fully
-- paid document's cash VAT is exactly its accrual VAT.
-- materialized: table (read by several models: computed once per build)
with invoices as (
    select * from core.invoices
    where not is_deleted and status not in ('draft', 'cancelled') and gross_amount <> 0
),

rates as (
    select * from intermediate.int_invoice_vat_rates
),

payments as (
    select
        invoice_key,
        paid_on,
        payment_key,
        cast(abs(amount) * 100 as hugeint) as amount_cents
    from core.payments
),

cumulative as (
    select
        invoice_key,
        paid_on,
        sum(amount_cents) over (
            partition by invoice_key order by paid_on, payment_key rows unbounded preceding
        ) as paid_after
    from payments
),

steps as (
    select invoice_key, paid_on, paid_after, paid_after - lag(paid_after, 1, 0) over (
        partition by invoice_key order by paid_on, paid_after
    ) as step
    from cumulative
),

portions as (
    select
        invoices.invoice_key,
        strftime(steps.paid_on, '%Y-%m') as period,
        rates.vat_rate,
        round_div(cast(rates.taxable_base * 100 as hugeint) * steps.paid_after, cast(abs(invoices.gross_amount) * 100 as hugeint))
            - round_div(cast(rates.taxable_base * 100 as hugeint) * (steps.paid_after - steps.step), cast(abs(invoices.gross_amount) * 100 as hugeint))
            as base_cents,
        round_div(cast(rates.vat_amount * 100 as hugeint) * steps.paid_after, cast(abs(invoices.gross_amount) * 100 as hugeint))
            - round_div(cast(rates.vat_amount * 100 as hugeint) * (steps.paid_after - steps.step), cast(abs(invoices.gross_amount) * 100 as hugeint))
            as vat_cents
    from invoices
    inner join steps on steps.invoice_key = invoices.invoice_key
    inner join rates on rates.invoice_key = invoices.invoice_key
),

final as (
    select
        invoice_key,
        period,
        vat_rate,
        cast(cast(sum(base_cents) as decimal(38, 0)) * 0.01 as decimal(18, 2)) as taxable_base,
        cast(cast(sum(vat_cents) as decimal(38, 0)) * 0.01 as decimal(18, 2)) as vat_amount
    from portions
    group by invoice_key, period, vat_rate
)

select * from final
