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
{%- set in_window = 'false' if window_start is none
    else is_in_incremental_window('exported_at', window_start) %}
{%- set override_applies = 'false' if window_start is none else 'true' %}

with

-- Customers, products and credit types delivered in the window, and the
-- customers and products of the override seeds, undated: their invoices are
-- recomputed on every run.
customer_changes as (

    select
        customer_id,
        exported_at as delivered_at

    from {{ ref('stg_metronome__customers') }}
    where {{ in_window }}

    union all

    select
        metronome_customer_id as customer_id,
        cast(null as {{ dbt.type_timestamp() }}) as delivered_at

    from {{ ref('netsuite_customer_mapping_overrides') }}
    where {{ override_applies }}

),

product_changes as (

    select
        product_id,
        exported_at as delivered_at

    from {{ ref('stg_metronome__products') }}
    where {{ in_window }}

    union all

    select
        metronome_product_id as product_id,
        cast(null as {{ dbt.type_timestamp() }}) as delivered_at

    from {{ ref('netsuite_item_mapping_overrides') }}
    where {{ override_applies }}

),

credit_type_changes as (

    select
        credit_type_id,
        exported_at as delivered_at

    from {{ ref('stg_metronome__credit_types') }}
    where {{ in_window }}

),

-- One row per input delivered in the window, with its delivery time. Each
-- branch reads its staging table itself: a CTE of invoices or line items
-- shared by several branches would be materialized whole, history included,
-- before any branch could filter it.
deliveries as (

    select
        invoice_id,
        exported_at as delivered_at

    from {{ ref('stg_metronome__invoices') }}
    where {{ in_window }}

    union all

    select
        invoice_id,
        exported_at as delivered_at

    from {{ ref('stg_metronome__line_items') }}
    where {{ in_window }}

    union all

    select
        invoices.invoice_id,
        customer_changes.delivered_at

    from {{ ref('stg_metronome__invoices') }} as invoices
    inner join customer_changes
        on invoices.customer_id = customer_changes.customer_id

    union all

    select
        invoices.invoice_id,
        credit_type_changes.delivered_at

    from {{ ref('stg_metronome__invoices') }} as invoices
    inner join credit_type_changes
        on invoices.credit_type_id = credit_type_changes.credit_type_id

    union all

    select
        line_items.invoice_id,
        product_changes.delivered_at

    from {{ ref('stg_metronome__line_items') }} as line_items
    inner join product_changes
        on line_items.product_id = product_changes.product_id

    union all

    select
        line_items.invoice_id,
        credit_type_changes.delivered_at

    from {{ ref('stg_metronome__line_items') }} as line_items
    inner join credit_type_changes
        on line_items.credit_type_id = credit_type_changes.credit_type_id

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
