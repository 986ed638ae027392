{#
    True when an invoice's Metronome environment is not the one var
    metronome_environment_type selects (null var: every environment counts).
#}
{% macro environment_is_not_selected(column) -%}
    {%- set selected = var('metronome_environment_type') -%}
    {%- if selected -%}
        coalesce({{ column }}, '') <> '{{ selected }}'
    {%- else -%}
        false
    {%- endif -%}
{%- endmacro %}
