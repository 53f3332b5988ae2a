-- grain: one row per country and VAT rate the warehouse knows (reference data)
with rates as (
    select * from (values
        ('FR', 20.0, true), ('FR', 10.0, false), ('FR', 5.5, false), ('FR', 2.1, false),
        ('DE', 19.0, true), ('DE', 7.0, false),
        ('GB', 20.0, true), ('GB', 5.0, false), ('GB', 0.0, false)
    ) as t (country, vat_rate, is_standard)
)

select
    country,
    cast(vat_rate as decimal(18, 4)) as vat_rate,
    is_standard
from rates
