{{
    config(
        materialized='incremental',
        unique_key='invoice_key',
        incremental_strategy=metronome_incremental_strategy(),
        on_schema_change='fail',
    )
}}

{%- set window_start = staging_window_start() %}
{#- What breaks ties between versions in warehouse tables, which have no file names. #}
{%- set fingerprint_columns = [
    'id', 'status', 'total', 'credit_type_id', 'customer_id', 'start_timestamp',
    'end_timestamp', 'issued_at',
] %}

with

source as (

    select * from {{ newest_export_rows('invoice', window_start, fingerprint_columns) }}

),

renamed as (

    select
        cast(id as {{ dbt.type_string() }}) as invoice_id,
        {{ staging_key('id') }} as invoice_key,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(environment_type as {{ dbt.type_string() }}) as environment_type,
        upper(cast(status as {{ dbt.type_string() }})) as invoice_status,
        {{ dbt.safe_cast('total', credit_units_type()) }}
            as total_in_credit_units,
        cast(credit_type_id as {{ dbt.type_string() }}) as credit_type_id,
        cast(credit_type_name as {{ dbt.type_string() }}) as credit_type_name,
        cast(plan_id as {{ dbt.type_string() }}) as plan_id,
        cast(contract_id as {{ dbt.type_string() }}) as contract_id,
        cast(invoice_label as {{ dbt.type_string() }}) as invoice_label,
        cast(billing_provider_type as {{ dbt.type_string() }})
            as billing_provider_type,
        cast(billing_provider_invoice_id as {{ dbt.type_string() }})
            as billing_provider_invoice_id,
        {{ json_as_text('metadata') }} as metadata_json,
        cast(start_timestamp as {{ dbt.type_timestamp() }}) as period_start_at,
        cast(end_timestamp as {{ dbt.type_timestamp() }}) as period_end_at,
        cast(issued_at as {{ dbt.type_timestamp() }}) as issued_at,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
        {{ metronome_exported_at() }} as exported_at,
        {{ staging_run_time() }} as staged_at,
        {{ metronome_transfer_order_key(fingerprint_columns) }} as transfer_order_key

    from source
    where id is not null

),

-- Re-read versions that are not newer than the one staged are not written again.
new_versions as (

    {{ newer_than_staged('renamed', 'invoice_key', window_start) }}

)

select * from new_versions
