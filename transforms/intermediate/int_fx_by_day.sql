-- grain: one row per document currency and issue date: the conversion factors of that day to
-- the reporting currency, to EUR (French return) and to GBP (UK return); null without an ECB
-- rate. Joined as of the last ECB publication day on or before the date.
-- materialized: temp (a few thousand rows: every document joins it instead of the rates)
with days as (
    select currency, issue_date from intermediate.int_currency_days
    where issue_date is not null
),

params as (
    select * from core.parameters
),

fx as (
    select * from core.fx_factors
),

to_rc as (
    select days.currency, days.issue_date, fx.factor
    from days
    cross join params
    asof left join fx
        on fx.from_currency = days.currency and fx.to_currency = params.reporting_currency and days.issue_date >= fx.rate_date
),

to_eur as (
    select days.currency, days.issue_date, fx.factor
    from days
    asof left join fx
        on fx.from_currency = days.currency and fx.to_currency = 'EUR' and days.issue_date >= fx.rate_date
),

to_gbp as (
    select days.currency, days.issue_date, fx.factor
    from days
    asof left join fx
        on fx.from_currency = days.currency and fx.to_currency = 'GBP' and days.issue_date >= fx.rate_date
),

final as (
    select
        days.currency,
        days.issue_date,
        to_rc.factor as factor_rc,
        to_eur.factor as factor_eur,
        to_gbp.factor as factor_gbp
    from days
    left join to_rc using (currency, issue_date)
    left join to_eur using (currency, issue_date)
    left join to_gbp using (currency, issue_date)
)

select * from final
