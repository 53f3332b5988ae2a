-- grain: one row per payment (or observed increase of the paid amount) of a document
-- Baloom (paidAt), ibana supplier invoices (alreadyPaidDate) and Wuro (payments) date their
-- payments. Katsu, ibana customer invoices and Hoursmith publish only a paid total: each
-- increase between two syncs is dated by the record's updatedAt as seen at that sync (ibana,
-- Hoursmith) or by the sync itself (Katsu: the vendor's clock at that sync); on Hoursmith an
-- increase that completes the payment is dated paidAt. See docs/guarantees.md.
with baloom as (
    select
        invoice_key || ':paid' as payment_key, invoice_key,
        (paid_at at time zone 'UTC')::date as paid_on,
        gross_amount as amount, currency, cast(null as varchar) as method, true as vendor_dated
    from staging.stg_baloom__invoices
    where paid_at is not null
),

ibana_supplier as (
    select
        invoice_key || ':paid', invoice_key, already_paid_date, gross_amount, currency, cast(null as varchar), true
    from staging.stg_ibana__supplier_invoices
    where paid_amount <> 0 and already_paid_date is not null
),

wuro as (
    select payments.payment_key, payments.invoice_key, payments.paid_on, payments.amount, invoices.currency, payments.method, true
    from staging.stg_wuro__invoice_payments as payments
    inner join staging.stg_wuro__invoices as invoices on invoices.invoice_key = payments.invoice_key
),

versions as (
    select *, 'katsu' as vendor from staging.stg_katsu__invoice_versions
    union all
    select *, 'ibana' from staging.stg_ibana__customer_invoice_versions
    union all
    select *, 'hoursmith' from staging.stg_hoursmith__invoice_versions
),

currencies as (
    select invoice_key, currency from staging.stg_katsu__invoices
    union all
    select invoice_key, currency from staging.stg_ibana__customer_invoices
    union all
    select invoice_key, currency from staging.stg_hoursmith__invoices
),

-- the day an increase is dated is known from the version alone: set before the window, which
-- then carries only what it needs
dated as (
    select
        invoice_key,
        observed_at,
        paid_amount,
        case
            when paid_at is not null and paid_amount >= gross_amount then (paid_at at time zone 'UTC')::date
            when updated_at is not null then (updated_at at time zone 'UTC')::date
            else (observed_at at time zone 'UTC')::date
        end as paid_on
    from versions
    where not is_deleted
),

increases as (
    select
        invoice_key,
        observed_at,
        paid_on,
        paid_amount - lag(paid_amount, 1, 0) over (partition by invoice_key order by observed_at) as increase
    from dated
),

observed as (
    select
        increases.invoice_key || ':' || strftime(increases.observed_at at time zone 'UTC', '%Y%m%dT%H%M%S') as payment_key,
        increases.invoice_key,
        increases.paid_on,
        increases.increase as amount,
        currencies.currency,
        cast(null as varchar) as method,
        false as vendor_dated
    from increases
    inner join currencies on currencies.invoice_key = increases.invoice_key
    where increases.increase <> 0
)

select * from baloom
union all select * from ibana_supplier
union all select * from wuro
union all select * from observed
