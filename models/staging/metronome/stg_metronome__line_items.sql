{{
    config(
        materialized='incremental',
        unique_key='line_item_key',
        incremental_strategy=metronome_incremental_strategy(),
        on_schema_change='fail',
    )
}}

{%- set window_start = staging_window_start() %}
{#- What breaks ties between versions in warehouse tables, which have no file names. #}
{%- set fingerprint_columns = [
    'id', 'invoice_id', 'product_id', 'name', 'quantity', 'total', 'unit_price',
    'pricing_group_values',
] %}

with

source as (

    select * from {{ newest_export_rows('line_item', window_start, fingerprint_columns) }}

),

renamed as (

    select
        cast(id as {{ dbt.type_string() }}) as line_item_id,
        {{ staging_key('id') }} as line_item_key,
        cast(invoice_id as {{ dbt.type_string() }}) as invoice_id,
        cast(product_id as {{ dbt.type_string() }}) as product_id,
        cast(credit_type_id as {{ dbt.type_string() }}) as credit_type_id,
        cast(credit_type_name as {{ dbt.type_string() }}) as credit_type_name,
        cast(name as {{ dbt.type_string() }}) as line_name,
        {{ dbt.safe_cast('quantity', credit_units_type()) }} as quantity,
        {{ dbt.safe_cast('total', credit_units_type()) }}
            as total_in_credit_units,
        {{ dbt.safe_cast('unit_price', credit_units_type()) }}
            as unit_price_in_credit_units,
        cast(group_key as {{ dbt.type_string() }}) as group_key,
        cast(group_value as {{ dbt.type_string() }}) as group_value,
        {{ json_as_text('pricing_group_values') }} as pricing_group_values_json,
        cast(commit_id as {{ dbt.type_string() }}) as commit_id,
        cast(subscription_id as {{ dbt.type_string() }}) as subscription_id,
        cast(is_prorated as {{ dbt.type_boolean() }}) as is_prorated,
        cast(starting_at as {{ dbt.type_timestamp() }}) as starting_at,
        cast(ending_before as {{ dbt.type_timestamp() }}) as ending_before,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
        {{ metronome_exported_at() }} as exported_at,
        {{ staging_run_time() }} as staged_at,
        {{ metronome_transfer_order_key(fingerprint_columns) }} as transfer_order_key

    from source
    where id is not null

),

-- Re-read versions that are not newer than the one staged are not written again.
new_versions as (

    {{ newer_than_staged('renamed', 'line_item_key', window_start) }}

)

select * from new_versions
