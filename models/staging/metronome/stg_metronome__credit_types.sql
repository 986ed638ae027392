with

source as (

    select * from {{ newest_export_rows(
        'credit_type', none, ['id', 'name', 'is_currency']
    ) }}

),

renamed as (

    select
        cast(id as {{ dbt.type_string() }}) as credit_type_id,
        cast(name as {{ dbt.type_string() }}) as credit_type_name,
        cast(environment_type as {{ dbt.type_string() }}) as environment_type,
        cast(is_currency as {{ dbt.type_boolean() }}) as is_currency,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
        {{ metronome_exported_at() }} as exported_at

    from source
    where id is not null

)

select * from renamed
