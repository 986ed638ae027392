{#
    fakesnow cannot run dbt-snowflake's MERGE (its rewrite leaves column
    references ambiguous), so under fakesnow the Snowflake path deletes and
    inserts, the other strategy dbt-snowflake offers; a real account merges.
#}
{% macro snowflake__metronome_incremental_strategy() -%}
    {{ return('delete+insert' if metronome_netsuite.is_fakesnow() else 'merge') }}
{%- endmacro %}
