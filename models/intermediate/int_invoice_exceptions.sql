-- Everything that blocks an invoice from NetSuite, one row per problem:
-- invoice-level problems have a null line_item_id. Each row carries a detail
-- sentence that says what to fix and where. An invoice can have several rows,
-- so no row key exists: the pre-hook deletes the rows of the invoices this
-- run recomputes and their new rows are appended, on every warehouse.
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ delete_changed_invoices('invoice_id') }}",
        post_hook="{{ record_incremental_watermark() }}",
    )
}}

{%- set customer_field = var('netsuite_customer_id_field') %}
{%- set item_field = var('netsuite_item_id_field') %}
{%- set window = downstream_window() %}
{%- set is_changed = is_changed_invoice('invoice_id', window) %}
{%- set lines_of_this_run = recomputed_in_this_run(ref('int_invoice_lines_enriched'), window) %}

with

invoices as (

    select * from {{ ref('int_invoices_enriched') }}
    where {{ is_changed }}

),

-- Only the lines with a problem: labelling every line would join them all.
-- One branch per flag, each excluding the flags before it: a single flag is
-- a filter the scan applies itself, so only the few rows it keeps are read
-- whole, where an "or" of flags would read every line of history first.
lines as (

    select * from {{ ref('int_invoice_lines_enriched') }}
    where is_included and has_invalid_product_json
        and {{ is_changed }} and {{ lines_of_this_run }}

    union all

    select * from {{ ref('int_invoice_lines_enriched') }}
    where is_included
        and is_missing_item_mapping
        and not has_invalid_product_json
        and {{ is_changed }} and {{ lines_of_this_run }}

    union all

    select * from {{ ref('int_invoice_lines_enriched') }}
    where is_included
        and has_unsupported_credit_type
        and not has_invalid_product_json
        and not is_missing_item_mapping
        and {{ is_changed }} and {{ lines_of_this_run }}

),

customer_label as (

    select
        *,
        'Customer ' || coalesce('"' || customer_name || '" ', '')
        || '(' || coalesce(customer_id, 'no id') || ')' as customer_text

    from invoices

),

missing_required_field as (

    select
        invoice_id,
        cast(null as {{ dbt.type_string() }}) as line_item_id,
        'missing_required_field' as reason_code,
        'The Metronome export row of this invoice has no '
        || trim(
            case when customer_id is null then 'customer_id ' else '' end
            || case when total_in_credit_units is null then 'total ' else '' end
            || case when credit_type_id is null then 'credit_type_id ' else '' end
            || case
                when period_start_at is null then 'start_timestamp ' else ''
            end
            || case when period_end_at is null then 'end_timestamp ' else '' end
        )
        || '; it can be sent once Metronome exports it complete.' as detail

    from invoices
    where has_missing_required_field

),

invalid_customer_json as (

    select
        invoice_id,
        cast(null as {{ dbt.type_string() }}) as line_item_id,
        'invalid_custom_fields_json' as reason_code,
        customer_text
        || ' has custom_fields that are not valid JSON; fix them in Metronome'
        || ' or map the customer in seed netsuite_customer_mapping_overrides.'
            as detail

    from customer_label
    where is_customer_in_export and needs_customer_json
        and not has_valid_customer_json

),

missing_customer_mapping as (

    select
        invoice_id,
        cast(null as {{ dbt.type_string() }}) as line_item_id,
        'missing_customer_mapping' as reason_code,
        case
            when not is_customer_in_export
                then customer_text
                    || ' is not in the Metronome customer export, so it has no'
                    || ' NetSuite customer; check the export or add it to seed'
                    || ' netsuite_customer_mapping_overrides.'
            else customer_text
                || ' has no NetSuite customer id: set custom field'
                || ' {{ customer_field }} in Metronome or add the customer to'
                || ' seed netsuite_customer_mapping_overrides.'
        end as detail

    from customer_label
    where customer_id is not null
        and netsuite_customer_id is null
        and not coalesce(needs_customer_json and not has_valid_customer_json, false)

),

