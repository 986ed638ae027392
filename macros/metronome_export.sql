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
        strptime(
            {{ regexp_capture('filename', '_([0-9]{14})[.]parquet$') }},
            '%Y%m%d%H%M%S'
        )
    {%- else -%}
        cast({{ updated_at_column }} as {{ dbt.type_timestamp() }})
    {%- endif -%}
{%- endmacro %}
