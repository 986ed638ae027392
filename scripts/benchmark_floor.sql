-- The engine's floor for `scripts/benchmark_build.py`: the transformation of the dbt
-- project (staging -> invoice marts) written as one DuckDB script that reads the export's
-- files directly and writes the four NetSuite marts, with no dbt, no views, no contracts,
-- no intermediate tables beyond the two deduplicated ones. The names in braces are
-- filled in by the benchmark from the demo's vars; the seeds are read from their CSVs.
-- It follows the models' rules (dedup, mapping, half-up rounding per currency, remainder
-- to the largest line, exclusions, holds), so its ready marts must tie out with dbt's.

-- round() takes a constant scale; currencies have 0 to 4 minor digits.
-- Each branch is cast, or the CASE would take the type (scale) of the first one.
create or replace temp macro round_minor(x, digits) as case digits
    when 0 then cast(round(x, 0) as decimal(38, 4))
    when 1 then cast(round(x, 1) as decimal(38, 4))
    when 2 then cast(round(x, 2) as decimal(38, 4))
    when 3 then cast(round(x, 3) as decimal(38, 4))
    else cast(round(x, 4) as decimal(38, 4)) end;

create or replace temp table credit_type_currencies as
select * from read_csv('{seeds}/credit_type_currencies.csv', all_varchar = true);
create or replace temp table customer_overrides as
select * from read_csv('{seeds}/netsuite_customer_mapping_overrides.csv', all_varchar = true);
create or replace temp table item_overrides as
select * from read_csv('{seeds}/netsuite_item_mapping_overrides.csv', all_varchar = true);

-- Staging keeps the newest version of each id. Only the ids delivered more than once are
-- ranked; their older versions are removed by position (file, row), as the models do.
create or replace temp macro superseded_rows(files) as table
select filename, file_row_number
from read_parquet(files, union_by_name = true, filename = true, file_row_number = true)
where id in (
    select id from read_parquet(files, union_by_name = true)
    group by id having count(*) > 1
)
qualify row_number() over (
    partition by id order by updated_at desc nulls last, filename desc, file_row_number desc
) > 1;

create or replace temp table invoices as
select
    id as invoice_id, customer_id, environment_type, upper(status) as invoice_status,
    try_cast(total as decimal(38, 10)) as total_cu, credit_type_id, credit_type_name,
    start_timestamp as period_start_at, end_timestamp as period_end_at, issued_at, updated_at
from read_parquet('{export}/invoice/*/*.parquet', union_by_name = true, filename = true, file_row_number = true)
anti join superseded_rows('{export}/invoice/*/*.parquet') using (filename, file_row_number)
where id is not null;

create or replace temp table lines as
select
    id as line_item_id, invoice_id, product_id, credit_type_id, name as line_name,
    try_cast(quantity as decimal(38, 10)) as quantity,
    try_cast(total as decimal(38, 10)) as total_cu,
    try_cast(unit_price as decimal(38, 10)) as unit_price_cu,
    group_key, group_value, pricing_group_values, starting_at
from read_parquet('{export}/line_item/*/*.parquet', union_by_name = true, filename = true, file_row_number = true)
anti join superseded_rows('{export}/line_item/*/*.parquet') using (filename, file_row_number)
where id is not null;

create or replace temp table customers as
with latest as (
    select id, name, custom_fields
    from read_parquet('{export}/customer/*/*.parquet', union_by_name = true, filename = true)
    where id is not null
    qualify row_number() over (partition by id order by updated_at desc nulls last, filename desc) = 1
)
select
    latest.id as customer_id,
    latest.custom_fields is null or json_valid(latest.custom_fields) as json_ok,
    coalesce(
        overrides.netsuite_customer_id,
        nullif(trim(case when json_valid(latest.custom_fields)
            then json_extract_string(latest.custom_fields, '$."{customer_field}"') end), '')
    ) as netsuite_customer_id,
    overrides.netsuite_customer_id is null or {destination_checked} as needs_json,
    case when json_valid(latest.custom_fields)
        then json_extract_string(latest.custom_fields, '$."{destination_field}"') end
        as destination
from latest
left join customer_overrides as overrides on latest.id = overrides.metronome_customer_id;

