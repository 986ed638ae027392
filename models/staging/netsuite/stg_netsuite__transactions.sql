with

source as (

    {{ select_optional_source('netsuite', 'transaction', {
        'id': dbt.type_string(),
        'tranid': dbt.type_string(),
        'externalid': dbt.type_string(),
        'type': dbt.type_string(),
        'trandate': 'date',
        'startdate': 'date',
        'enddate': 'date',
        'entity': dbt.type_string(),
        'currency': dbt.type_string(),
        'foreigntotal': money_type(),
        'status': dbt.type_string(),
        'voided': dbt.type_string(),
        'memo': dbt.type_string(),
        'lastmodifieddate': dbt.type_timestamp(),
        '_fivetran_deleted': dbt.type_string(),
    }) }}

),

renamed as (

    select
        id as netsuite_transaction_id,
        tranid as netsuite_document_number,
        externalid as external_id,
        trandate as tran_date,
        startdate as start_date,
        enddate as end_date,
        entity as netsuite_customer_id,
        currency as netsuite_currency_id,
        foreigntotal as total_amount,
        status as netsuite_status,
        memo,
        lastmodifieddate as last_modified_at,
        coalesce({{ netsuite_flag('voided') }}, false) as is_voided,
        coalesce({{ netsuite_flag('_fivetran_deleted') }}, false) as is_deleted

    from source
    where type = 'CustInvc'

),

final as (

    select * from renamed
    where not is_deleted

)

select * from final
