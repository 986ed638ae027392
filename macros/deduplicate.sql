{#
    Keep one row per key: the first by `order_by`. Metronome's export is an
    at-least-once log, so every staging model goes through this.
#}
{% macro deduplicate(relation, partition_by, order_by) -%}
    select *
    from {{ relation }}
    qualify row_number() over (
        partition by {{ partition_by }}
        order by {{ order_by }}
    ) = 1
{%- endmacro %}
