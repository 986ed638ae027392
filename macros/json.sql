{#
    JSON helpers that never raise on malformed input: a bad custom_fields
    value must become a reason row for that invoice, not a failed build.
    Inputs are JSON held as text (or VARIANT on Snowflake).
#}

{% macro is_valid_json(expression) -%}
    {{ return(adapter.dispatch('is_valid_json', 'metronome_netsuite')(expression)) }}
{%- endmacro %}

{% macro default__is_valid_json(expression) -%}
    ({{ expression }} is null or json_valid({{ expression }}))
{%- endmacro %}

{% macro snowflake__is_valid_json(expression) -%}
    ({{ expression }} is null or try_parse_json({{ expression }}) is not null)
{%- endmacro %}


{# The text value of one top-level key; null when absent or malformed. #}
{% macro json_extract_text(expression, key) -%}
    {{ return(adapter.dispatch('json_extract_text', 'metronome_netsuite')(expression, key)) }}
{%- endmacro %}

{% macro default__json_extract_text(expression, key) -%}
    case
        when json_valid({{ expression }})
            then json_extract_string({{ expression }}, '$."{{ key }}"')
    end
{%- endmacro %}

{% macro snowflake__json_extract_text(expression, key) -%}
    try_parse_json({{ expression }}):"{{ key }}"::varchar
{%- endmacro %}


{#
    A join clause that turns a JSON object into one row per key, exposing
    `<alias>.key`; json_entry_value_text(alias) is the entry's value as text
    (a string unquoted, anything else as JSON). Malformed or non-object input
    yields no rows.
#}
{% macro json_object_entries(relation_alias, expression, alias) -%}
    {{ return(adapter.dispatch('json_object_entries', 'metronome_netsuite')(relation_alias, expression, alias)) }}
{%- endmacro %}

{% macro default__json_object_entries(relation_alias, expression, alias) -%}
    cross join lateral json_each(
        case
            when json_valid({{ relation_alias }}.{{ expression }})
                and json_type({{ relation_alias }}.{{ expression }}) = 'OBJECT'
                then {{ relation_alias }}.{{ expression }}
        end
    ) as {{ alias }}
{%- endmacro %}

{% macro snowflake__json_object_entries(relation_alias, expression, alias) -%}
    {%- set parsed = "try_parse_json(" ~ relation_alias ~ "." ~ expression ~ ")" -%}
    {%- if metronome_netsuite.is_fakesnow() -%}
        {{ return(metronome_netsuite.fakesnow__json_object_entries(parsed, alias)) }}
    {%- endif -%}
    , lateral flatten(input => {{ parsed }}, mode => 'OBJECT') as {{ alias }}
{%- endmacro %}


{% macro json_entry_value_text(alias) -%}
    {{ return(adapter.dispatch('json_entry_value_text', 'metronome_netsuite')(alias)) }}
{%- endmacro %}

{% macro default__json_entry_value_text(alias) -%}
    json_extract_string({{ alias }}.value, '$')
{%- endmacro %}

{% macro snowflake__json_entry_value_text(alias) -%}
    cast({{ alias }}.value as {{ dbt.type_string() }})
{%- endmacro %}
