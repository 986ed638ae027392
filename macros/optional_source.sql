{#
    NetSuite's tables and the push log only exist after the first
    `netsuite-sync pull` / `push`, yet `dbt build` must work before that. This
    selects `columns` (name -> type) from the source when it exists, with a
    typed null for each column it lacks (a Fivetran sync may not have a custom
    column, a pull may not have _fivetran_deleted), and an empty, typed result
    when the table is not there at all.
#}
{% macro select_optional_source(source_name, table_name, columns) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- set existing = load_relation(relation) if execute else none -%}
    {%- set present = {} -%}
    {%- if existing is not none -%}
        {%- for column in adapter.get_columns_in_relation(existing) -%}
            {%- do present.update({column.name | lower: column.name}) -%}
        {%- endfor -%}
    {%- endif -%}
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
