with

exceptions as (

    select * from {{ ref('int_invoice_exceptions') }}

),

dispositions as (

    select * from {{ ref('invoice_dispositions') }}

),

final as (

    select
        exceptions.invoice_id as external_id,
        exceptions.line_item_id as line_external_id,
        exceptions.reason_code,
        exceptions.detail,
        dispositions.metronome_customer_id,
        dispositions.currency,
        dispositions.total_amount,
        dispositions.tran_date,
        dispositions.billing_month

    from exceptions
    inner join dispositions
        on exceptions.invoice_id = dispositions.external_id
    -- Excluded invoices are not for NetSuite, so nothing blocks them.
    where dispositions.disposition = 'held'

)

select * from final
