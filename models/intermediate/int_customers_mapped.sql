-- Each customer with its NetSuite mapping. Incremental: a run remaps the
-- customers the export delivered since the newest delivery mapped (less the
-- lookback), and every customer of the override seed, now or at the last
-- run, so the mapping follows an override added, changed or removed at the
-- next run.

{{
    config(
        materialized='incremental',
        unique_key='customer_id',
        incremental_strategy=metronome_incremental_strategy(),
        on_schema_change='fail',
    )
}}

{%- set destination_field = var('billing_provider_destination_field') -%}
{%- set window_start = staging_window_start() %}

with

customers as (

    select * from {{ ref('stg_metronome__customers') }}
    {%- if window_start is not none %}
    where {{ is_in_incremental_window('exported_at', window_start) }}
        or customer_id in (
            select metronome_customer_id
            from {{ ref('netsuite_customer_mapping_overrides') }}
        )
        or customer_id in (
            select customer_id from {{ this }}
            where customer_mapping_source = 'override_seed'
        )
    {%- endif %}

),

overrides as (

    select * from {{ ref('netsuite_customer_mapping_overrides') }}

),

custom_fields as (

    select
        customer_id,
        customer_name,
        environment_type,
        archived_at,
        exported_at,
        custom_fields_json,
        {{ is_valid_json('custom_fields_json') }}
            as has_valid_custom_fields_json,
        nullif(trim(
            {{ json_extract_text(
                'custom_fields_json', var('netsuite_customer_id_field')
            ) }}
        ), '') as netsuite_customer_id_from_custom_fields,
        {% if destination_field -%}
            {{ json_extract_text('custom_fields_json', destination_field) }}
        {%- else -%}
            cast(null as {{ dbt.type_string() }})
        {%- endif %} as billing_provider_destination

    from customers

),

mapped as (

    select
        custom_fields.customer_id,
        custom_fields.customer_name,
        custom_fields.environment_type,
        custom_fields.archived_at,
        custom_fields.exported_at,
        custom_fields.has_valid_custom_fields_json,
        custom_fields.billing_provider_destination,
        custom_fields.netsuite_customer_id_from_custom_fields,
        overrides.netsuite_customer_id as netsuite_customer_id_from_override,
        coalesce(
            overrides.netsuite_customer_id,
            custom_fields.netsuite_customer_id_from_custom_fields
        ) as netsuite_customer_id,
        case
            when overrides.netsuite_customer_id is not null then 'override_seed'
            when custom_fields.netsuite_customer_id_from_custom_fields is not null
                then 'custom_field'
        end as customer_mapping_source,
        -- The JSON only matters when something still has to be read from it.
        (
            overrides.netsuite_customer_id is null
            or {{ 'true' if destination_field else 'false' }}
        ) as needs_custom_fields_json,
        -- Only a customer whose field names another billing system is
        -- filtered out; customers without the field stay with NetSuite, so
        -- only the exceptions need tagging in Metronome.
        {% if destination_field -%}
            case
                when not custom_fields.has_valid_custom_fields_json then null
                when custom_fields.billing_provider_destination is null then true
                else lower(custom_fields.billing_provider_destination)
                    = lower('{{ var("billing_provider_destination_value") }}')
            end
        {%- else -%}
            true
        {%- endif %} as is_netsuite_destination

    from custom_fields
    left join overrides
        on custom_fields.customer_id = overrides.metronome_customer_id

)

select * from mapped
