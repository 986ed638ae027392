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
    broken by the transfer order. When an incremental model re-reads a window
    of the export (`window_start` not none), the versions it already keeps for
    the same ids compete with the re-read ones, so an older row delivered
    again cannot replace a newer one, and ties break as in a full refresh.
#}
{% macro latest_export_version(relation, key, window_start=none) -%}
    {%- set candidates -%}
        (
            select * from {{ relation }}
            {%- if window_start is not none %}
            union all
            select * from {{ this }}
            where {{ key }} in (select {{ key }} from {{ relation }})
            {%- endif %}
        ) as candidates
    {%- endset -%}
    {{ deduplicate(
        candidates,
        partition_by=key,
        order_by='updated_at desc nulls last, transfer_order_key desc',
    ) }}
{%- endmacro %}
