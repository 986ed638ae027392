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
        {{ export_file_order_key('filename') }}
    {%- else -%}
        {{ row_fingerprint(content_columns) }}
    {%- endif -%}
{%- endmacro %}


{#- The transfer order key of the rows of export file `file_name`. -#}
{% macro export_file_order_key(file_name) -%}
    coalesce({{ export_file_transfer_stamp(file_name) }}, '') || {{ file_name }}
{%- endmacro %}


{#- The transfer stamp in an export file's name (`<part>_<YYYYMMDDHHMMSS>.parquet`), as text. -#}
{% macro export_file_transfer_stamp(file_name) -%}
    {{ regexp_capture(file_name, '_([0-9]{14})[.]parquet$') }}
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


{#- The transfer time in an export file's name, as a timestamp. -#}
{% macro metronome_exported_at_of_file(file_name) -%}
    strptime({{ export_file_transfer_stamp(file_name) }}, '%Y%m%d%H%M%S')
{%- endmacro %}


{#
    The rows of export table `table_name` an incremental staging run has to
    read. In the object-storage layout the transfer time is in every file's
    name, so only the files delivered from `window_start` on are opened: a run
    reads what arrived since the last one, not the whole history (DuckDB does
    not prune files on an expression of `filename` by itself). Otherwise, and
    on a full build, this is the source itself. Read from files, every row
    also carries its position: `filename` and `file_row_number`.

    Of the files in the window, those the model already holds a row of are
    not opened again: the run that staged such a file read all of it, and
    every row of it that the model does not hold lost to a newer version, so
    reading it again would write nothing. (Export files are written once
    under a new name per transfer; the lookback is for files that land late,
    and those have no row held.) Without this every run would open again
    the files the run before it read.
#}
{% macro metronome_export_rows(table_name, window_start) -%}
    {%- set relation = source('metronome', table_name) -%}
    {%- if window_start is none or not var('metronome_export_path') or not execute -%}
        {{ return(relation) }}
    {%- endif -%}
    {%- set pattern = var('metronome_export_path') ~ '/' ~ table_name ~ '/*/*.parquet' -%}
    {%- set delivered_files = run_query(
        "select file from glob('" ~ pattern ~ "') as delivered where "
        ~ is_in_incremental_window(metronome_exported_at_of_file('file'), window_start)
        ~ " and not exists (select 1 from " ~ this ~ " as held where "
        ~ is_in_incremental_window('held.exported_at', window_start)
        ~ " and held.transfer_order_key = " ~ export_file_order_key('delivered.file')
        ~ ") order by file"
    ).columns[0].values() | map('replace', "'", "''") | list -%}
    {%- if delivered_files | length == 0 -%}
        {{ return('(select * from ' ~ relation ~ ' where false)') }}
    {%- endif -%}
    {{ return(
        "read_parquet(['" ~ delivered_files | join("', '") ~ "'],"
        ~ " union_by_name = true, hive_partitioning = false, filename = true,"
        ~ " file_row_number = true)"
    ) }}
{%- endmacro %}


{#
    What staging keeps of export table `table_name`: the newest version of
    each id, by updated_at (nulls oldest), ties broken by the transfer order
    (metronome_transfer_order_key(), which hashes `fingerprint_columns` in
    warehouse tables), among the rows delivered from `window_start` on (all
    rows when none). Rows without an id pass through; staging drops them.

    In the object-storage layout each row has a position (file, row number),
    so only the versions that a newer one replaces are ranked, among the ids
    delivered more than once (about a tenth of them), and removed by
    position; the rest are read once, in the export's order. Ranking every
    row whole would sort every column of the history by id: at ten million
    line items that took twice as long as this, and it scattered each
    invoice's lines over the whole table, where the export keeps them
    together (incremental runs read an invoice's lines faster when they sit
    together). Two versions in the same file with the same updated_at: the
    later row wins. Warehouse tables rank all rows in the warehouse.
#}
{% macro newest_export_rows(table_name, window_start, fingerprint_columns) -%}
    {%- set rows = metronome_export_rows(table_name, window_start) -%}
    {%- set newest_first = 'cast(updated_at as ' ~ dbt.type_timestamp() ~ ') desc nulls last, '
        ~ metronome_transfer_order_key(fingerprint_columns) ~ ' desc' -%}
    {%- if var('metronome_export_path') -%}
    (
        select export_rows.*
        from {{ rows }} as export_rows
        anti join (
            select
                filename,
                file_row_number
            from {{ rows }}
            where id in (
                select id
                from {{ rows }}
                group by id
                having count(*) > 1
            )
            qualify row_number() over (
                partition by id
                order by {{ newest_first }}, file_row_number desc
            ) > 1
        ) as superseded
            on export_rows.filename = superseded.filename
            and export_rows.file_row_number = superseded.file_row_number
    )
    {%- else -%}
    (
        {{ deduplicate(
            '(select * from ' ~ rows ~ ' where '
                ~ is_in_incremental_window(metronome_exported_at(), window_start)
                ~ ') as delivered',
            partition_by='id',
            order_by=newest_first,
        ) }}
    )
    {%- endif -%}
{%- endmacro %}
