-- grain: one row per ECB publication day, currency and target currency (reporting, EUR, GBP)
-- factor = units of target per unit of currency, rounded half up to 10 places, computed with
-- integers because DuckDB divides decimals in floating point. A currency the ECB did not
-- publish that day has a null factor (no earlier value is borrowed).
with rates as (
    select * from core.fx_rates
),

-- only what the documents need: their currencies, from a fortnight before the oldest one
documents as (
    select distinct currency, min(issue_date) over () as first_day
    from intermediate.int_currency_days
),

days as (
    select distinct rate_date from rates
    where rate_date >= coalesce((select min(first_day) from documents) - 14, date '1999-01-01')
),

currencies as (
    select currency from documents
    union
    select reporting_currency from core.parameters
    union
    select 'EUR'
    union
    select 'GBP'
),

targets as (
    select reporting_currency as to_currency from core.parameters
    union
    select 'EUR'
    union
    select 'GBP'
),

grid as (
    select days.rate_date, currencies.currency as from_currency, targets.to_currency
    from days
    cross join currencies
    cross join targets
),

scaled as (
    select
        grid.rate_date,
        grid.from_currency,
        grid.to_currency,
        cast(cast(src.units_per_eur as decimal(38, 6)) * 1000000 as hugeint) as src_micro,
        cast(cast(dst.units_per_eur as decimal(38, 6)) * 1000000 as hugeint) as dst_micro
    from grid
    left join rates as src on src.rate_date = grid.rate_date and src.currency = grid.from_currency
    left join rates as dst on dst.rate_date = grid.rate_date and dst.currency = grid.to_currency
),

factors as (
    select
        rate_date,
        from_currency,
        to_currency,
        lpad(cast((2 * 10000000000 * dst_micro + src_micro) // (2 * src_micro) as varchar), 11, '0') as digits
    from scaled
    where src_micro > 0 and dst_micro > 0
),

final as (
    select
        grid.rate_date,
        grid.from_currency,
        grid.to_currency,
        cast(left(factors.digits, length(factors.digits) - 10) || '.' || right(factors.digits, 10) as decimal(28, 10)) as factor
    from grid
    left join factors using (rate_date, from_currency, to_currency)
)

select * from final
