{#
    The lines of every ready invoice add up exactly to its total, and the
    line count matches: what NetSuite receives ties out to the cent.
#}
{% test lines_sum_to_invoice_total(model) %}

with

invoices as (

    select * from {{ model }}

),

lines as (

    select
        external_id,
        count(*) as line_count,
        sum(amount) as sum_of_line_amounts

    from {{ ref('netsuite_invoice_lines') }}
    group by external_id

)

select
    invoices.external_id,
    invoices.total_amount,
    lines.sum_of_line_amounts,
    invoices.line_count,
    lines.line_count as actual_line_count

from invoices
left join lines
    on invoices.external_id = lines.external_id
where
    lines.external_id is null
    or invoices.total_amount <> lines.sum_of_line_amounts
    or invoices.line_count <> lines.line_count

{% endtest %}
