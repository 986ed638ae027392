{#
    Incremental processing.

    The export is an append-only log refreshed every few hours, so each
    scheduled run should cost what changed, not what exists. The large models
    (line items and invoices in staging, every invoice-grain model after them)
    are incremental and follow one rule.

    Every staging row knows when the export delivered it (`exported_at`: the
    transfer time in its file name, or its updated_at for warehouse tables).

    1. Staging re-reads the source rows delivered since the newest delivery it
       holds, less var `metronome_incremental_lookback_hours`, and
       deduplicates them together with the rows it already keeps for the same
       ids, so a stale re-delivery never replaces a newer version.
    2. Downstream, an invoice is recomputed when anything it is built from was
       delivered since the model last ran (less the same lookback): its own
       row, one of its lines, its customer, a product or credit type it uses;
       invoices of customers and products named in the mapping override seeds
       are recomputed on every run. A pre-hook first deletes the model's rows
       for those invoices, so an invoice that stopped being ready leaves the
       ready marts, then the model inserts what they are now.
    3. Where a downstream model has got to is recorded, by a post-hook in the
       same transaction, in table `metronome_netsuite_incremental_watermarks`
       of the model's schema: the newest delivery among its inputs when it
       ran, and the dbt invocation that ran it. A model that failed keeps its
       old watermark, so the next run catches it up. The ready marts hold only
       some invoices, so the newest row they hold would lag behind what they
       have seen; that is why the watermark is kept beside them instead.
    4. Finding the changed invoices scans the history of line items, so it
       is done once per run: model `int_invoices_changed` lists them for the
       window of the downstream model furthest behind, with the newest
       delivery of each, and every model keeps those of its own window. A
       model uses that list only when it was built in the same dbt
       invocation; run on its own (`dbt run -s netsuite_invoices`), it finds
       the changed invoices itself, with the same result.

    A full refresh gives the same rows.
#}

{% macro metronome_incremental_strategy() -%}
    {{ return(adapter.dispatch('metronome_incremental_strategy', 'metronome_netsuite')()) }}
{%- endmacro %}

{% macro default__metronome_incremental_strategy() -%}
    {{ return('merge') }}
{%- endmacro %}

{#- On DuckDB two set operations (delete, insert) beat one MERGE. -#}
{% macro duckdb__metronome_incremental_strategy() -%}
    {{ return('delete+insert') }}
{%- endmacro %}


{#
    The strategy of the models downstream of staging, which recompute whole
    invoices: their pre-hook has already deleted every row of the invoices
    this run recomputes (so an invoice that no longer yields rows leaves
    them), and the model's rows are exactly those invoices' new rows. So on
    DuckDB the insert needs no delete of its own ('append': together with the
    pre-hook, a delete+insert keyed on the invoice); a second delete would
    scan the whole table's keys again for rows that are already gone.
    Elsewhere the adapter's strategy stays, its unique key a guard.
#}
{% macro recomputed_invoices_strategy() -%}
    {{ return(adapter.dispatch('recomputed_invoices_strategy', 'metronome_netsuite')()) }}
{%- endmacro %}

{% macro default__recomputed_invoices_strategy() -%}
    {{ return(metronome_incremental_strategy()) }}
{%- endmacro %}

{% macro duckdb__recomputed_invoices_strategy() -%}
    {{ return('append') }}
{%- endmacro %}


{% macro timestamp_literal(value) -%}
    cast('{{ value }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}


{% macro scalar_query(sql) -%}
    {{ return(run_query(sql).columns[0].values()[0]) }}
{%- endmacro %}


{#- True when this model is being built incrementally (and not unit-tested). -#}
{% macro is_incremental_run() -%}
    {#- dbt unit tests have no `this`: they test the full-refresh query. -#}
    {{ return(execute and this is not none and is_incremental()) }}
{%- endmacro %}


{#
    Staging: the first delivery time this run re-reads, as a SQL literal; none
    when the model is built in full or holds no rows yet.
#}
{% macro staging_window_start() -%}
    {%- if not is_incremental_run() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set lookback_hours = var('metronome_incremental_lookback_hours') | int -%}
    {%- set newest = scalar_query(
        'select ' ~ dbt.dateadd('hour', -lookback_hours, 'max(exported_at)')
        ~ ' from ' ~ this
    ) -%}
    {{ return(none if newest is none else timestamp_literal(newest)) }}
{%- endmacro %}


{#- Rows delivered at or after `window_start`, and undated ones. -#}
{% macro is_in_incremental_window(delivered_at, window_start) -%}
    {%- if window_start is none -%}
        true
    {%- else -%}
        ({{ delivered_at }} >= {{ window_start }} or {{ delivered_at }} is null)
    {%- endif -%}
{%- endmacro %}


{#
    The relations an invoice is built from.
#}
{% macro invoice_change_inputs() -%}
    {{ return({
        'invoices': ref('stg_metronome__invoices'),
        'line_items': ref('stg_metronome__line_items'),
        'customers': ref('stg_metronome__customers'),
        'products': ref('stg_metronome__products'),
        'credit_types': ref('stg_metronome__credit_types'),
        'customer_overrides': ref('netsuite_customer_mapping_overrides'),
        'item_overrides': ref('netsuite_item_mapping_overrides'),
    }) }}
{%- endmacro %}


{#- The newest delivery among an invoice's inputs, as a SQL literal. -#}
{% macro export_frontier() -%}
    {%- set inputs = invoice_change_inputs() -%}
    {%- set parts = [] -%}
    {%- for name in ['invoices', 'line_items', 'customers', 'products', 'credit_types'] -%}
        {%- do parts.append('select max(exported_at) as exported_at from ' ~ inputs[name]) -%}
    {%- endfor -%}
    {%- set newest = scalar_query(
        'select max(exported_at) from (' ~ parts | join(' union all ') ~ ') as deliveries'
    ) -%}
    {{ return(none if newest is none else timestamp_literal(newest)) }}
{%- endmacro %}


{#
    The frontier a model records. Every model after int_invoices_changed
    reads the same staging tables as it did (they are all upstream of it), so
    when it was built in this invocation its recorded frontier is the model's
    too, and the staging tables (every line's delivery time) are not read
    again for each model.
#}
{% macro model_export_frontier() -%}
    {%- if model.name != 'int_invoices_changed' -%}
        {%- set changes = invoice_changes_of_this_invocation() -%}
        {%- if changes is not none -%}
            {%- set recorded = changes[0] -%}
            {{ return(none if recorded is none else timestamp_literal(recorded)) }}
        {%- endif -%}
    {%- endif -%}
    {{ return(export_frontier()) }}
{%- endmacro %}


{% macro watermark_table(database=none, schema=none) -%}
    {{ return(api.Relation.create(
        database=database or this.database,
        schema=schema or this.schema,
        identifier='metronome_netsuite_incremental_watermarks',
    )) }}
{%- endmacro %}


{#
    Downstream: the first delivery time this run recomputes invoices from, as
    a SQL literal; none when the model is built in full, or incrementally
    without a recorded watermark (then every invoice is recomputed). A model
    reads it once when compiled and its pre-hook reads it again, both before
    anything is written, so they agree.
#}
{% macro downstream_window_start() -%}
    {%- if this is not none -%}
        {#- Called on every parse, so dbt records the inputs as dependencies
            even though only incremental runs read them. -#}
        {%- do invoice_change_inputs() -%}
        {%- do ref('int_invoices_changed') -%}
    {%- endif -%}
    {%- if not is_incremental_run() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set window_start = oldest_watermark(watermark_table(), [this.identifier]) -%}
    {{ return(none if window_start is none else timestamp_literal(window_start)) }}
{%- endmacro %}


{#-
    The earliest watermark recorded in `table` for `model_names`, less the
    lookback; none when the table or the rows do not exist.
-#}
{% macro oldest_watermark(table, model_names) -%}
    {%- if load_relation(table) is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set lookback_hours = var('metronome_incremental_lookback_hours') | int -%}
    {{ return(scalar_query(
        'select ' ~ dbt.dateadd('hour', -lookback_hours, 'min(exported_through)')
        ~ ' from ' ~ table ~ " where model_name in ('" ~ model_names | join("', '") ~ "')"
    )) }}
{%- endmacro %}


{#
    int_invoices_changed: the first delivery time it lists invoices from, as a
    SQL literal: the earliest window among the models built from it (each
    model's watermark is read from its own schema). None when none of them
    has a watermark yet: then they are all built in full and none reads the
    list. A full refresh still lists the changes, for a model configured
    with `full_refresh: false`.
#}
{% macro invoice_changes_window_start() -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set models_by_table = {} -%}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'model' and model.unique_id in node.depends_on.nodes -%}
        {%- set table = watermark_table(node.database, node.schema) -%}
        {%- do models_by_table.setdefault(table | string, {'table': table, 'names': []})
            .names.append(node.alias) -%}
    {%- endfor -%}
    {%- set window_starts = [] -%}
    {%- for entry in models_by_table.values() -%}
        {%- set window_start = oldest_watermark(entry.table, entry.names) -%}
        {%- if window_start is not none -%}
            {%- do window_starts.append(window_start) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(timestamp_literal(window_starts | min) if window_starts else none) }}
{%- endmacro %}


{#-
    True when int_invoices_changed was built by this dbt invocation, so it
    lists the changes of every window this run reads.
-#}
{% macro invoice_changes_are_current() -%}
    {{ return(invoice_changes_of_this_invocation() is not none) }}
{%- endmacro %}


{#-
    The watermark row int_invoices_changed recorded in this dbt invocation,
    as [exported_through]; none when this invocation did not build it.
-#}
{% macro invoice_changes_of_this_invocation() -%}
    {%- set changes = ref('int_invoices_changed') -%}
    {%- set table = watermark_table(changes.database, changes.schema) -%}
    {%- if load_relation(table) is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set rows = run_query(
        'select exported_through from ' ~ table
        ~ " where model_name = '" ~ changes.identifier ~ "'"
        ~ " and dbt_invocation_id = '" ~ invocation_id ~ "'"
    ).rows -%}
    {{ return(rows[0] if rows | length == 1 else none) }}
{%- endmacro %}


{#- Ids of the invoices whose inputs were delivered at or after `window_start`. -#}
{% macro changed_invoice_ids(window_start) -%}
    select invoice_id from ({{ invoice_deliveries(window_start) }}) as deliveries
{%- endmacro %}


{#
    One row per input of an invoice delivered at or after `window_start`
    (invoice_id, delivered_at): its own row, its lines, and its customer,
    products and credit types. The customers and products of the mapping
    override seeds count as delivered, undated (null), so their invoices are
    recomputed on every run; so do undated rows. No rows when `window_start`
    is none. Used by int_invoices_changed and, when a model runs without it,
    by changed_invoice_ids().
#}
{% macro invoice_deliveries(window_start) -%}
    {%- set inputs = invoice_change_inputs() -%}
    {%- set in_window = 'false' if window_start is none
        else is_in_incremental_window('exported_at', window_start) -%}
    {%- set override_applies = 'false' if window_start is none else 'true' %}
    with

    -- Customers, products and credit types delivered in the window, and the
    -- customers and products of the override seeds, undated: their invoices are
    -- recomputed on every run.
    customer_changes as (

        select
            customer_id,
            exported_at as delivered_at

        from {{ inputs.customers }}
        where {{ in_window }}

        union all

        select
            metronome_customer_id as customer_id,
            cast(null as {{ dbt.type_timestamp() }}) as delivered_at

        from {{ inputs.customer_overrides }}
        where {{ override_applies }}

    ),

    product_changes as (

        select
            product_id,
            exported_at as delivered_at

        from {{ inputs.products }}
        where {{ in_window }}

        union all

        select
            metronome_product_id as product_id,
            cast(null as {{ dbt.type_timestamp() }}) as delivered_at

        from {{ inputs.item_overrides }}
        where {{ override_applies }}

    ),

    credit_type_changes as (

        select
            credit_type_id,
            exported_at as delivered_at

        from {{ inputs.credit_types }}
        where {{ in_window }}

    )

    -- One row per input delivered in the window, with its delivery time. Each
    -- branch reads its staging table itself: a CTE of invoices or line items
    -- shared by several branches would be materialized whole, history included,
    -- before any branch could filter it.
    select
        invoice_id,
        exported_at as delivered_at

    from {{ inputs.invoices }}
    where {{ in_window }}

    union all

    select
        invoice_id,
        exported_at as delivered_at

    from {{ inputs.line_items }}
    where {{ in_window }}

    union all

    select
        invoices.invoice_id,
        customer_changes.delivered_at

    from {{ inputs.invoices }} as invoices
    inner join customer_changes
        on invoices.customer_id = customer_changes.customer_id

    union all

    select
        invoices.invoice_id,
        credit_type_changes.delivered_at

    from {{ inputs.invoices }} as invoices
    inner join credit_type_changes
        on invoices.credit_type_id = credit_type_changes.credit_type_id

    union all

    select
        line_items.invoice_id,
        product_changes.delivered_at

    from {{ inputs.line_items }} as line_items
    inner join product_changes
        on line_items.product_id = product_changes.product_id

    union all

    select
        line_items.invoice_id,
        credit_type_changes.delivered_at

    from {{ inputs.line_items }} as line_items
    inner join credit_type_changes
        on line_items.credit_type_id = credit_type_changes.credit_type_id
{%- endmacro %}


{#
    Predicate on `invoice_id_column` that keeps the invoices this run has to
    recompute, given `window_start` from downstream_window_start(): all of
    them when it is none.
#}
{% macro is_changed_invoice(invoice_id_column, window_start) -%}
    {%- if window_start is none -%}
        true
    {%- elif invoice_changes_are_current() -%}
        {{ invoice_id_column }} in (
            select invoice_id from {{ ref('int_invoices_changed') }}
            where {{ is_in_incremental_window('last_delivered_at', window_start) }}
        )
    {%- else -%}
        {{ invoice_id_column }} in ({{ changed_invoice_ids(window_start) }})
    {%- endif -%}
{%- endmacro %}


{#- Pre-hook: remove the rows of the invoices this run recomputes. -#}
{% macro delete_changed_invoices(invoice_id_column) -%}
    {%- if is_incremental_run() -%}
        delete from {{ this }}
        where {{ is_changed_invoice(invoice_id_column, downstream_window_start()) }}
    {%- endif -%}
{%- endmacro %}


{#
    Post-hook: record how far this model has processed the export. The
    frontier is read from the staging tables, which are upstream of this
    model and so do not change while it runs: what it records is exactly
    what the model read.
#}
{% macro record_incremental_watermark() -%}
    {%- if execute and this is not none -%}
        {%- set table = watermark_table() -%}
        {%- set frontier = model_export_frontier() -%}
        create table if not exists {{ table }} (
            model_name {{ dbt.type_string() }},
            exported_through {{ dbt.type_timestamp() }},
            dbt_invocation_id {{ dbt.type_string() }}
        );
        delete from {{ table }} where model_name = '{{ this.identifier }}';
        insert into {{ table }} (model_name, exported_through, dbt_invocation_id)
        select
            '{{ this.identifier }}',
            {{ frontier if frontier is not none else 'null' }},
            '{{ invocation_id }}'
    {%- endif -%}
{%- endmacro %}
