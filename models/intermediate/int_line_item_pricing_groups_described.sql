-- The "<separator>key=value" suffix of each line's description, one pair per
-- pricing group value, keys in sorted order so the text is stable.

{{
    config(
        materialized='incremental',
        unique_key='line_item_id',
        incremental_strategy=metronome_incremental_strategy(),
        on_schema_change='fail',
        pre_hook="{{ delete_changed_invoices('invoice_id') }}",
        post_hook="{{ record_incremental_watermark() }}",
    )
}}

{%- set separator = var('line_item_name_separator') %}

with

line_items as (

    select * from {{ ref('stg_metronome__line_items') }}
    where {{ is_changed_invoice('invoice_id', downstream_window_start()) }}

),

pricing_group_values as (

    select
        line_items.line_item_id,
        line_items.invoice_id,
        pricing_group.key as pricing_group_key,
        {{ json_entry_value_text('pricing_group') }} as pricing_group_value

    from line_items
    {{ json_object_entries(
        'line_items', 'pricing_group_values_json', 'pricing_group'
    ) }}
    where line_items.pricing_group_values_json is not null

),

described as (

    select
        line_item_id,
        invoice_id,
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
    group by line_item_id, invoice_id

)

select * from described
