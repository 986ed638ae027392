with

source as (

    select * from {{ source('metronome', 'credit_type') }}

),

renamed as (

    select
        cast(id as {{ dbt.type_string() }}) as credit_type_id,
        cast(name as {{ dbt.type_string() }}) as credit_type_name,
        cast(environment_type as {{ dbt.type_string() }}) as environment_type,
        cast(is_currency as {{ dbt.type_boolean() }}) as is_currency,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
        {{ metronome_exported_at() }} as exported_at,
        {{ metronome_transfer_order_key(['id', 'name', 'is_currency']) }}
            as transfer_order_key

    from source
    where id is not null

),

deduplicated as (

    {{ latest_export_version('renamed', 'credit_type_id') }}

),

final as (

    select * exclude (transfer_order_key) from deduplicated

)

select * from final
