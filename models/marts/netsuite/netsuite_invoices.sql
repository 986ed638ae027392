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

{%- set custom_form_id = var('netsuite_custom_form_id') %}
{%- set subsidiary_id = var('netsuite_subsidiary_id') %}
{%- set window = downstream_window() %}

with

invoices as (

    select * from {{ ref('int_invoices_enriched') }}

),

dispositions as (

    select * from {{ ref('invoice_dispositions') }}
    where disposition = 'ready'

),

-- The lines of the invoices this run recomputes. The inner joins below keep
-- the invoices and dispositions of these lines only: filtering those two as
-- well would let the planner join all of them first, a million each.
lines as (

    select * from {{ ref('netsuite_invoice_lines') }}
    where {{ is_changed_invoice('external_id', window) }}
        and {{ recomputed_in_this_run(ref('netsuite_invoice_lines'), window) }}

),

netsuite_currencies as (

    select * from {{ ref('netsuite_currencies') }}

),

-- Everything sent for a line, in a fixed text form, so the hash changes
-- exactly when the payload does.
line_payloads as (

    select
        external_id,
        cast(count(*) as integer) as line_count,
        sum(amount) as sum_of_line_amounts,
        {{ dbt.listagg(
            "line_external_id || '|' || netsuite_item_id || '|'"
            ~ " || cast(quantity as " ~ dbt.type_string() ~ ") || '|'"
            ~ " || coalesce(cast(rate as " ~ dbt.type_string() ~ "), '') || '|'"
            ~ " || cast(amount as " ~ dbt.type_string() ~ ") || '|'"
            ~ " || description",
            "'\n'",
            'order by line_number',
        ) }} as lines_payload_text

    from lines
    group by external_id

),

joined as (

    select
        invoices.invoice_id as external_id,
        invoices.netsuite_customer_id,
        invoices.tran_date,
        invoices.start_date,
        invoices.end_date,
        invoices.currency_code as currency,
        invoices.currency_minor_unit_digits,
        netsuite_currencies.netsuite_currency_id,
        {{ "'" ~ custom_form_id ~ "'" if custom_form_id is not none
            else 'cast(null as ' ~ dbt.type_string() ~ ')' }}
            as netsuite_custom_form_id,
        {{ "'" ~ subsidiary_id ~ "'" if subsidiary_id is not none
            else 'cast(null as ' ~ dbt.type_string() ~ ')' }}
            as netsuite_subsidiary_id,
        invoices.total_amount,
        line_payloads.line_count,
        line_payloads.lines_payload_text,
        invoices.customer_id as metronome_customer_id,
        invoices.billing_month,
        invoices.total_in_credit_units,
        invoices.updated_at as metronome_updated_at

    from invoices
    inner join dispositions
        on invoices.invoice_id = dispositions.external_id
    inner join line_payloads
        on invoices.invoice_id = line_payloads.external_id
    left join netsuite_currencies
        on invoices.currency_code = netsuite_currencies.currency_code

),

final as (

    select
        external_id,
        netsuite_customer_id,
        tran_date,
        start_date,
        end_date,
        currency,
        currency_minor_unit_digits,
        netsuite_currency_id,
        netsuite_custom_form_id,
        netsuite_subsidiary_id,
        total_amount,
        line_count,
        {{ dbt.hash(
            "netsuite_customer_id || '|' || " ~ date_to_iso_text('tran_date')
            ~ " || '|' || " ~ date_to_iso_text('start_date')
            ~ " || '|' || " ~ date_to_iso_text('end_date')
            ~ " || '|' || currency"
            ~ " || '|' || coalesce(netsuite_currency_id, '')"
            ~ " || '|' || coalesce(netsuite_custom_form_id, '')"
            ~ " || '|' || coalesce(netsuite_subsidiary_id, '')"
            ~ " || '|' || cast(total_amount as " ~ dbt.type_string() ~ ")"
            ~ " || '\n' || lines_payload_text"
        ) }} as payload_hash,
        metronome_customer_id,
        billing_month,
        total_in_credit_units,
        metronome_updated_at

    from joined

)

select * from final
