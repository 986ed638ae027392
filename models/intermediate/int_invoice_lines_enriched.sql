-- Every deduplicated line item of a deduplicated invoice, converted to money,
-- mapped to NetSuite, described, numbered, and flagged with what would stop it
-- from being sent. Zero-amount lines are kept here (is_included = false) so
-- nothing disappears without a trace. Each row carries the dbt invocation that
-- wrote it (recomputed_at), so the models built from it in the same run read
-- only the rows written in it.

{{
    config(
        materialized='incremental',
        unique_key='line_item_id',
        incremental_strategy=recomputed_invoices_strategy(),
        on_schema_change='fail',
        pre_hook="{{ delete_changed_invoices('invoice_id') }}",
        post_hook="{{ record_incremental_watermark() }}",
    )
}}

{%- set separator = var('line_item_name_separator') %}
{%- set is_changed = is_changed_invoice('invoice_id', downstream_window()) %}

with

line_items as (

    select * from {{ ref('stg_metronome__line_items') }}
    where {{ is_changed }}

),

invoices as (

    select * from {{ ref('stg_metronome__invoices') }}
    where {{ is_changed }}

),

products as (

    select * from {{ ref('int_products_mapped') }}

),

credit_types as (

    select * from {{ ref('int_credit_types_resolved') }}

),

-- A full build reads every line from staging apart from line_items: a CTE
-- used twice may be held in memory whole, every line of history. An
-- incremental run reuses line_items, its few changed lines, rather than
-- search history again.
lines_with_pricing_groups as (

    select
        line_item_id,
        pricing_group_values_json

    from {{ 'line_items' if is_incremental_run()
        else ref('stg_metronome__line_items') }}
    where pricing_group_values_json is not null

),

pricing_group_values as (

    select
        lines_with_pricing_groups.line_item_id,
        pricing_group.key as pricing_group_key,
        {{ json_entry_value_text('pricing_group') }} as pricing_group_value

    from lines_with_pricing_groups
    {{ json_object_entries(
        'lines_with_pricing_groups', 'pricing_group_values_json', 'pricing_group'
    ) }}

),

-- The "<separator>key=value" suffix of each line's description, one pair per
-- pricing group value, keys in sorted order so the text is stable.
pricing_groups as (

    select
        line_item_id,
        {{ dbt.listagg(
            dbt.concat([
                "'" ~ separator ~ "'",
                'pricing_group_key',
                "'='",
                "coalesce(pricing_group_value, '')",
            ]),
            "''",
            'order by pricing_group_key',
        ) }} as pricing_groups_description

    from pricing_group_values
    group by line_item_id

),

joined as (

    select
        line_items.line_item_id,
        line_items.invoice_id,
        invoices.customer_id,
        line_items.product_id,
        products.product_name,
        line_items.line_name,
        line_items.quantity,
        line_items.total_in_credit_units,
        line_items.unit_price_in_credit_units,
        line_items.group_key,
        line_items.group_value,
        pricing_groups.pricing_groups_description,
        line_items.starting_at,
        line_items.ending_before,
        coalesce(line_items.credit_type_id, invoices.credit_type_id)
            as credit_type_id,
        credit_types.credit_type_name,
        credit_types.is_supported as is_credit_type_supported,
        credit_types.currency_code,
        credit_types.currency_minor_unit_digits,
        credit_types.major_units_per_credit_unit,
        line_items.product_id is null as is_adjustment,
        products.product_id is not null as is_product_in_export,
        products.has_valid_custom_fields_json as has_valid_product_json,
        products.needs_custom_fields_json as needs_product_json,
        products.item_mapping_source,
        case
            when line_items.product_id is null
                then {{ "'" ~ var('netsuite_adjustment_item_id') ~ "'"
                    if var('netsuite_adjustment_item_id') is not none
                    else 'cast(null as ' ~ dbt.type_string() ~ ')' }}
            else products.netsuite_item_id
        end as netsuite_item_id

    from line_items
    inner join invoices
        on line_items.invoice_id = invoices.invoice_id
    left join products
        on line_items.product_id = products.product_id
    left join credit_types
        on
            coalesce(line_items.credit_type_id, invoices.credit_type_id)
            = credit_types.credit_type_id
    left join pricing_groups
        on line_items.line_item_id = pricing_groups.line_item_id

),

converted as (

    select
        *,
        total_in_credit_units * major_units_per_credit_unit
            as amount_unrounded,
        {{ round_to_minor_unit(
            'total_in_credit_units * major_units_per_credit_unit',
            'currency_minor_unit_digits',
        ) }} as amount_before_remainder,
        {{ dbt.concat([
            "coalesce(line_name, product_name, '')",
            "coalesce(pricing_groups_description, '')",
            "case when group_key is not null and group_value is not null then "
                ~ dbt.concat(["'" ~ separator ~ "'", 'group_key', "'='", 'group_value'])
                ~ " else '' end",
        ]) }} as description,
        (
            {{ 'true' if var('include_zero_amount_lines') else 'false' }}
            or total_in_credit_units <> 0
        ) as is_included

    from joined

),

rated as (

    select
        *,
        case
            when unit_price_in_credit_units is not null
                then {{ round_to_rate(
                    'unit_price_in_credit_units * major_units_per_credit_unit'
                ) }}
            else {{ divide_decimal(
                'cast(amount_unrounded as ' ~ credit_units_type() ~ ')',
                'quantity',
                8,
            ) }}
        end as rate,
        cast(quantity as {{ quantity_type() }}) as quantity_rounded

    from converted

),

positioned as (

    select
        *,
        -- Products first, adjustments last, then by period and text: the
        -- order stays the same however the export was delivered.
        row_number() over (
            partition by invoice_id, is_included
            order by
                case when is_adjustment then 1 else 0 end,
                starting_at,
                description,
                line_item_id
        ) as position_in_group

    from rated

),

numbered as (

    select
        * exclude (position_in_group),
        case
            when is_included then cast(position_in_group as integer)
        end as line_number

    from positioned

),

flagged as (

    select
        *,
        not is_credit_type_supported or is_credit_type_supported is null
            as has_unsupported_credit_type,
        coalesce(
            is_product_in_export
            and needs_product_json
            and not has_valid_product_json,
            false
        ) as has_invalid_product_json,
        netsuite_item_id is null as is_missing_item_mapping,
        {{ recomputation_time() }} as recomputed_at

    from numbered

)

select * from flagged
