with

products as (

    select * from {{ ref('stg_metronome__products') }}

),

overrides as (

    select * from {{ ref('netsuite_item_mapping_overrides') }}

),

custom_fields as (

    select
        product_id,
        product_name,
        archived_at,
        {{ is_valid_json('custom_fields_json') }}
            as has_valid_custom_fields_json,
        nullif(trim(
            {{ json_extract_text(
                'custom_fields_json', var('netsuite_item_id_field')
            ) }}
        ), '') as netsuite_item_id_from_custom_fields

    from products

),

mapped as (

    select
        custom_fields.product_id,
        custom_fields.product_name,
        custom_fields.archived_at,
        custom_fields.has_valid_custom_fields_json,
        custom_fields.netsuite_item_id_from_custom_fields,
        overrides.netsuite_item_id as netsuite_item_id_from_override,
        coalesce(
            overrides.netsuite_item_id,
            custom_fields.netsuite_item_id_from_custom_fields
        ) as netsuite_item_id,
        case
            when overrides.netsuite_item_id is not null then 'override_seed'
            when custom_fields.netsuite_item_id_from_custom_fields is not null
                then 'custom_field'
        end as item_mapping_source,
        overrides.netsuite_item_id is null as needs_custom_fields_json

    from custom_fields
    left join overrides
        on custom_fields.product_id = overrides.metronome_product_id

)

select * from mapped
