{#
    Keep one row per key: the first by `order_by`. Metronome's export is an
    at-least-once log: staging keeps the newest version of each object
    (newest_export_rows()); the push log keeps the latest attempt.
#}
{% macro deduplicate(relation, partition_by, order_by) -%}
    select *
    from {{ relation }}
    qualify row_number() over (
        partition by {{ partition_by }}
        order by {{ order_by }}
    ) = 1
{%- endmacro %}


{#
    The rows of `relation` (one per key: the newest version delivered, see
    newest_export_rows()) that an incremental staging model has to write.

    When it re-reads a window of the export (`window_start` not none), a
    version is written only if it beats the version the model already holds,
    so an older row delivered again cannot replace a newer one, and ties
    break as in a full refresh. Only the three columns that rank a held
    version are read from the model's table: the rest of each held row stays
    where it is. On a full build every row is new.
#}
{% macro newer_than_staged(relation, key, window_start=none) -%}
    {%- if window_start is none -%}
        select * from {{ relation }}
    {%- else -%}
        select delivered.*
        from {{ relation }} as delivered
        left join (
            select
                {{ key }},
                updated_at,
                transfer_order_key
            from {{ this }}
            where {{ key }} in (select {{ key }} from {{ relation }})
        ) as held
            on delivered.{{ key }} = held.{{ key }}
        where held.{{ key }} is null
            or {{ is_newer_export_version('delivered', 'held') }}
    {%- endif -%}
{%- endmacro %}


{#- True when version `a` is newer than version `b`, as newest_export_rows() ranks them. -#}
{% macro is_newer_export_version(a, b) -%}
    case
        when {{ a }}.updated_at is distinct from {{ b }}.updated_at
            then coalesce({{ a }}.updated_at > {{ b }}.updated_at, {{ b }}.updated_at is null)
        else {{ a }}.transfer_order_key > {{ b }}.transfer_order_key
    end
{%- endmacro %}


{#
    The key incremental staging matches the versions of one object on. Each
    run looks every delivered id up among all the rows it holds, then deletes
    the versions it replaces, and both read the key of every row. DuckDB reads
    and compares a 128-bit integer about three times faster than the text id
    at ten million line items, so there the key is the md5 of the id as one:
    two ids would have to share an md5 to be mistaken for one another, at
    2^-128 a pair no concern in practice. Elsewhere (Snowflake's merge) the
    key is the id itself.
#}
{% macro staging_key(id_column) -%}
    {{ return(adapter.dispatch('staging_key', 'metronome_netsuite')(id_column)) }}
{%- endmacro %}

{% macro default__staging_key(id_column) -%}
    cast({{ id_column }} as {{ dbt.type_string() }})
{%- endmacro %}

{% macro duckdb__staging_key(id_column) -%}
    md5_number(cast({{ id_column }} as {{ dbt.type_string() }}))
{%- endmacro %}
