{#
    NetSuite's tables and the push log only exist after the first
    `netsuite-sync pull` / `push`, yet `dbt build` must work before that. This
    selects `columns` (name -> type) from the source when it exists, with a
    typed null for each column it lacks (a Fivetran sync may not have a custom
    column, a pull may not have _fivetran_deleted), and an empty, typed result
    when the table is not there at all.

    dbt's relation cache alone cannot say a table is absent: a schema outside
    the project's own is listed into the cache on first use, one table at a
    time, so a model compiled on another thread meanwhile can find the schema
    cached without all its tables. When the cache has no such table, the
    warehouse is asked (once the schema exists: asking about a table in a
    missing schema is an error on some warehouses).
#}
{% macro select_optional_source(source_name, table_name, columns) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- set existing = load_relation(relation) if execute else none -%}
    {%- set found_columns = [] -%}
    {%- if existing is not none or (
        execute and adapter.check_schema_exists(relation.database, relation.schema)
    ) -%}
        {%- set found_columns = adapter.get_columns_in_relation(existing or relation) -%}
    {%- endif -%}
    {%- if found_columns -%}
        {%- set existing = existing or relation -%}
    {%- endif -%}
    {%- set present = {} -%}
    {%- for column in found_columns -%}
        {%- do present.update({column.name | lower: column.name}) -%}
    {%- endfor -%}
    select
    {%- for name, data_type in columns.items() %}
        {% if name in present -%}
            cast({{ adapter.quote(present[name]) }} as {{ data_type }})
        {%- else -%}
            cast(null as {{ data_type }})
        {%- endif %} as {{ name }}{{ "," if not loop.last }}
    {%- endfor %}
    {%- if existing is not none %}
    from {{ existing }}
    {%- else %}
    -- {{ relation }} does not exist yet: nothing has been pulled or pushed.
    where 1 = 0
    {%- endif %}
{%- endmacro %}


{# 'T'/'F' (NetSuite) or true/false (some loaders) to a boolean. #}
{% macro netsuite_flag(expression) -%}
    case
        when upper(cast({{ expression }} as {{ dbt.type_string() }})) in ('T', 'TRUE')
            then true
        when upper(cast({{ expression }} as {{ dbt.type_string() }})) in ('F', 'FALSE')
            then false
    end
{%- endmacro %}
