{#
    When DuckDB compacts the incremental tables.

    DuckDB compacts a table (rewrites runs of its row groups without the
    deleted rows) in the checkpoint after a delete. An incremental run deletes
    the old rows of the few invoices it recomputes, and those rows are spread
    over the whole table, so compacting after every run rewrites most of each
    line-grain table to save a row group or two: about 2 s per 10M-row table,
    every run. So compaction waits until it pays, the way a database's
    autovacuum waits for a share of dead rows: this on-run-start hook lets
    checkpoints compact (DuckDB's default, 100 vacuum tasks) when an
    incremental model of this project has at least
    var('duckdb_compaction_deleted_share') of its rows deleted, and stops them
    from compacting otherwise. The setting lives in the dbt process's DuckDB
    instance only, never in the database file. A full refresh writes the
    tables anew, without deleted rows.

    The same hook defers checkpoints to the end of the run. By default DuckDB
    checkpoints at the first commit after its write-ahead log passes 16 MB,
    which in a run of models is nearly every commit: each one rewrote the
    blocks of tables that a later model of the same run changes again, and
    on the critical path. With var('duckdb_checkpoint_threshold', default
    4GB) the log is checkpointed once, when dbt closes the database, which
    DuckDB does on every close; a run that is killed leaves the log, and the
    next connection replays it.
#}
{% macro schedule_compaction() -%}
    {{ return(adapter.dispatch('schedule_compaction', 'metronome_netsuite')()) }}
{%- endmacro %}

{#- Other warehouses reclaim deleted rows themselves: nothing to run. -#}
{% macro default__schedule_compaction() -%}
{%- endmacro %}

{% macro duckdb__schedule_compaction() -%}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set share = deleted_row_share() -%}
    {%- set threshold = var('duckdb_compaction_deleted_share') | float -%}
    {%- set vacuum_tasks = 100 if share >= threshold else 0 -%}
    {{ log(
        'Largest deleted share of an incremental table: ' ~ '%.1f' | format(100 * share)
        ~ '%; compaction ' ~ ('on' if vacuum_tasks else 'deferred'),
        info=false,
    ) }}
    set max_vacuum_tasks = {{ vacuum_tasks }};
    set checkpoint_threshold = '{{ var('duckdb_checkpoint_threshold', '4GB') }}'
{%- endmacro %}


{#-
    The largest share of deleted rows among this project's incremental tables
    (0 when none exists yet). duckdb_tables() counts a table's rows with the
    deleted ones still in storage; count(*) counts the live ones.
-#}
{% macro deleted_row_share() -%}
    {%- set shares = [] -%}
    {%- for node in project_models().values()
        if node.package_name == project_name
        and node.config.materialized == 'incremental' -%}
        {%- set relation = load_relation(node_relation(node)) -%}
        {%- if relation is not none -%}
            {%- do shares.append(
                "select 1 - cast((select count(*) from " ~ relation ~ ") as double)"
                ~ " / nullif(estimated_size, 0) as deleted_share"
                ~ " from duckdb_tables()"
                ~ " where database_name = '" ~ relation.database ~ "'"
                ~ " and schema_name = '" ~ relation.schema ~ "'"
                ~ " and table_name = '" ~ relation.identifier ~ "'"
            ) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not shares -%}
        {{ return(0) }}
    {%- endif -%}
    {%- set largest = scalar_query(
        'select coalesce(max(deleted_share), 0) from (' ~ shares | join(' union all ')
        ~ ') as tables'
    ) -%}
    {{ return(largest | float) }}
{%- endmacro %}
