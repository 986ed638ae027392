{# The text of capture group `group` of the first match of `pattern`; null when none. #}
{% macro regexp_capture(expression, pattern, group=1) -%}
    {{ return(adapter.dispatch('regexp_capture', 'metronome_netsuite')(expression, pattern, group)) }}
{%- endmacro %}

{% macro default__regexp_capture(expression, pattern, group) -%}
    nullif(regexp_extract({{ expression }}, '{{ pattern }}', {{ group }}), '')
{%- endmacro %}

{% macro snowflake__regexp_capture(expression, pattern, group) -%}
    regexp_substr({{ expression }}, '{{ pattern }}', 1, 1, 'e', {{ group }})
{%- endmacro %}
