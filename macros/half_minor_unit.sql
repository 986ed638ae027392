{# Half of one minor unit (0.005 for two digits), as an exact decimal. #}
{% macro half_minor_unit(minor_unit_digits) -%}
    cast(
        case {{ minor_unit_digits }}
            when 0 then 0.5
            when 1 then 0.05
            when 2 then 0.005
            when 3 then 0.0005
            when 4 then 0.00005
        end
        as numeric(38, 6)
    )
{%- endmacro %}
