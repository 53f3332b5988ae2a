-- grain: one row per customer (or supplier) record of any vendor, with one
-- unified_customer_id per real-world party across vendors: records are matched on the VAT
-- id, then the email, then the normalized name (any shared key links two records, and links
-- are followed transitively)
with customers as (
    select * from intermediate.int_customers_unioned
),

keys as (
    select
        *,
        nullif(upper(regexp_replace(coalesce(vat_id, ''), '[^A-Za-z0-9]', '', 'g')), '') as vat_key,
        nullif(lower(trim(coalesce(email, ''))), '') as email_key,
        nullif(trim(regexp_replace(lower(regexp_replace(coalesce(name, ''), '[^[:alnum:] ]', ' ', 'g')), '\s+', ' ', 'g')), '') as name_key
    from customers
),

round_0 as (
    select *, customer_key as label from keys
),

-- three rounds of label propagation: enough for chains of up to eight linked records
round_1 as (
    select * exclude (label), least(
            label,
            case when vat_key is not null then min(label) over (partition by vat_key) else label end,
            case when email_key is not null then min(label) over (partition by email_key) else label end,
            case when name_key is not null then min(label) over (partition by name_key) else label end
        ) as label
    from round_0
),

round_2 as (
    select * exclude (label), least(
            label,
            case when vat_key is not null then min(label) over (partition by vat_key) else label end,
            case when email_key is not null then min(label) over (partition by email_key) else label end,
            case when name_key is not null then min(label) over (partition by name_key) else label end
        ) as label
    from round_1
),

round_3 as (
    select * exclude (label), least(
            label,
            case when vat_key is not null then min(label) over (partition by vat_key) else label end,
            case when email_key is not null then min(label) over (partition by email_key) else label end,
            case when name_key is not null then min(label) over (partition by name_key) else label end
        ) as label
    from round_2
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
            when vat_key is not null and count(*) over (partition by vat_key) > 1 then 'vat_id'
            when email_key is not null and count(*) over (partition by email_key) > 1 then 'email'
            when name_key is not null and count(*) over (partition by name_key) > 1 then 'name'
            else 'unmatched'
        end as matched_on
    from round_3
)

select * from final
