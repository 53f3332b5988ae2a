-- grain: one row per payment (or observed increase of the paid amount) of a document
-- Vendors that publish payment dates give them; for those that publish only a paid total,
-- each increase between two syncs is dated by the sync that saw it (see README, guarantees).
with baloom as (
    select
        invoice_key || ':paid' as payment_key,
        invoice_key,
        (paid_at at time zone 'UTC')::date as paid_on,
        gross_amount as amount,
        currency,
        cast(null as varchar) as method,
        true as vendor_dated
    from staging.stg_baloom__invoices
    where paid_at is not null
)

select * from baloom
