-- One row per external id seen in Metronome's export or in NetSuite, with the
-- result of every check and the one status that sums them up (the first that
-- applies, in the order of the case expression in `final`).

{%- set tolerance = var('reconciliation_amount_tolerance') %}

with

dispositions as (

    select * from {{ ref('invoice_dispositions') }}

),

ready_invoices as (

    select * from {{ ref('netsuite_invoices') }}

),

netsuite_invoices as (

    select * from {{ ref('int_netsuite_invoices_aggregated') }}
    where is_first_with_external_id

),

push_attempts as (

    select * from {{ ref('stg_netsuite_sync__latest_push_attempts') }}

),

line_results as (

    select * from {{ ref('reconciliation_invoice_lines') }}

),

netsuite_currencies as (

    select * from {{ ref('netsuite_currencies') }}

),

line_summary as (

    select
        external_id,
        cast(sum(case when is_in_metronome then 1 else 0 end) as integer)
            as metronome_line_count,
        cast(sum(case when line_status <> 'matched' then 1 else 0 end) as integer)
            as unmatched_line_count

    from line_results
    group by external_id

),

metronome as (

    select
        dispositions.external_id,
        dispositions.disposition,
        dispositions.reason_code,
        dispositions.invoice_status,
        dispositions.metronome_customer_id,
        dispositions.netsuite_customer_id,
        dispositions.currency,
        dispositions.total_amount,
        dispositions.tran_date,
        dispositions.billing_month,
        ready_invoices.start_date,
        ready_invoices.end_date,
        coalesce(
            ready_invoices.netsuite_currency_id,
            netsuite_currencies.netsuite_currency_id
        ) as netsuite_currency_id

    from dispositions
    left join ready_invoices
        on dispositions.external_id = ready_invoices.external_id
    left join netsuite_currencies
        on dispositions.currency = netsuite_currencies.currency_code

),

paired as (

    select
        coalesce(metronome.external_id, netsuite_invoices.external_id)
            as external_id,
        metronome.external_id as metronome_external_id,
        netsuite_invoices.external_id as netsuite_external_id

    from metronome
    full outer join netsuite_invoices
        on metronome.external_id = netsuite_invoices.external_id

),

joined as (

    select
        paired.external_id,
        metronome.external_id is not null as is_in_metronome,
        netsuite_invoices.external_id is not null as is_in_netsuite,
        metronome.disposition,
        metronome.reason_code as metronome_reason_code,
        metronome.metronome_customer_id,
        metronome.netsuite_customer_id as expected_netsuite_customer_id,
        netsuite_invoices.netsuite_customer_id,
        netsuite_invoices.netsuite_transaction_id,
        netsuite_invoices.netsuite_document_number,
        coalesce(metronome.currency, netsuite_invoices.currency_code) as currency,
        metronome.netsuite_currency_id as expected_netsuite_currency_id,
        netsuite_invoices.netsuite_currency_id,
        metronome.total_amount as metronome_total,
        netsuite_invoices.total_amount as netsuite_total,
        metronome.tran_date as expected_tran_date,
        netsuite_invoices.tran_date as netsuite_tran_date,
        metronome.start_date as expected_start_date,
        netsuite_invoices.start_date as netsuite_start_date,
        metronome.end_date as expected_end_date,
        netsuite_invoices.end_date as netsuite_end_date,
        coalesce(
            metronome.billing_month,
            cast({{ dbt.date_trunc(
                'month',
                'coalesce(netsuite_invoices.start_date, netsuite_invoices.tran_date)'
            ) }} as date)
        ) as billing_month,
        coalesce(netsuite_invoices.invoices_with_external_id, 0)
            as netsuite_invoice_count,
        coalesce(metronome.invoice_status = 'VOID', false) as is_voided_in_metronome,
        coalesce(netsuite_invoices.is_voided, false) as is_voided_in_netsuite,
        netsuite_invoices.item_line_count as netsuite_line_count,
        line_summary.metronome_line_count,
        line_summary.unmatched_line_count,
        push_attempts.last_push_outcome,
        push_attempts.last_push_at,
        push_attempts.last_push_error_code,
        push_attempts.last_push_error_detail

    from paired
    left join metronome
        on paired.metronome_external_id = metronome.external_id
    left join netsuite_invoices
        on paired.netsuite_external_id = netsuite_invoices.external_id
    left join line_summary
        on paired.external_id = line_summary.external_id
    left join push_attempts
        on paired.external_id = push_attempts.external_id

),

