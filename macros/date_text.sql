{#
    A date as ISO text (YYYY-MM-DD) whatever the session's output format, so
    text built from dates (payload_hash) is the same on every adapter and
    every Snowflake account setting.
#}
{% macro date_to_iso_text(expression) -%}
    {{ return(adapter.dispatch('date_to_iso_text', 'metronome_netsuite')(expression)) }}
{%- endmacro %}

{% macro default__date_to_iso_text(expression) -%}
    strftime({{ expression }}, '%Y-%m-%d')
{%- endmacro %}

{% macro snowflake__date_to_iso_text(expression) -%}
    to_char({{ expression }}, 'YYYY-MM-DD')
{%- endmacro %}
