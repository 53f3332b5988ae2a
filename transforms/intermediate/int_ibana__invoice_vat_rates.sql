-- grain: one row per ibana document and VAT rate, from its line items
with lines as (
    select invoice_key, vat_rate, net_amount, vat_amount from staging.stg_ibana__supplier_invoice_lines
    union all
    select invoice_key, vat_rate, net_amount, vat_amount from staging.stg_ibana__customer_invoice_lines
),

final as (
    select invoice_key, vat_rate, sum(net_amount) as taxable_base, sum(vat_amount) as vat_amount, 'lines' as vat_source
    from lines
    group by invoice_key, vat_rate
)

select * from final
