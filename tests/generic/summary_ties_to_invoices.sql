{#
    The dashboard's numbers are the invoice-level mart's numbers: counts and
    amounts per month, status and currency agree exactly.
#}
{% test summary_ties_to_invoices(model) %}

with

from_invoices as (

    select
        billing_month,
        status,
        currency,
        count(*) as invoice_count,
        coalesce(sum(metronome_total), 0) as metronome_total,
        coalesce(sum(netsuite_total), 0) as netsuite_total,
        coalesce(sum(amount_difference), 0) as amount_difference

    from {{ ref('reconciliation_invoices') }}
    group by billing_month, status, currency

)

select
    coalesce(from_invoices.status, summary.status) as status,
    from_invoices.invoice_count as expected_count,
    summary.invoice_count

from from_invoices
full outer join {{ model }} as summary
    on from_invoices.billing_month is not distinct from summary.billing_month
    and from_invoices.status = summary.status
    and from_invoices.currency is not distinct from summary.currency
where
    from_invoices.status is null
    or summary.status is null
    or from_invoices.invoice_count <> summary.invoice_count
    or from_invoices.metronome_total <> summary.metronome_total
    or from_invoices.netsuite_total <> summary.netsuite_total
    or from_invoices.amount_difference <> summary.amount_difference

{% endtest %}
