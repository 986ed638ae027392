{{
    config(
        materialized='incremental',
        unique_key='external_id',
        incremental_strategy=recomputed_invoices_strategy(),
        on_schema_change='fail',
        pre_hook="{{ delete_changed_invoices('external_id') }}",
        post_hook="{{ record_incremental_watermark() }}",
    )
}}

{%- set is_changed = is_changed_invoice('invoice_id', downstream_window()) %}

with

invoices as (

    select * from {{ ref('int_invoices_enriched') }}
    where {{ is_changed }}

),

exceptions as (

    select * from {{ ref('int_invoice_exceptions') }}
    where {{ is_changed }}

),

reasons as (

    select * from {{ ref('disposition_reasons') }}

),

exception_reasons as (

    select
        exceptions.invoice_id,
        exceptions.reason_code,
        exceptions.detail,
        reasons.precedence

    from exceptions
    inner join reasons
        on exceptions.reason_code = reasons.reason_code

),

first_exception as (

    select
        invoice_id,
        reason_code,
        detail,
        count(*) over (partition by invoice_id) as exception_count

    from exception_reasons
    qualify
        row_number() over (partition by invoice_id order by precedence, detail)
        = 1

),

exclusions as (

    select
        invoices.invoice_id,
        invoices.exclusion_reason_code,
        reasons.description as exclusion_detail

    from invoices
    inner join reasons
        on invoices.exclusion_reason_code = reasons.reason_code

),

final as (

    select
        invoices.invoice_id as external_id,
        case
            when exclusions.exclusion_reason_code is not null then 'excluded'
            when first_exception.reason_code is not null then 'held'
            else 'ready'
        end as disposition,
        coalesce(exclusions.exclusion_reason_code, first_exception.reason_code)
            as reason_code,
        coalesce(exclusions.exclusion_detail, first_exception.detail) as detail,
        cast(
            case
                when exclusions.exclusion_reason_code is null
                    then coalesce(first_exception.exception_count, 0)
                else 0
            end as integer
        ) as exception_count,
        invoices.customer_id as metronome_customer_id,
        invoices.netsuite_customer_id,
        invoices.invoice_status,
        invoices.environment_type,
        invoices.credit_type_name,
        invoices.currency_code as currency,
        invoices.total_in_credit_units,
        invoices.total_amount,
        invoices.tran_date,
        invoices.billing_month,
        invoices.updated_at

    from invoices
    left join exclusions
        on invoices.invoice_id = exclusions.invoice_id
    left join first_exception
        on invoices.invoice_id = first_exception.invoice_id

)

select * from final
