{#
    Incremental processing.

    The export is an append-only log refreshed every few hours, so each
    scheduled run should cost what changed, not what exists. The large models
    (line items and invoices in staging, every invoice-grain model after them)
    are incremental and follow one rule.

    Every staging row knows when the export delivered it (`exported_at`: the
    transfer time in its file name, or its updated_at for warehouse tables).
    The two incremental staging models also record when they wrote it
    (`staged_at`: the start of the dbt invocation).

    1. Staging re-reads the source rows delivered since the newest delivery it
       holds, less var `metronome_incremental_lookback_hours`, and
       deduplicates them together with the rows it already keeps for the same
       ids, so a stale re-delivery never replaces a newer version. Only rows
       that are new, or newer than the version held, are written (and
       stamped): re-reading the lookback changes nothing downstream. From the
       object-storage export it opens only the files of that window it holds
       no row of (metronome_export_rows()): the files that landed late, not
       the ones it has staged.
    2. Downstream, an invoice is recomputed when anything it is built from
       changed since the model, or the incremental model built from it that
       is furthest behind, last ran: its own row or one of its lines was
       staged since then, or its customer, a product or credit type it uses
       was delivered since then, less the lookback (those small tables are
       rebuilt in full by every run, so they have no staging time);
       invoices of customers and products named in the mapping override
       seeds are recomputed on every run. A pre-hook first deletes the
       model's rows for those invoices, so an invoice that stopped being
       ready leaves the ready marts, then the model inserts what they are
       now. int_invoice_lines_enriched stamps the rows it writes with
       `recomputed_at`, so the models built from it in the same run read
       only those rows (recomputed_in_this_run()).
    3. Where a downstream model has got to is recorded, by a post-hook in the
       same transaction, in table `metronome_netsuite_incremental_watermarks`
       of the model's schema: the newest delivery (`exported_through`) and
       the newest staging time (`staged_through`) among its inputs when it
       ran, and the dbt invocation that ran it. A model that failed keeps its
       old watermark, so the next run catches it up; a model without both
       recorded recomputes every invoice. The ready marts hold only some
       invoices, so the newest row they hold would lag behind what they have
       seen; that is why the watermark is kept beside them instead.
    4. Finding the changed invoices scans line items (the staged ones, at the
       end of the table, and every line of a product that changed), so it
       is done once per run: model `int_invoices_changed` lists them for the
       window of the downstream model furthest behind, with the newest
       staging and delivery time of each, and every model keeps those of its
       own window. A model uses that list only when it was built in the same
       dbt invocation; run on its own (`dbt run -s netsuite_invoices`), it
       finds the changed invoices itself, with the same result.

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


{#-
    What staging stamps on the rows it writes (`staged_at`): the start of this
    dbt invocation, the same for every model it runs.
-#}
{% macro staging_run_time() -%}
    {{ timestamp_literal(run_started_at.strftime('%Y-%m-%d %H:%M:%S.%f')) }}
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


{#-
    How far an invoice's inputs reach, keyed as the watermark columns:
    {'exported_through': the newest delivery among them, 'staged_through':
    the newest staging time of its invoice and line rows}, each none when
    there is no row.
-#}
{% macro export_frontier() -%}
    {%- set inputs = invoice_change_inputs() -%}
    {%- set deliveries = [] -%}
    {%- for name in ['invoices', 'line_items', 'customers', 'products', 'credit_types'] -%}
        {%- do deliveries.append('select max(exported_at) as exported_at from ' ~ inputs[name]) -%}
    {%- endfor -%}
    {%- set stagings = [] -%}
    {%- for name in ['invoices', 'line_items'] -%}
        {%- do stagings.append('select max(staged_at) as staged_at from ' ~ inputs[name]) -%}
    {%- endfor -%}
    {%- set row = run_query(
        'select (select max(exported_at) from (' ~ deliveries | join(' union all ')
        ~ ') as deliveries), (select max(staged_at) from ('
        ~ stagings | join(' union all ') ~ ') as stagings)'
    ).rows[0] -%}
    {{ return({'exported_through': row[0], 'staged_through': row[1]}) }}
{%- endmacro %}


{#
    The frontier a model records, as export_frontier(). Every model after
    int_invoices_changed reads the same staging tables as it did (they are
    all upstream of it), so when it was built in this invocation its recorded
    frontier is the model's too, and the staging tables are not read again
    for each model.
#}
{% macro model_export_frontier() -%}
    {%- if model.name != 'int_invoices_changed' -%}
        {%- set changes = invoice_changes_of_this_invocation() -%}
        {%- if changes is not none -%}
            {{ return(changes) }}
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
    Downstream: the window of changes this run recomputes invoices for, as
    SQL literals: {'delivered_from': the first delivery time, 'staged_after':
    the staging time after which}. It is the oldest window among the model
    and every incremental model built from it, so a model recomputes what it,
    or any model downstream of it, has not seen yet: every invoice a
    downstream model recomputes in this run has its rows rewritten by this
    model in the same run (see recomputed_in_this_run()). In the steady
    state all those models ran together last time and the window is the
    model's own. None when the model is built in full, or incrementally
    without a recorded watermark for any of them (then every invoice is
    recomputed). A model reads it once when compiled and its pre-hook reads
    it again, both before anything is written (the models downstream run
    after it), so they agree.

    The same read tells which of the models this one reads were built
    earlier in this dbt invocation ('built_in_this_invocation', as
    watermark_key() names them): int_invoices_changed and the incremental
    models it is built from. One query per watermark table, however many
    times the model asks.
#}
{% macro downstream_window() -%}
    {%- if this is not none -%}
        {#- Called on every parse, so dbt records the inputs as dependencies
            even though only incremental runs read them. -#}
        {%- do invoice_change_inputs() -%}
        {%- do ref('int_invoices_changed') -%}
    {%- endif -%}
    {%- if not is_incremental_run() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set models = project_models() -%}
    {%- set recomputing = [this] -%}
    {%- for unique_id in downstream_models(model.unique_id, models)
        if models[unique_id].config.materialized == 'incremental' -%}
        {%- do recomputing.append(node_relation(models[unique_id])) -%}
    {%- endfor -%}
    {%- set upstream = [ref('int_invoices_changed')] -%}
    {%- for unique_id in model.depends_on.nodes
        if unique_id in models and models[unique_id].config.materialized == 'incremental' -%}
        {%- do upstream.append(node_relation(models[unique_id])) -%}
    {%- endfor -%}
    {%- set recorded = recorded_watermarks(recomputing + upstream) -%}
    {%- set window = window_literals(oldest_window(recorded, recomputing)) -%}
    {%- if window is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set built = [] -%}
    {%- for key, record in recorded.items() if record.dbt_invocation_id == invocation_id -%}
        {%- do built.append(key) -%}
    {%- endfor -%}
    {%- do window.update({'built_in_this_invocation': built}) -%}
    {{ return(window) }}
{%- endmacro %}


{#- The relation of model graph node `node`. -#}
{% macro node_relation(node) -%}
    {{ return(api.Relation.create(
        database=node.database, schema=node.schema, identifier=node.alias
    )) }}
{%- endmacro %}


{#-
    The graph nodes of every model, by unique id. dbt hands `graph.nodes`
    out by converting a node to a dict each time one is read, and most nodes
    are tests, so macros that walk the models read them through this, once.
-#}
{% macro project_models() -%}
    {%- set models = {} -%}
    {%- for unique_id in graph.nodes if unique_id.startswith('model.') -%}
        {%- do models.update({unique_id: graph.nodes[unique_id]}) -%}
    {%- endfor -%}
    {{ return(models) }}
{%- endmacro %}


{#-
    Unique ids of every model built, directly or not, from model `unique_id`;
    `models` as project_models() gives them.
-#}
{% macro downstream_models(unique_id, models) -%}
    {%- set found = [] -%}
    {%- set frontier = [unique_id] -%}
    {#- Breadth first: the loop also visits the ids appended to `frontier` as it goes. -#}
    {%- for parent in frontier -%}
        {%- for node in models.values()
            if parent in node.depends_on.nodes and node.unique_id not in found -%}
            {%- do found.append(node.unique_id) -%}
            {%- do frontier.append(node.unique_id) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(found) }}
{%- endmacro %}


{#-
    Every watermark recorded in the watermark tables of the schemas of
    `relations`, each as watermark_rows() gives it, keyed by watermark_key():
    one query per table.
-#}
{% macro recorded_watermarks(relations) -%}
    {%- set tables = {} -%}
    {%- for relation in relations -%}
        {%- set table = watermark_table(relation.database, relation.schema) -%}
        {%- do tables.update({table | string: table}) -%}
    {%- endfor -%}
    {%- set recorded = {} -%}
    {%- for name, table in tables.items() -%}
        {%- for record in watermark_rows(table, 'true') -%}
            {%- do recorded.update({name ~ '/' ~ record.model_name: record}) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(recorded) }}
{%- endmacro %}


{#- How recorded_watermarks() names the watermark of the model of `relation`. -#}
{% macro watermark_key(relation) -%}
    {{ return(
        (watermark_table(relation.database, relation.schema) | string)
        ~ '/' ~ relation.identifier
    ) }}
{%- endmacro %}


{#-
    The widest window among the watermarks `recorded` (recorded_watermarks())
    for the models of `relations`: {'delivered_from': the earliest delivery
    recorded, less the lookback, 'staged_after': the earliest staging time
    recorded}, as timestamps. Models without both recorded are left out;
    none when no model has them.
-#}
{% macro oldest_window(recorded, relations) -%}
    {%- set found = [] -%}
    {%- for relation in relations -%}
        {%- set record = recorded.get(watermark_key(relation)) -%}
        {%- if record is not none and record.exported_through is not none
            and record.staged_through is not none -%}
            {%- do found.append(record) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if found | length == 0 -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set lookback = modules.datetime.timedelta(
        hours=var('metronome_incremental_lookback_hours') | int
    ) -%}
    {{ return({
        'delivered_from': (found | map(attribute='exported_through') | min) - lookback,
        'staged_after': found | map(attribute='staged_through') | min,
    }) }}
{%- endmacro %}


{% macro window_literals(window) -%}
    {%- if window is none -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return({
        'delivered_from': timestamp_literal(window.delivered_from),
        'staged_after': timestamp_literal(window.staged_after),
    }) }}
{%- endmacro %}


{#-
    The rows of watermark table `table` that match SQL `condition`, each as
    a dict of its columns. A column the table lacks (it was created by an
    earlier version of this project) reads as none, so a model that has not
    recorded it yet is built as if it had no watermark.
-#}
{% macro watermark_rows(table, condition) -%}
    {%- if load_relation(table) is none -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set result = run_query('select * from ' ~ table ~ ' where ' ~ condition) -%}
    {%- set names = result.column_names | map('lower') | list -%}
    {%- set records = [] -%}
    {%- for row in result.rows -%}
        {%- set record = {} -%}
        {%- for name in ['model_name', 'exported_through', 'staged_through', 'dbt_invocation_id'] -%}
            {%- do record.update({name: row[names.index(name)] if name in names else none}) -%}
        {%- endfor -%}
        {%- do records.append(record) -%}
    {%- endfor -%}
    {{ return(records) }}
{%- endmacro %}


{#
    int_invoices_changed: the window it lists invoices for, as
    downstream_window(): the widest window among the models built from
    it (each model's watermark is read from its own schema). None when none
    of them has a watermark yet: then they are all built in full and none
    reads the list. A full refresh still lists the changes, for a model
    configured with `full_refresh: false`.
#}
{% macro invoice_changes_window() -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set models = [] -%}
    {%- for node in project_models().values()
        if model.unique_id in node.depends_on.nodes -%}
        {%- do models.append(node_relation(node)) -%}
    {%- endfor -%}
    {{ return(window_literals(oldest_window(recorded_watermarks(models), models))) }}
{%- endmacro %}


{#-
    The watermark row int_invoices_changed recorded in this dbt invocation,
    as watermark_rows() gives it; none when this invocation did not build it.
-#}
{% macro invoice_changes_of_this_invocation() -%}
    {%- set relation = ref('int_invoices_changed') -%}
    {%- set rows = watermark_rows(
        watermark_table(relation.database, relation.schema),
        "model_name = '" ~ relation.identifier ~ "'"
        ~ " and dbt_invocation_id = '" ~ invocation_id ~ "'"
    ) -%}
    {{ return(rows[0] if rows | length == 1 else none) }}
{%- endmacro %}


{#- Ids of the invoices whose inputs changed in `window` (downstream_window()). -#}
{% macro changed_invoice_ids(window) -%}
    select invoice_id from ({{ invoice_deliveries(window) }}) as deliveries
{%- endmacro %}


{#
    One row per change to an input of an invoice in `window`
    (downstream_window()): (invoice_id, staged_at, delivered_at). Its
    own row or a line staged after window.staged_after carries staged_at; its
    customer, a product or credit type delivered from window.delivered_from
    on carries delivered_at. The customers and products of the mapping
    override seeds count as changed, undated (both null), so their invoices
    are recomputed on every run; so do customers, products and credit types
    without a delivery time. No rows when `window` is none. Used by
    int_invoices_changed and, when a model runs without it, by
    changed_invoice_ids().
#}
{% macro invoice_deliveries(window) -%}
    {%- set inputs = invoice_change_inputs() -%}
    {%- set in_window = 'false' if window is none
        else is_in_incremental_window('exported_at', window.delivered_from) -%}
    {%- set staged_in_window = 'false' if window is none
        else 'staged_at > ' ~ window.staged_after -%}
    {%- set override_applies = 'false' if window is none else 'true' -%}
    {%- set no_time = 'cast(null as ' ~ dbt.type_timestamp() ~ ')' %}
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
            {{ no_time }} as delivered_at

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
            {{ no_time }} as delivered_at

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

    -- One row per change in the window. Each branch reads its staging table
    -- itself: a CTE of invoices or line items shared by several branches would
    -- be materialized whole, history included, before any branch could filter
    -- it. Staging appends what it writes, so the staged rows of a run sit
    -- together at the end of each table and a scan on staged_at skips the rest.
    select
        invoice_id,
        staged_at,
        {{ no_time }} as delivered_at

    from {{ inputs.invoices }}
    where {{ staged_in_window }}

    union all

    select
        invoice_id,
        staged_at,
        {{ no_time }} as delivered_at

    from {{ inputs.line_items }}
    where {{ staged_in_window }}

    union all

    select
        invoices.invoice_id,
        {{ no_time }} as staged_at,
        customer_changes.delivered_at

    from {{ inputs.invoices }} as invoices
    inner join customer_changes
        on invoices.customer_id = customer_changes.customer_id

    union all

    select
        invoices.invoice_id,
        {{ no_time }} as staged_at,
        credit_type_changes.delivered_at

    from {{ inputs.invoices }} as invoices
    inner join credit_type_changes
        on invoices.credit_type_id = credit_type_changes.credit_type_id

    union all

    select
        line_items.invoice_id,
        {{ no_time }} as staged_at,
        product_changes.delivered_at

    from {{ inputs.line_items }} as line_items
    inner join product_changes
        on line_items.product_id = product_changes.product_id

    union all

    select
        line_items.invoice_id,
        {{ no_time }} as staged_at,
        credit_type_changes.delivered_at

    from {{ inputs.line_items }} as line_items
    inner join credit_type_changes
        on line_items.credit_type_id = credit_type_changes.credit_type_id
{%- endmacro %}


{#
    Predicate on `invoice_id_column` that keeps the invoices this run has to
    recompute, given `window` from downstream_window(): all of them
    when it is none. They come from int_invoices_changed when this
    invocation built it, else from the staging tables themselves.
#}
{% macro is_changed_invoice(invoice_id_column, window) -%}
    {%- if window is none -%}
        true
    {%- elif watermark_key(ref('int_invoices_changed')) in window.built_in_this_invocation -%}
        {{ invoice_id_column }} in (
            select invoice_id from {{ ref('int_invoices_changed') }}
            where last_staged_at > {{ window.staged_after }}
                or last_delivered_at >= {{ window.delivered_from }}
                or has_undated_change
        )
    {%- else -%}
        {{ invoice_id_column }} in ({{ changed_invoice_ids(window) }})
    {%- endif -%}
{%- endmacro %}


{#-
    What int_invoice_lines_enriched stamps on the rows it writes
    (`recomputed_at`): the start of this dbt invocation, as staging_run_time().
-#}
{% macro recomputation_time() -%}
    {{ staging_run_time() }}
{%- endmacro %}


{#
    A filter for reading the changed invoices' rows of `relation`, an
    upstream model that stamps its rows with `recomputed_at`: when that
    model was built in this dbt invocation, only the rows it wrote in it.
    They are appended at the end of its table, so the scan skips the rest
    of the history, where the changed invoices' rows would otherwise have to
    be picked out of every block. It is exact: the upstream model's window
    is at least as old as this model's (downstream_window()), so it
    recomputed, and rewrote, every invoice this model recomputes. True when
    this model recomputes every invoice (`window` none) or the upstream model
    was not built in this invocation. `relation` must be an incremental
    model this one is built from (downstream_window() reads its watermark).
#}
{% macro recomputed_in_this_run(relation, window) -%}
    {%- if window is not none
        and watermark_key(relation) in window.built_in_this_invocation -%}
        recomputed_at = {{ recomputation_time() }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}


{#- Pre-hook: remove the rows of the invoices this run recomputes. -#}
{% macro delete_changed_invoices(invoice_id_column) -%}
    {%- if is_incremental_run() -%}
        delete from {{ this }}
        where {{ is_changed_invoice(invoice_id_column, downstream_window()) }}
    {%- endif -%}
{%- endmacro %}


{#
    Post-hook: record how far this model has processed the export. The
    frontier is read from the staging tables, which are upstream of this
    model and so do not change while it runs: what it records is exactly
    what the model read. A table created by an earlier version of this
    project gains the staged_through column here. (The relation cache may
    not know of a table another thread has just created: hence `if not
    exists`.)
#}
{% macro record_incremental_watermark() -%}
    {%- if execute and this is not none -%}
        {%- set table = watermark_table() -%}
        {%- set frontier = model_export_frontier() -%}
        {%- set existing = load_relation(table) %}
        create table if not exists {{ table }} (
            model_name {{ dbt.type_string() }},
            exported_through {{ dbt.type_timestamp() }},
            staged_through {{ dbt.type_timestamp() }},
            dbt_invocation_id {{ dbt.type_string() }}
        );
        {%- if existing is not none and 'staged_through' not in (
            adapter.get_columns_in_relation(existing) | map(attribute='name') | map('lower') | list
        ) %}
        alter table {{ table }} add column staged_through {{ dbt.type_timestamp() }};
        {%- endif %}
        delete from {{ table }} where model_name = '{{ this.identifier }}';
        insert into {{ table }} (model_name, exported_through, staged_through, dbt_invocation_id)
        select
            '{{ this.identifier }}',
            {%- for column in ['exported_through', 'staged_through'] %}
            {{ 'null' if frontier[column] is none else timestamp_literal(frontier[column]) }},
            {%- endfor %}
            '{{ invocation_id }}'
    {%- endif -%}
{%- endmacro %}