create or replace temp table products as
with latest as (
    select id, name, custom_fields
    from read_parquet('{export}/product/*/*.parquet', union_by_name = true, filename = true)
    where id is not null
    qualify row_number() over (partition by id order by updated_at desc nulls last, filename desc) = 1
)
select
    latest.id as product_id, latest.name as product_name,
    latest.custom_fields is null or json_valid(latest.custom_fields) as json_ok,
    coalesce(
        overrides.netsuite_item_id,
        nullif(trim(case when json_valid(latest.custom_fields)
            then json_extract_string(latest.custom_fields, '$."{item_field}"') end), '')
    ) as netsuite_item_id,
    overrides.netsuite_item_id is null as needs_json
from latest
left join item_overrides as overrides on latest.id = overrides.metronome_product_id;

create or replace temp table credit_types as
with exported as (
    select id, name
    from read_parquet('{export}/credit_type/*/*.parquet', union_by_name = true, filename = true)
    qualify row_number() over (partition by id order by updated_at desc nulls last, filename desc) = 1
),
referenced as (
    select credit_type_id, max(credit_type_name) as credit_type_name
    from (select credit_type_id, credit_type_name from invoices union all
          select credit_type_id, null from lines)
    where credit_type_id is not null group by all
),
all_types as (
    select coalesce(exported.id, referenced.credit_type_id) as credit_type_id,
           coalesce(exported.name, referenced.credit_type_name) as credit_type_name
    from exported full join referenced on exported.id = referenced.credit_type_id
)
select
    all_types.credit_type_id,
    coalesce(by_id.currency_code, by_name.currency_code) as currency_code,
    cast(coalesce(by_id.currency_minor_unit_digits, by_name.currency_minor_unit_digits) as integer)
        as digits,
    cast(1.0 / cast(coalesce(by_id.divisor, by_name.divisor) as integer) as decimal(38, 10))
        as per_credit_unit
from all_types
left join credit_type_currencies as by_id on all_types.credit_type_id = by_id.credit_type_id
left join credit_type_currencies as by_name
    on by_name.credit_type_id is null and all_types.credit_type_name = by_name.credit_type_name;

-- Lines of every invoice, in money, described, numbered and flagged.
create or replace temp table line_facts as
with described as (
    select
        lines.*,
        array_to_string(list_transform(
            list_sort(map_entries(case
                when json_valid(lines.pricing_group_values)
                    and json_type(lines.pricing_group_values) = 'OBJECT'
                then cast(json_transform(lines.pricing_group_values, '"MAP(VARCHAR, VARCHAR)"')
                          as map(varchar, varchar))
            end)),
            lambda entry: '{separator}' || entry.key || '=' || coalesce(entry.value, '')
        ), '') as groups_text
    from lines
),
priced as (
    select
        described.line_item_id, described.invoice_id, described.product_id, described.quantity,
        described.total_cu, described.starting_at,
        described.product_id is null as is_adjustment,
        credit_types.currency_code, credit_types.digits,
        described.total_cu * credit_types.per_credit_unit as amount_unrounded,
        cast(round_minor(described.total_cu * credit_types.per_credit_unit, credit_types.digits)
             as decimal(38, 4)) as amount,
        case when described.unit_price_cu is not null
            then cast(round(described.unit_price_cu * credit_types.per_credit_unit, 8) as decimal(38, 8))
        end as rate_from_price,
        coalesce(described.line_name, products.product_name, '') || coalesce(described.groups_text, '')
        || case when described.group_key is not null and described.group_value is not null
            then '{separator}' || described.group_key || '=' || described.group_value else '' end
            as description,
        case when described.product_id is null then {adjustment_item} else products.netsuite_item_id end
            as netsuite_item_id,
        credit_types.currency_code is null as bad_credit_type,
        coalesce(products.product_id is not null and products.needs_json and not products.json_ok, false)
            as bad_product_json,
        described.total_cu <> 0 as is_included
    from described
    join invoices on described.invoice_id = invoices.invoice_id
    left join products on described.product_id = products.product_id
    left join credit_types
        on coalesce(described.credit_type_id, invoices.credit_type_id) = credit_types.credit_type_id
)
select
    *,
    case when is_included then row_number() over (
        partition by invoice_id, is_included
        order by is_adjustment, starting_at, description, line_item_id) end as line_number
from priced;

