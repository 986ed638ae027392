{%- set line_id_column = var('netsuite_line_external_id_column') %}

with

source as (

    {{ select_optional_source('netsuite', 'transactionline', {
        'id': dbt.type_string(),
        'transaction': dbt.type_string(),
        'linesequencenumber': 'integer',
        'mainline': dbt.type_string(),
        'taxline': dbt.type_string(),
        'item': dbt.type_string(),
        'quantity': quantity_type(),
        'rate': rate_type(),
        'foreignamount': money_type(),
        'memo': dbt.type_string(),
        (line_id_column or 'line_external_id') | lower: dbt.type_string(),
        '_fivetran_deleted': dbt.type_string(),
    }) }}

),

renamed as (

    select
        transaction as netsuite_transaction_id,
        id as netsuite_line_id,
        linesequencenumber as line_sequence_number,
        item as netsuite_item_id,
        rate,
        memo as description,
        {{ (line_id_column or 'line_external_id') | lower }} as line_external_id,
        coalesce({{ netsuite_flag('mainline') }}, false) as is_mainline,
        coalesce({{ netsuite_flag('taxline') }}, false) as is_taxline,
        coalesce({{ netsuite_flag('_fivetran_deleted') }}, false) as is_deleted,
        -- NetSuite books invoice item lines on the income side, negative;
        -- flipped here so they read like the invoice.
        -1 * quantity as quantity,
        -1 * foreignamount as amount,
        foreignamount as amount_as_booked

    from source

),

final as (

    select
        *,
        case
            when is_mainline then 'mainline'
            when is_taxline then 'tax'
            else 'item'
        end as line_kind

    from renamed
    where not is_deleted

)

select * from final
