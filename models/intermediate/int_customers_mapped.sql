{%- set destination_field = var('billing_provider_destination_field') -%}

with

customers as (

    select * from {{ ref('stg_metronome__customers') }}

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