create or replace temp table invoice_facts as
select
    invoices.*,
    customers.customer_id is not null as customer_known,
    customers.json_ok, customers.needs_json, customers.netsuite_customer_id, customers.destination,
    credit_types.currency_code, credit_types.digits,
    cast(round_minor(invoices.total_cu * credit_types.per_credit_unit, credit_types.digits) as decimal(38, 4))
        as total_amount,
    totals.line_count, totals.line_sum, coalesce(totals.any_bad_credit_type, false) as any_bad_line_type,
    coalesce(totals.any_missing_item, false) as any_missing_item,
    coalesce(totals.any_bad_product_json, false) as any_bad_product_json,
    cast(period_start_at as date) as start_date,
    cast(period_end_at - interval 1 microsecond as date) as end_date,
    coalesce(cast(issued_at as date), cast(period_end_at - interval 1 microsecond as date)) as tran_date
from invoices
left join customers on invoices.customer_id = customers.customer_id
left join credit_types on invoices.credit_type_id = credit_types.credit_type_id
left join (
    select invoice_id, count(*) as line_count, sum(amount) as line_sum,
           bool_or(bad_credit_type) as any_bad_credit_type,
           bool_or(netsuite_item_id is null) as any_missing_item,
           bool_or(bad_product_json) as any_bad_product_json
    from line_facts where is_included group by invoice_id
) as totals on invoices.invoice_id = totals.invoice_id;

create or replace table floor_invoice_dispositions as
select
    invoice_id as external_id,
    case
        when {environment_excluded} or invoice_status = 'VOID'
            or ({destination_checked} and lower(destination) <> lower('{destination_value}'))
            or coalesce(total_amount, total_cu) = 0 then 'excluded'
        when customer_id is null or total_cu is null or credit_type_id is null
            or period_start_at is null or period_end_at is null
            or (customer_known and needs_json and not json_ok)
            or netsuite_customer_id is null
            or currency_code is null or any_bad_line_type
            or any_bad_product_json or any_missing_item
            or (total_amount is not null and not any_bad_line_type
                and abs(total_amount - coalesce(line_sum, 0))
                    > 0.5 * pow(10, -digits) * coalesce(line_count, 0))
            then 'held'
        else 'ready'
    end as disposition,
    customer_id, netsuite_customer_id, currency_code as currency, total_amount,
    total_amount - coalesce(line_sum, 0) as rounding_difference, tran_date, start_date, end_date
from invoice_facts;

create or replace table floor_netsuite_invoice_lines as
select
    line_facts.invoice_id as external_id, line_facts.line_item_id as line_external_id,
    cast(line_facts.line_number as integer) as line_number, dispositions.netsuite_customer_id,
    line_facts.netsuite_item_id, dispositions.tran_date, dispositions.start_date,
    dispositions.end_date, line_facts.currency_code as currency,
    cast(line_facts.quantity as decimal(38, 6)) as quantity,
    coalesce(line_facts.rate_from_price,
             cast(line_facts.amount_unrounded / line_facts.quantity as decimal(38, 8))) as rate,
    cast(line_facts.amount + case when row_number() over (
            partition by line_facts.invoice_id
            order by abs(line_facts.amount) desc, line_facts.line_number) = 1
        then dispositions.rounding_difference else 0 end as decimal(38, 4)) as amount,
    line_facts.description
from line_facts
join floor_invoice_dispositions as dispositions
    on line_facts.invoice_id = dispositions.external_id and dispositions.disposition = 'ready'
where line_facts.is_included;

create or replace table floor_netsuite_invoices as
select
    dispositions.external_id, dispositions.netsuite_customer_id, dispositions.tran_date,
    dispositions.start_date, dispositions.end_date, dispositions.currency,
    dispositions.total_amount, lines.line_count,
    md5(string_agg(lines_text, '\n' order by lines_line_number)) as payload_hash
from floor_invoice_dispositions as dispositions
join (
    select external_id, line_number as lines_line_number,
           count(*) over (partition by external_id) as line_count,
           line_external_id || '|' || netsuite_item_id || '|' || quantity || '|'
           || coalesce(cast(rate as varchar), '') || '|' || amount || '|' || description as lines_text
    from floor_netsuite_invoice_lines
) as lines on dispositions.external_id = lines.external_id
where dispositions.disposition = 'ready'
group by all;
