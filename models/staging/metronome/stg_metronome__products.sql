{%- set custom_fields_column = var('metronome_product_custom_fields_column') -%}

with

source as (

    select * from {{ newest_export_rows(
        'product', none, ['id', 'name', custom_fields_column, 'archived_at']
    ) }}

),

renamed as (

    select
        cast(id as {{ dbt.type_string() }}) as product_id,
        cast(name as {{ dbt.type_string() }}) as product_name,
        {{ json_as_text(custom_fields_column) }} as custom_fields_json,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
        {{ metronome_exported_at() }} as exported_at,
        cast(archived_at as {{ dbt.type_timestamp() }}) as archived_at

    from source
    where id is not null

)

select * from renamed
