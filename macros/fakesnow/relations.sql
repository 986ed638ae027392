{#
    Overrides of dbt-snowflake macros, active only under fakesnow
    (is_fakesnow()); on a real account each one calls dbt-snowflake's own.
#}

{#
    dbt-snowflake builds a unit test's (and an incremental model's) scratch
    relation as a TEMPORARY table in the model's database and schema. fakesnow
    runs on DuckDB, whose temporary tables live only in its `temp` catalog, so
    the statement fails. A transient table behaves the same for these scratch
    relations: the unit test materialization drops it when it is done.
#}
{% macro snowflake__create_table_temporary_sql(relation, compiled_code) -%}
    {%- if metronome_netsuite.is_fakesnow() -%}
        {{ return(dbt.snowflake__create_table_transient_sql(relation, compiled_code)) }}
    {%- endif -%}
    {{ return(dbt.snowflake__create_table_temporary_sql(relation, compiled_code)) }}
{%- endmacro %}


{#
    For an `append` incremental model dbt-snowflake's scratch relation is a
    TEMPORARY view, which fails under fakesnow as a temporary table does. A
    plain view behaves the same here: the materialization drops it when done.
#}
{% macro snowflake__create_view_as_with_temp_flag(relation, sql, is_temporary=False) -%}
    {%- if metronome_netsuite.is_fakesnow() -%}
        {{ return(dbt.snowflake__create_view_as_with_temp_flag(relation, sql, False)) }}
    {%- endif -%}
    {{ return(dbt.snowflake__create_view_as_with_temp_flag(relation, sql, is_temporary)) }}
{%- endmacro %}


{#
    dbt-snowflake persists column descriptions with one
    `alter table ... alter col1 comment ..., col2 comment ...` statement,
    which fakesnow cannot parse; it accepts the same comments one column per
    statement.
#}
{% macro snowflake__alter_column_comment(relation, column_dict) -%}
    {%- if not metronome_netsuite.is_fakesnow() -%}
        {{ return(dbt.snowflake__alter_column_comment(relation, column_dict)) }}
    {%- endif -%}
    {%- set existing_columns = adapter.get_columns_in_relation(relation) | map(attribute="name") | list -%}
    {%- set documented = validate_doc_columns(relation, column_dict, existing_columns) -%}
    {%- for column_name in existing_columns %}
    alter table {{ relation.render() }} alter {{ get_column_comment_sql(column_name, documented) }};
    {%- endfor %}
{%- endmacro %}


{#
    fakesnow stores a relation comment by pasting the text between single
    quotes unescaped, so a description with an apostrophe ("each line's")
    breaks the build. Doubling the quotes makes it store the text as written.
#}
{% macro snowflake__alter_relation_comment(relation, relation_comment) -%}
    {%- if metronome_netsuite.is_fakesnow() -%}
        {%- set relation_comment = relation_comment | replace("'", "''") -%}
    {%- endif -%}
    {{ return(dbt.snowflake__alter_relation_comment(relation, relation_comment)) }}
{%- endmacro %}
