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


{#
    Keep the newest version of each exported object: latest updated_at, ties
    broken by the transfer order.

    When an incremental model re-reads a window of the export (`window_start`
    not none), the newest re-read version of each id is kept only if it beats
    the version the model already holds, so an older row delivered again
    cannot replace a newer one, and ties break as in a full refresh. Only the
    three columns that rank a held version are read from the model's table:
    the rest of each held row stays where it is.
#}
{% macro latest_export_version(relation, key, window_start=none) -%}
    {%- set order_by = 'updated_at desc nulls last, transfer_order_key desc' -%}
    {%- if window_start is none -%}
        {{ deduplicate(relation, partition_by=key, order_by=order_by) }}
    {%- else -%}
        select delivered.*
        from (
            {{ deduplicate(relation, partition_by=key, order_by=order_by) }}
        ) as delivered
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


{#- True when version `a` sorts before version `b` in latest_export_version's order. -#}
{% macro is_newer_export_version(a, b) -%}
    case
        when {{ a }}.updated_at is distinct from {{ b }}.updated_at
            then coalesce({{ a }}.updated_at > {{ b }}.updated_at, {{ b }}.updated_at is null)
        else {{ a }}.transfer_order_key > {{ b }}.transfer_order_key
    end
{%- endmacro %}
