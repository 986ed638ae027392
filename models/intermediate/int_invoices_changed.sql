-- The invoices an incremental run recomputes: every invoice whose own row or a
-- line was staged, or whose customer, a product or a credit type it uses was
-- delivered, since the downstream model furthest behind last ran (deliveries
-- less the lookback), and every invoice of a customer or product in a mapping
-- override seed. Each invoice-grain model picks the ones changed within its
-- own window, so the history is scanned once per run instead of once per
-- model. Empty when no downstream model has recorded a watermark yet (their
-- first run builds them in full).

{{
    config(
        materialized='table',
        post_hook="{{ record_incremental_watermark() }}",
    )
}}

{%- set window = invoice_changes_window() %}

with

changes as (

    {{ invoice_deliveries(window) }}

),

final as (

    select
        invoice_id,
        max(staged_at) as last_staged_at,
        max(delivered_at) as last_delivered_at,
        max(
            case when staged_at is null and delivered_at is null then 1 else 0 end
        ) = 1 as has_undated_change

    from changes
    group by invoice_id

)

select * from final
