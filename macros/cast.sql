{#
    dbt.safe_cast is a plain cast on dbt-duckdb; bad values in an export must
    become nulls (and then reason rows), so use try_cast there.
#}
{% macro duckdb__safe_cast(field, type) -%}
    try_cast({{ field }} as {{ type }})
{%- endmacro %}

{#
    Snowflake's TRY_CAST accepts only text, and dbt-snowflake passes a column
    through unchanged, so a NUMBER column (the export's totals usually are)
    fails to compile. Going through text first works for NUMBER and text
    columns alike, and a NUMBER survives the round trip exactly.
    (fakesnow accepts TRY_CAST of a number, so only a real account shows it.)
#}
{% macro snowflake__safe_cast(field, type) -%}
    {%- if type | upper in ['VARIANT', 'GEOMETRY', 'GEOGRAPHY'] -%}
        {{ return(dbt.snowflake__safe_cast(field, type)) }}
    {%- endif -%}
    try_cast(to_varchar({{ field }}) as {{ type }})
{%- endmacro %}


{# Text that JSON columns arrive as: VARCHAR on DuckDB, VARIANT or text on Snowflake. #}
{% macro json_as_text(expression) -%}
    {{ return(adapter.dispatch('json_as_text', 'metronome_netsuite')(expression)) }}
{%- endmacro %}

{% macro default__json_as_text(expression) -%}
    cast({{ expression }} as {{ dbt.type_string() }})
{%- endmacro %}

{#
    A VARIANT holding an object or array becomes its JSON text; a VARIANT
    holding a string (a loader that kept malformed JSON as a string) and a
    VARCHAR column both give the text itself, so malformed JSON stays
    malformed and is reported, not silently turned into a JSON string.
#}
{% macro snowflake__json_as_text(expression) -%}
    {%- if metronome_netsuite.is_fakesnow() -%}
        {{ return(metronome_netsuite.fakesnow__json_as_text(expression)) }}
    {%- endif -%}
    coalesce(
        as_varchar(to_variant({{ expression }})),
        to_json(to_variant({{ expression }}))
    )
{%- endmacro %}
