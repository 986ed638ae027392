-- The invoices an incremental run recomputes: every invoice whose own row, a
-- line, its customer, a product or a credit type it uses was delivered since
-- the downstream model furthest behind last ran, less the lookback, and every
-- invoice of a customer or product in a mapping override seed. Each invoice-
-- grain model picks the ones delivered within its own window, so the history
-- is scanned once per run instead of once per model. Empty when no downstream
-- model has recorded a watermark yet (their first run builds them in full).

{{
    config(
        materialized='table',
        post_hook="{{ record_incremental_watermark() }}",
    )
}}

{%- set window_start = invoice_changes_window_start() %}

with

deliveries as (

    {{ invoice_deliveries(window_start) }}

),

final as (

    select
        invoice_id,
        case
            when max(case when delivered_at is null then 1 else 0 end) = 0
                then max(delivered_at)
        end as last_delivered_at

    from deliveries
    group by invoice_id

)

select * from final
