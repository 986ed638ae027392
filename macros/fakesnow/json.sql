{#
    fakesnow has no AS_VARCHAR (nor IS_VARCHAR/TYPEOF on VARIANT), and casts a
    VARIANT string to VARCHAR with its JSON quotes. json_extract_path_text with
    an empty path becomes DuckDB's `to_json(x) ->> '$'`, which unwraps a
    string and serialises an object: what snowflake__json_as_text does on a
    real account.
#}
{% macro fakesnow__json_as_text(expression) -%}
    json_extract_path_text(to_variant({{ expression }}), '')
{%- endmacro %}


{#
    fakesnow's FLATTEN ignores `mode => 'OBJECT'`, expands arrays, and fails
    on a scalar, so only a non-empty object is handed to it.
#}
{% macro fakesnow__json_object_entries(parsed, alias) -%}
    , lateral flatten(
        input => iff(array_size(object_keys({{ parsed }})) > 0, {{ parsed }}, null)
    ) as {{ alias }}
{%- endmacro %}
