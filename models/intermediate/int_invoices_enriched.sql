-- One row per deduplicated invoice: customer mapping, currency, NetSuite dates,
-- rounded totals, line aggregates, and the exclusion rule that applies, if any.

{{
    config(
        materialized='incremental',
        unique_key='invoice_id',
        incremental_strategy=recomputed_invoices_strategy(),
        on_schema_change='fail',
        pre_hook="{{ delete_changed_invoices('invoice_id') }}",
        post_hook="{{ record_incremental_watermark() }}",
    )
}}

{%- set window = downstream_window() %}
{%- set is_changed = is_changed_invoice('invoice_id', window) %}

with

invoices as (

    select * from {{ ref('stg_metronome__invoices') }}
    where {{ is_changed }}

),

customers as (

    select * from {{ ref('int_customers_mapped') }}

),

credit_types as (

    select * from {{ ref('int_credit_types_resolved') }}

),

lines as (

    select * from {{ ref('int_invoice_lines_enriched') }}
    where {{ is_changed }}
        and {{ recomputed_in_this_run(ref('int_invoice_lines_enriched'), window) }}

),

line_totals as (

    select
        invoice_id,
        cast(count(*) as integer) as included_line_count,
        sum(amount_before_remainder) as sum_of_rounded_line_amounts,
        max(case when has_unsupported_credit_type then 1 else 0 end) = 1
            as has_line_with_unsupported_credit_type

    from lines
    where is_included
    group by invoice_id

),

joined as (

    select
        invoices.invoice_id,
        invoices.customer_id,
        invoices.environment_type,
        invoices.invoice_status,
        invoices.total_in_credit_units,
        invoices.credit_type_id,
        coalesce(credit_types.credit_type_name, invoices.credit_type_name)
            as credit_type_name,
        coalesce(credit_types.is_supported, false) as is_credit_type_supported,
        credit_types.is_currency as is_credit_type_currency,
        credit_types.currency_code,
        credit_types.currency_minor_unit_digits,
        {{ round_to_minor_unit(
            'invoices.total_in_credit_units * credit_types.major_units_per_credit_unit',
            'credit_types.currency_minor_unit_digits',
        ) }} as total_amount,
        invoices.period_start_at,
        invoices.period_end_at,
        invoices.issued_at,
        invoices.updated_at,
        customers.customer_id is not null as is_customer_in_export,
        customers.customer_name,
        customers.netsuite_customer_id,
        customers.customer_mapping_source,
        customers.has_valid_custom_fields_json as has_valid_customer_json,
        customers.needs_custom_fields_json as needs_customer_json,
        customers.is_netsuite_destination,
        coalesce(line_totals.included_line_count, 0) as included_line_count,
        line_totals.sum_of_rounded_line_amounts,
        coalesce(line_totals.has_line_with_unsupported_credit_type, false)
            as has_line_with_unsupported_credit_type

    from invoices
    left join customers
        on invoices.customer_id = customers.customer_id
    left join credit_types
        on invoices.credit_type_id = credit_types.credit_type_id
    left join line_totals
        on invoices.invoice_id = line_totals.invoice_id

),

dated as (

    select
        *,
        cast(period_start_at as date) as start_date,
        -- The period end is exclusive: an end at midnight covers the day before.
        cast(
            {{ dbt.dateadd('microsecond', -1, 'period_end_at') }} as date
        ) as end_date

    from joined

),

checked as (

    select
        *,
        coalesce(cast(issued_at as date), end_date) as tran_date,
        cast({{ dbt.date_trunc('month', 'start_date') }} as date)
            as billing_month,
        total_amount - coalesce(sum_of_rounded_line_amounts, 0)
            as rounding_difference,
        {{ half_minor_unit('currency_minor_unit_digits') }}
        * included_line_count as rounding_tolerance,
        (
            customer_id is null
            or total_in_credit_units is null
            or credit_type_id is null
            or period_start_at is null
            or period_end_at is null
        ) as has_missing_required_field

    from dated

),

final as (

    select
        *,
        total_amount is not null
        and not has_line_with_unsupported_credit_type
        and abs(rounding_difference) > rounding_tolerance
            as has_lines_not_summing_to_total,
        case
            when {{ environment_is_not_selected('environment_type') }}
                then 'environment_not_selected'
            when invoice_status = 'VOID' then 'void'
            when is_netsuite_destination = false then 'not_netsuite_destination'
            when coalesce(total_amount, total_in_credit_units) = 0
                then 'zero_total'
        end as exclusion_reason_code

    from checked

)

select * from final
