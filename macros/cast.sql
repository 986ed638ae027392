{#
    dbt.safe_cast is a plain cast on dbt-duckdb; bad values in an export must
    become nulls (and then reason rows), so use try_cast there.
#}
{% macro duckdb__safe_cast(field, type) -%}
    try_cast({{ field }} as {{ type }})
{%- endmacro %}


{# Text that JSON columns arrive as: VARCHAR on DuckDB, VARIANT or text on Snowflake. #}
{% macro json_as_text(expression) -%}
    {{ return(adapter.dispatch('json_as_text', 'metronome_netsuite')(expression)) }}
{%- endmacro %}

{% macro default__json_as_text(expression) -%}
    cast({{ expression }} as {{ dbt.type_string() }})
{%- endmacro %}

{% macro snowflake__json_as_text(expression) -%}
    case
        when is_varchar(to_variant({{ expression }}))
            then to_varchar({{ expression }})
        else to_json({{ expression }})
    end
{%- endmacro %}