unsupported_invoice_credit_type as (

    select
        invoice_id,
        cast(null as {{ dbt.type_string() }}) as line_item_id,
        'unsupported_credit_type' as reason_code,
        'The invoice is in credit type "'
        || coalesce(credit_type_name, credit_type_id) || '", '
        || case
            when is_credit_type_currency = false
                then 'a custom pricing unit, not money: NetSuite invoices only'
                    || ' currencies.'
            else 'which has no currency in seed credit_type_currencies; add a'
                || ' row there to invoice it.'
        end as detail

    from invoices
    where credit_type_id is not null and not is_credit_type_supported

),

lines_do_not_sum as (

    select
        invoice_id,
        cast(null as {{ dbt.type_string() }}) as line_item_id,
        'lines_do_not_sum_to_total' as reason_code,
        'The ' || cast(included_line_count as {{ dbt.type_string() }})
        || ' lines sum to '
        || {{ format_amount(
            'coalesce(sum_of_rounded_line_amounts, 0)', 'currency_minor_unit_digits'
        ) }}
        || ' ' || currency_code || ' but the invoice total is '
        || {{ format_amount('total_amount', 'currency_minor_unit_digits') }}
        || ' ' || currency_code || ', a difference beyond rounding (at most '
        || rtrim(
            cast(cast(rounding_tolerance as numeric(38, 5)) as {{ dbt.type_string() }}),
            '0'
        )
        || '); check the invoice in Metronome.' as detail

    from invoices
    where has_lines_not_summing_to_total

),

line_label as (

    select
        lines.*,
        invoices.credit_type_id as invoice_credit_type_id,
        'Line ' || cast(lines.line_number as {{ dbt.type_string() }})
        || ' ("' || lines.description || '")' as line_text,
        'product ' || coalesce('"' || lines.product_name || '" ', '')
        || '(' || coalesce(lines.product_id, '') || ')' as product_text

    from lines
    inner join invoices
        on lines.invoice_id = invoices.invoice_id

),

invalid_product_json as (

    select
        invoice_id,
        line_item_id,
        'invalid_custom_fields_json' as reason_code,
        line_text || ': ' || product_text
        || ' has custom fields that are not valid JSON; fix them in Metronome'
        || ' or map the product in seed netsuite_item_mapping_overrides.'
            as detail

    from line_label
    where has_invalid_product_json

),

missing_item_mapping as (

    select
        invoice_id,
        line_item_id,
        'missing_item_mapping' as reason_code,
        case
            when is_adjustment
                then line_text
                    || ' has no product (an adjustment or applied credit): set'
                    || ' var netsuite_adjustment_item_id to the NetSuite item'
                    || ' that such lines should use.'
            when not is_product_in_export
                then line_text || ': ' || product_text
                    || ' is not in the Metronome product export; check the'
                    || ' export or add it to seed netsuite_item_mapping_overrides.'
            else line_text || ': ' || product_text
                || ' has no NetSuite item id: set custom field {{ item_field }}'
                || ' in Metronome or add the product to seed'
                || ' netsuite_item_mapping_overrides.'
        end as detail

    from line_label
    where is_missing_item_mapping and not has_invalid_product_json

),

unsupported_line_credit_type as (

    select
        invoice_id,
        line_item_id,
        'unsupported_credit_type' as reason_code,
        line_text || ' is in credit type "'
        || coalesce(credit_type_name, credit_type_id, 'unknown')
        || '", which has no currency in seed credit_type_currencies; add a'
        || ' row there to invoice it.' as detail

    from line_label
    where has_unsupported_credit_type
        and coalesce(credit_type_id <> invoice_credit_type_id, true)

),

unioned as (

    select * from missing_required_field
    union all
    select * from invalid_customer_json
    union all
    select * from missing_customer_mapping
    union all
    select * from unsupported_invoice_credit_type
    union all
    select * from lines_do_not_sum
    union all
    select * from invalid_product_json
    union all
    select * from missing_item_mapping
    union all
    select * from unsupported_line_credit_type

)

select * from unioned
