{#
    True only when the snowflake target runs under fakesnow (the in-process
    Snowflake emulator the tests use), which the test harness announces with
    METRONOME_NETSUITE_FAKESNOW=1. The macros in this folder work around what
    fakesnow cannot emulate; on a real Snowflake account (or DuckDB) this is
    false and none of them changes a thing. README "Running on Snowflake"
    lists each one.
#}
{% macro is_fakesnow() -%}
    {{ return(
        target.type == 'snowflake'
        and env_var('METRONOME_NETSUITE_FAKESNOW', '') | lower in ['1', 'true', 'yes']
    ) }}
{%- endmacro %}
