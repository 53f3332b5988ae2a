-- grain: one row per problem found in the synced data: check, severity, vendor, record key
-- and detail. Nothing here is silently fixed or dropped elsewhere.
-- (tables read by several checks: scanned by each, not copied first)
with invoices as not materialized (
    select * from core.invoices
),

unioned as not materialized (
    select * from intermediate.int_invoices_unioned
),

rates as (
    select invoice_key, vat_amount, vat_source from intermediate.int_vat_by_invoice
),

payments as (
    select invoice_key, paid_amount as amount from intermediate.int_payments_by_invoice
),

customers as (
    select * from core.customers
),

-- each distinct VAT id and IBAN is checked once (parties recur across vendors); materialized,
-- so that the filter on the result is not pushed down to every customer record
vat_checks as materialized (
    select vat_id, vat_problem(vat_id) as problem
    from (select distinct vat_id from customers where vat_id is not null)
),

iban_checks as materialized (
    select iban, iban_problem(iban) as problem
    from (select distinct iban from customers where iban is not null)
),

rejected as (
    select * from staging.stg_baloom__rejected_records
    union all select * from staging.stg_katsu__rejected_records
    union all select * from staging.stg_ibana__rejected_records
    union all select * from staging.stg_wuro__rejected_records
    union all select * from staging.stg_hoursmith__rejected_records
),

schema_changes as (
    select * from staging.stg_baloom__schema_changes
    union all select * from staging.stg_katsu__schema_changes
    union all select * from staging.stg_ibana__schema_changes
    union all select * from staging.stg_wuro__schema_changes
    union all select * from staging.stg_hoursmith__schema_changes
),

totals_mismatch as (
    select
        'totals_do_not_add_up' as check_name, 'error' as severity, source_system as vendor, invoice_key as record_key,
        'gross ' || gross_amount || ' <> net ' || net_amount || ' + VAT ' || tax_amount as detail
    from unioned
    where not is_deleted and net_amount is not null and tax_amount is not null
        and gross_amount <> net_amount + tax_amount
),

header_vs_lines as (
    select
        'header_vat_differs_from_lines', 'warning', unioned.source_system, unioned.invoice_key,
        'header VAT ' || unioned.tax_amount || ' <> VAT by rate ' || rates.vat_amount
    from unioned
    inner join rates on rates.invoice_key = unioned.invoice_key
    where not unioned.is_deleted and rates.vat_source <> 'derived'
        and abs(unioned.tax_amount - rates.vat_amount) > 0.01
),

unknown_status as (
    select
        'unknown_status_code', 'warning', source_system, invoice_key,
        'status code ' || coalesce(raw_status, 'null') || ' is not in the vendor mapping; counted by its amounts as ' || status
    from invoices
    where not status_known
),

no_fx as (
    select
        'no_exchange_rate', 'warning', source_system, invoice_key,
        'no ECB rate for ' || currency || ': amounts in reporting currency are null'
    from invoices
    where fx_factor is null and not is_deleted
),

paid_vs_payments as (
    select
        'paid_amount_differs_from_payments', 'warning', invoices.source_system, invoices.invoice_key,
        'paid ' || invoices.paid_amount || ' <> sum of dated payments ' || coalesce(payments.amount, 0)
    from invoices
    left join payments on payments.invoice_key = invoices.invoice_key
    where not invoices.is_deleted and invoices.paid_amount <> coalesce(payments.amount, 0)
),

bad_vat_ids as (
    select 'invalid_vat_id', 'warning', customers.source_system, customers.customer_key, customers.vat_id || ': ' || vat_checks.problem
    from customers
    inner join vat_checks on vat_checks.vat_id = customers.vat_id
    where vat_checks.problem is not null
),

bad_ibans as (
    select 'invalid_iban', 'warning', customers.source_system, customers.customer_key, customers.iban || ': ' || iban_checks.problem
    from customers
    inner join iban_checks on iban_checks.iban = customers.iban
    where iban_checks.problem is not null
),

rejected_records as (
    select
        'rejected_record', 'error', source_system,
        source_system || ':' || coalesce(record_id, payload_hash),
        endpoint || ': ' || reason
    from rejected
),

schema_drift as (
    select
        'schema_change', severity, source_system,
        source_system || ':' || endpoint || ':' || field,
        'field ' || field || ' ' || replace(change, '_', ' ')
            || coalesce(' (expected ' || expected || ', seen ' || seen || ')', ' (' || seen || ')')
            || ' since ' || strftime(first_seen_at, '%Y-%m-%d') || ': ' || effect
    from schema_changes
),

final as (
    select * from totals_mismatch
    union all select * from header_vs_lines
    union all select * from unknown_status
    union all select * from no_fx
    union all select * from paid_vs_payments
    union all select * from bad_vat_ids
    union all select * from bad_ibans
    union all select * from rejected_records
    union all select * from schema_drift
)

select check_name as "check", severity, vendor, record_key, detail from final
