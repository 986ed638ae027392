{#
    When sources are read straight from the object-storage export
    (var metronome_export_path, DuckDB only), every row knows the file it came
    from. Files are named <part>_<YYYYMMDDHHMMSS>.parquet, so ordering by the
    transfer timestamp and then the file name breaks ties between rows that
    share an updated_at: the later transfer wins.

    Warehouse tables carry no file name; there a fingerprint of the row's
    content breaks the tie instead, which is deterministic and, for the
    common case of identical re-deliveries, irrelevant.
#}
{% macro metronome_transfer_order_key(content_columns) -%}
    {%- if var('metronome_export_path') -%}
        coalesce({{ regexp_capture('filename', '_([0-9]{14})[.]parquet$') }}, '') || filename
    {%- else -%}
        {{ row_fingerprint(content_columns) }}
    {%- endif -%}
{%- endmacro %}


{% macro row_fingerprint(columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- do parts.append(
            "coalesce(cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), '\x1f')"
        ) -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}


{#
    When the export delivered a row: the transfer timestamp in its file name
    when sources are read from the object-storage export, else the row's
    updated_at (warehouse tables carry no load time; a row is delivered after
    it is updated). Incremental runs select new and re-delivered rows by it.
#}
{% macro metronome_exported_at(updated_at_column='updated_at') -%}
    {%- if var('metronome_export_path') -%}
        {{ metronome_exported_at_of_file('filename') }}
    {%- else -%}
        cast({{ updated_at_column }} as {{ dbt.type_timestamp() }})
    {%- endif -%}
{%- endmacro %}


{#- The transfer time in an export file's name (`<part>_<YYYYMMDDHHMMSS>.parquet`). -#}
{% macro metronome_exported_at_of_file(file_name) -%}
    strptime(
        {{ regexp_capture(file_name, '_([0-9]{14})[.]parquet$') }},
        '%Y%m%d%H%M%S'
    )
{%- endmacro %}


{#
    The rows of export table `table_name` an incremental staging run has to
    read. In the object-storage layout the transfer time is in every file's
    name, so only the files delivered from `window_start` on are opened: a run
    reads what arrived since the last one, not the whole history (DuckDB does
    not prune files on an expression of `filename` by itself). Otherwise, and
    on a full build, this is the source itself.
#}
{% macro metronome_export_rows(table_name, window_start) -%}
    {%- set relation = source('metronome', table_name) -%}
    {%- if window_start is none or not var('metronome_export_path') or not execute -%}
        {{ return(relation) }}
    {%- endif -%}
    {%- set pattern = var('metronome_export_path') ~ '/' ~ table_name ~ '/*/*.parquet' -%}
    {%- set delivered_files = run_query(
        "select file from glob('" ~ pattern ~ "') where "
        ~ is_in_incremental_window(metronome_exported_at_of_file('file'), window_start)
        ~ " order by file"
    ).columns[0].values() | map('replace', "'", "''") | list -%}
    {%- if delivered_files | length == 0 -%}
        {{ return('(select * from ' ~ relation ~ ' where false)') }}
    {%- endif -%}
    {{ return(
        "read_parquet(['" ~ delivered_files | join("', '") ~ "'],"
        ~ " union_by_name = true, hive_partitioning = false, filename = true)"
    ) }}
{%- endmacro %}
