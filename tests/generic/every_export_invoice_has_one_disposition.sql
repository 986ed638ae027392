{#
    Nothing is silently dropped: each distinct invoice id of the export has
    exactly one disposition row, and no disposition lacks an export invoice.
#}
{% test every_export_invoice_has_one_disposition(model) %}

with

export_invoices as (

    select distinct invoice_id
    from {{ ref('stg_metronome__invoices') }}

),

dispositions as (

    select
        external_id,
        count(*) as disposition_count

    from {{ model }}
    group by external_id

)

select
    coalesce(export_invoices.invoice_id, dispositions.external_id)
        as external_id,
    coalesce(dispositions.disposition_count, 0) as disposition_count

from export_invoices
full outer join dispositions
    on export_invoices.invoice_id = dispositions.external_id
where
    export_invoices.invoice_id is null
    or dispositions.external_id is null
    or dispositions.disposition_count <> 1

{% endtest %}
