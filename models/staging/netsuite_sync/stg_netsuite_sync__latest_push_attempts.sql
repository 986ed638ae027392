with

source as (

    {{ select_optional_source('netsuite_sync', 'netsuite_push_log', {
        'run_id': dbt.type_string(),
        'external_id': dbt.type_string(),
        'payload_hash': dbt.type_string(),
        'attempt': 'integer',
        'started_at': dbt.type_timestamp(),
        'finished_at': dbt.type_timestamp(),
        'http_status': 'integer',
        'outcome': dbt.type_string(),
        'netsuite_internal_id': dbt.type_string(),
        'is_final_attempt': dbt.type_boolean(),
        'error_code': dbt.type_string(),
        'error_path': dbt.type_string(),
        'error_detail': dbt.type_string(),
    }) }}

),

attempts as (

    select
        *,
        max(case when outcome in ('created', 'updated') then finished_at end)
            over (partition by external_id) as last_successful_push_at

    from source

),

latest as (

    {{ deduplicate(
        'attempts',
        partition_by='external_id',
        order_by='started_at desc, is_final_attempt desc, attempt desc',
    ) }}

),

final as (

    select
        external_id,
        run_id as last_push_run_id,
        outcome as last_push_outcome,
        payload_hash as last_push_payload_hash,
        attempt as last_push_attempt,
        finished_at as last_push_at,
        http_status as last_push_http_status,
        netsuite_internal_id as last_push_netsuite_transaction_id,
        error_code as last_push_error_code,
        error_path as last_push_error_path,
        error_detail as last_push_error_detail,
        last_successful_push_at

    from latest

)

select * from final