checked as (

    select
        *,
        netsuite_total - metronome_total as amount_difference,
        netsuite_invoice_count > 1 as is_duplicate_in_netsuite,
        coalesce(last_push_outcome = 'failed', false) as is_push_failed,
        -- Each check is null when one side is missing: nothing to compare.
        case
            when is_in_metronome and is_in_netsuite
                then abs(netsuite_total - metronome_total) <= {{ tolerance }}
        end as is_amount_match,
        case
            when not (is_in_metronome and is_in_netsuite) then null
            when netsuite_customer_id = expected_netsuite_customer_id then true
            else false
        end as is_customer_match,
        -- Without a mapped NetSuite currency the customer's currency applies,
        -- so there is nothing to hold NetSuite to.
        case
            when not (is_in_metronome and is_in_netsuite) then null
            when expected_netsuite_currency_id is null then null
            when netsuite_currency_id = expected_netsuite_currency_id then true
            else false
        end as is_currency_match,
        case
            when is_in_metronome and is_in_netsuite
                then (
                    coalesce(netsuite_tran_date = expected_tran_date, false)
                    and coalesce(netsuite_start_date = expected_start_date, true)
                    and coalesce(netsuite_end_date = expected_end_date, true)
                )
        end as is_date_match,
        case
            when is_in_metronome and is_in_netsuite and disposition = 'ready'
                then (
                    coalesce(unmatched_line_count, 0) = 0
                    and netsuite_line_count = metronome_line_count
                )
        end as is_line_match

    from joined

),

final as (

    select
        external_id,
        case
            when is_duplicate_in_netsuite then 'duplicate_in_netsuite'
            when not is_in_metronome then 'missing_in_metronome'
            when
                is_voided_in_metronome
                and is_in_netsuite
                and not is_voided_in_netsuite
                then 'void_in_metronome'
            when disposition = 'excluded' then 'excluded_in_metronome'
            when disposition = 'held' then 'held_in_metronome'
            when disposition = 'ready' and is_push_failed then 'push_failed'
            when disposition = 'ready' and not is_in_netsuite
                then 'missing_in_netsuite'
            when is_customer_match = false then 'customer_mismatch'
            when is_currency_match = false then 'currency_mismatch'
            when is_amount_match = false then 'amount_mismatch'
            when is_line_match = false then 'line_mismatch'
            when is_date_match = false then 'date_mismatch'
            else 'matched'
        end as status,
        metronome_total,
        netsuite_total,
        amount_difference,
        currency,
        metronome_customer_id,
        expected_netsuite_customer_id,
        netsuite_customer_id,
        netsuite_transaction_id,
        netsuite_document_number,
        coalesce(expected_tran_date, netsuite_tran_date) as tran_date,
        billing_month,
        disposition,
        metronome_reason_code,
        last_push_outcome,
        last_push_at,
        last_push_error_code,
        last_push_error_detail,
        netsuite_invoice_count,
        metronome_line_count,
        netsuite_line_count,
        unmatched_line_count,
        is_in_metronome,
        is_in_netsuite,
        is_duplicate_in_netsuite,
        is_voided_in_metronome,
        is_voided_in_netsuite,
        is_push_failed,
        is_customer_match,
        is_currency_match,
        is_amount_match,
        is_line_match,
        is_date_match,
        expected_netsuite_currency_id,
        netsuite_currency_id,
        expected_tran_date,
        netsuite_tran_date

    from checked

)

select * from final
