-- grain: one row per document, payment month and VAT rate: the share of the document's base
-- and VAT that its payments in that month settle (cash basis), with the document's attributes
-- (as in int_vat_documents)
-- A payment taking the paid total from C(k-1) to C(k) of a document of gross G settles
-- round(x * C(k) / G) - round(x * C(k-1) / G) of each amount x, in integer cents, so a fully
-- paid document's cash VAT is exactly its accrual VAT. A month's payments are consecutive in
-- that order, so their shares add up to round(x * C(month end) / G) - round(x * C(month start) / G):
-- the model works month by month (share_of is that rounding, exact: see transforms/runner.py).
with documents as (
    select * from intermediate.int_vat_documents
    where gross_cents <> 0
),

months as (
    select invoice_key, date_trunc('month', paid_on) as month, sum(cast(abs(amount) * 100 as bigint)) as paid_cents
    from core.payments
    group by invoice_key, month
),

steps as (
    select
        invoice_key,
        month,
        paid_cents,
        sum(paid_cents) over (partition by invoice_key order by month rows unbounded preceding) as paid_after
    from months
),

portions as (
    select
        documents.invoice_key,
        strftime(steps.month, '%Y-%m') as period,
        documents.vat_rate,
        share_of(cast(documents.taxable_base * 100 as bigint), steps.paid_after, documents.gross_cents)
            - share_of(cast(documents.taxable_base * 100 as bigint), steps.paid_after - steps.paid_cents, documents.gross_cents)
            as base_cents,
        share_of(cast(documents.vat_amount * 100 as bigint), steps.paid_after, documents.gross_cents)
            - share_of(cast(documents.vat_amount * 100 as bigint), steps.paid_after - steps.paid_cents, documents.gross_cents)
            as vat_cents,
        documents.* exclude (invoice_key, vat_rate, taxable_base, vat_amount, gross_cents)
    from steps
    inner join documents on documents.invoice_key = steps.invoice_key
),

final as (
    select
        invoice_key,
        period,
        vat_rate,
        cast(cast(base_cents as decimal(38, 0)) * 0.01 as decimal(18, 2)) as taxable_base,
        cast(cast(vat_cents as decimal(38, 0)) * 0.01 as decimal(18, 2)) as vat_amount,
        * exclude (invoice_key, period, vat_rate, base_cents, vat_cents)
    from portions
)

select * from final
