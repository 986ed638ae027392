{%- set custom_fields_column = var('metronome_product_custom_fields_column') -%}

with

source as (

    select * from {{ source('metronome', 'product') }}

),

renamed as (

    select
        cast(id as {{ dbt.type_string() }}) as product_id,
        cast(name as {{ dbt.type_string() }}) as product_name,
        {{ json_as_text(custom_fields_column) }} as custom_fields_json,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
        {{ metronome_exported_at() }} as exported_at,
        cast(archived_at as {{ dbt.type_timestamp() }}) as archived_at,
        {{ metronome_transfer_order_key(
            ['id', 'name', custom_fields_column, 'archived_at']
        ) }} as transfer_order_key

    from source
    where id is not null

),

deduplicated as (

    {{ latest_export_version('renamed', 'product_id') }}

),

final as (

    select * exclude (transfer_order_key) from deduplicated

)

select * from final
