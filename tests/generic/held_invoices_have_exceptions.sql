{#
    A held invoice always shows at least one reason a person can act on, and
    an invoice with exception rows is never ready or excluded.
#}
{% test held_invoices_have_exceptions(model) %}

with

exceptions as (

    select
        external_id,
        count(*) as exception_rows

    from {{ ref('netsuite_invoice_exceptions') }}
    group by external_id

)

select
    {{ model }}.external_id,
    {{ model }}.disposition,
    coalesce(exceptions.exception_rows, 0) as exception_rows

from {{ model }}
left join exceptions
    on {{ model }}.external_id = exceptions.external_id
where
    ({{ model }}.disposition = 'held') <> (exceptions.external_id is not null)
    or {{ model }}.exception_count <> coalesce(exceptions.exception_rows, 0)

{% endtest %}
