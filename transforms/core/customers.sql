-- grain: one row per customer (or supplier) record of any vendor, with one
-- unified_customer_id per real-world party across vendors: records are matched on the VAT
-- id, then the email, then the normalized name (any shared key links two records, and links
-- are followed transitively)
with customers as (
    select * from intermediate.int_customers_unioned
),

keys as materialized (
    select
        *,
        nullif(upper(regexp_replace(coalesce(vat_id, ''), '[^A-Za-z0-9]', '', 'g')), '') as vat_key,
        nullif(lower(trim(coalesce(email, ''))), '') as email_key,
        nullif(trim(regexp_replace(lower(regexp_replace(coalesce(name, ''), '[^[:alnum:] ]', ' ', 'g')), '\s+', ' ', 'g')), '') as name_key
    from customers
),

round_0 as materialized (
    select *, customer_key as label from keys
),

-- three rounds of label propagation: enough for chains of up to eight linked records. In a
-- round every record takes the smallest label among the records sharing one of its keys
-- (grouped by key and joined back: cheaper than windows over the keys). Each round is read
-- four times by the next: materialized, so that it is computed once.
round_1 as materialized (
    select r.* exclude (label), least(r.label, coalesce(v.label, r.label), coalesce(e.label, r.label), coalesce(n.label, r.label)) as label
    from round_0 as r
    left join (select vat_key, min(label) as label from round_0 where vat_key is not null group by vat_key) as v on v.vat_key = r.vat_key
    left join (select email_key, min(label) as label from round_0 where email_key is not null group by email_key) as e on e.email_key = r.email_key
    left join (select name_key, min(label) as label from round_0 where name_key is not null group by name_key) as n on n.name_key = r.name_key
),

round_2 as materialized (
    select r.* exclude (label), least(r.label, coalesce(v.label, r.label), coalesce(e.label, r.label), coalesce(n.label, r.label)) as label
    from round_1 as r
    left join (select vat_key, min(label) as label from round_1 where vat_key is not null group by vat_key) as v on v.vat_key = r.vat_key
    left join (select email_key, min(label) as label from round_1 where email_key is not null group by email_key) as e on e.email_key = r.email_key
    left join (select name_key, min(label) as label from round_1 where name_key is not null group by name_key) as n on n.name_key = r.name_key
),

round_3 as materialized (
    select r.* exclude (label), least(r.label, coalesce(v.label, r.label), coalesce(e.label, r.label), coalesce(n.label, r.label)) as label
    from round_2 as r
    left join (select vat_key, min(label) as label from round_2 where vat_key is not null group by vat_key) as v on v.vat_key = r.vat_key
    left join (select email_key, min(label) as label from round_2 where email_key is not null group by email_key) as e on e.email_key = r.email_key
    left join (select name_key, min(label) as label from round_2 where name_key is not null group by name_key) as n on n.name_key = r.name_key
),

shared as (
    select
        round_3.*,
        coalesce(v.records, 0) as vat_records,
        coalesce(e.records, 0) as email_records,
        coalesce(n.records, 0) as name_records
    from round_3
    left join (select vat_key, count(*) as records from keys where vat_key is not null group by vat_key) as v on v.vat_key = round_3.vat_key
    left join (select email_key, count(*) as records from keys where email_key is not null group by email_key) as e on e.email_key = round_3.email_key
    left join (select name_key, count(*) as records from keys where name_key is not null group by name_key) as n on n.name_key = round_3.name_key
),

final as (
    select
        customer_key,
        'cus_' || left(md5(label), 16) as unified_customer_id,
        source_system,
        source_id,
        name,
        email,
        phone,
        vat_id,
        country,
        iban,
        is_deleted,
        case
            when vat_records > 1 then 'vat_id'
            when email_records > 1 then 'email'
            when name_records > 1 then 'name'
            else 'unmatched'
        end as matched_on
    from shared
)

select * from final
