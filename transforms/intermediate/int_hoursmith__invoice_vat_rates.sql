-- grain: one row per Hoursmith invoice: its single VAT rate, base and VAT
with invoices as (
    select * from staging.stg_hoursmith__invoices
)

select invoice_key, vat_rate, net_amount as taxable_base, tax_amount as vat_amount, 'header' as vat_source
from invoices
where vat_rate is not null
