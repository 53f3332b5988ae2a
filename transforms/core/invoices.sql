-- grain: one row per invoice, credit note, advance or final invoice of any vendor, sales and
-- purchases; amounts signed (credit notes negative), in the document currency and, suffixed
-- _rc, in the reporting currency at the ECB rate of the issue date (null when the ECB
-- publishes no rate for the currency: see marts.data_quality_issues)
with invoices as (
    select * from intermediate.int_invoices_unioned
),

-- the factors have 10 decimals and are below 10^8: as DECIMAL(18, 10) the products stay exact
-- and DuckDB computes them far faster than with DECIMAL(28, 10)
fx as (
    select *, cast(factor_rc as decimal(18, 10)) as factor_rc_18 from intermediate.int_fx_by_day
),

resolved as (
    select
        *,
        -- an unknown status code is kept and reported; the document counts by its amounts
        coalesce(mapped_status, case when paid_amount >= gross_amount then 'paid' else 'open' end) as status,
        mapped_status is not null as status_known
    from invoices
),

signed as (
    select
        invoice_key,
        source_system,
        source_id,
        invoice_number,
        direction,
        document_type,
        status,
        status_known,
        raw_status,
        customer_key,
        issue_date,
        due_date,
        currency,
        country,
        cast(sign * net_amount as decimal(18, 2)) as net_amount,
        cast(sign * tax_amount as decimal(18, 2)) as tax_amount,
        cast(sign * gross_amount as decimal(18, 2)) as gross_amount,
        cast(sign * paid_amount as decimal(18, 2)) as paid_amount,
        cast(
            case
                when is_deleted or status in ('draft', 'cancelled') then 0
                else sign * (gross_amount - paid_amount)
            end as decimal(18, 2)
        ) as open_amount,
        paid_at,
        is_deleted,
        sign,
        payment_dating,
        skonto_date,
        skonto_rate,
        skonto_amount
    from resolved
),

converted as (
    select
        signed.*,
        fx.factor_rc as fx_factor,
        cast(round(signed.net_amount * fx.factor_rc_18, 2) as decimal(18, 2)) as net_amount_rc,
        cast(round(signed.tax_amount * fx.factor_rc_18, 2) as decimal(18, 2)) as tax_amount_rc,
        cast(round(signed.gross_amount * fx.factor_rc_18, 2) as decimal(18, 2)) as gross_amount_rc,
        cast(round(signed.paid_amount * fx.factor_rc_18, 2) as decimal(18, 2)) as paid_amount_rc,
        cast(round(signed.open_amount * fx.factor_rc_18, 2) as decimal(18, 2)) as open_amount_rc,
        fx.factor_eur as fx_factor_eur,
        fx.factor_gbp as fx_factor_gbp
    from signed
    left join fx on fx.currency = signed.currency and fx.issue_date = signed.issue_date
)

select * from converted
