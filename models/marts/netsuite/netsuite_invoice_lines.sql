{{
    config(
        materialized='incremental',
        unique_key='line_external_id',
        incremental_strategy=recomputed_invoices_strategy(),
        on_schema_change='fail',
        pre_hook="{{ delete_changed_invoices('external_id') }}",
        post_hook="{{ record_incremental_watermark() }}",
    )
}}

{%- set window = downstream_window() %}

with

-- The lines of the invoices this run recomputes. The inner joins below keep
-- the invoices and dispositions of these lines only: filtering those two as
-- well would let the planner join all of them first, a million each.
lines as (

    select * from {{ ref('int_invoice_lines_enriched') }}
    where is_included and {{ is_changed_invoice('invoice_id', window) }}
        and {{ recomputed_in_this_run(ref('int_invoice_lines_enriched'), window) }}

),

invoices as (

    select * from {{ ref('int_invoices_enriched') }}

),

dispositions as (

    select * from {{ ref('invoice_dispositions') }}
    where disposition = 'ready'

),

ready_lines as (

    select
        lines.*,
        invoices.netsuite_customer_id,
        invoices.tran_date,
        invoices.start_date,
        invoices.end_date,
        invoices.rounding_difference,
        -- The rounding remainder goes to the largest line (ties: the first),
        -- where it is the smallest relative change.
        row_number() over (
            partition by lines.invoice_id
            order by abs(lines.amount_before_remainder) desc, lines.line_number
        ) = 1 as takes_rounding_remainder

    from lines
    inner join dispositions
        on lines.invoice_id = dispositions.external_id
    inner join invoices
        on lines.invoice_id = invoices.invoice_id

),

final as (

    select
        invoice_id as external_id,
        line_item_id as line_external_id,
        line_number,
        netsuite_customer_id,
        netsuite_item_id,
        tran_date,
        start_date,
        end_date,
        currency_code as currency,
        currency_minor_unit_digits,
        quantity_rounded as quantity,
        rate,
        cast(
            amount_before_remainder
            + case when takes_rounding_remainder then rounding_difference else 0 end
            as {{ money_type() }}
        ) as amount,
        description,
        customer_id as metronome_customer_id,
        product_id as metronome_product_id,
        item_mapping_source,
        total_in_credit_units as amount_in_credit_units,
        {{ recomputation_time() }} as recomputed_at

    from ready_lines

)

select * from final
