with

source as (

    select * from {{ newest_export_rows(
        'customer', none, ['id', 'name', 'custom_fields', 'archived_at']
    ) }}

),

renamed as (

    select
        cast(id as {{ dbt.type_string() }}) as customer_id,
        cast(name as {{ dbt.type_string() }}) as customer_name,
        cast(environment_type as {{ dbt.type_string() }}) as environment_type,
        cast(salesforce_account_id as {{ dbt.type_string() }})
            as salesforce_account_id,
        cast(billing_provider_type as {{ dbt.type_string() }})
            as billing_provider_type,
        cast(billing_provider_customer_id as {{ dbt.type_string() }})
            as billing_provider_customer_id,
        {{ json_as_text('custom_fields') }} as custom_fields_json,
        cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
        {{ metronome_exported_at() }} as exported_at,
        cast(archived_at as {{ dbt.type_timestamp() }}) as archived_at

    from source
    where id is not null

)

select * from renamed
