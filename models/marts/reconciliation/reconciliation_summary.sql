-- Invoice counts and amounts by billing month, status and currency: the
-- numbers behind the reconciliation dashboard.

with

invoices as (

    select * from {{ ref('reconciliation_invoices') }}

),

final as (

    select
        billing_month,
        status,
        currency,
        cast(count(*) as integer) as invoice_count,
        coalesce(sum(metronome_total), 0) as metronome_total,
        coalesce(sum(netsuite_total), 0) as netsuite_total,
        coalesce(sum(amount_difference), 0) as amount_difference

    from invoices
    group by billing_month, status, currency

)

select * from final
