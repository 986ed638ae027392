{#
    Money stays decimal end to end. Two traps handled here:
    - DuckDB turns DECIMAL / DECIMAL into DOUBLE, so division goes through
      exact integer arithmetic (divide_decimal).
    - round() needs a constant scale on DuckDB, while the minor unit varies
      per currency, so round_to_minor_unit picks a constant branch.
    Rounding is half-up, i.e. half away from zero, on both adapters.
#}

{% macro money_type() -%} numeric(38, 4) {%- endmacro %}
{% macro quantity_type() -%} numeric(38, 6) {%- endmacro %}
{% macro rate_type() -%} numeric(38, 8) {%- endmacro %}
{% macro credit_units_type() -%} numeric(38, 10) {%- endmacro %}


{#
    Each branch is cast on its own: DuckDB would otherwise give the CASE the
    type of its first branch and drop the digits of the others.
#}
{% macro round_to_minor_unit(amount, minor_unit_digits) -%}
    case {{ minor_unit_digits }}
        {%- for digits in range(5) %}
        when {{ digits }}
            then cast(round({{ amount }}, {{ digits }}) as {{ money_type() }})
        {%- endfor %}
    end
{%- endmacro %}


{# An amount as text with exactly the currency's digits, for messages. #}
{% macro format_amount(amount, minor_unit_digits) -%}
    case {{ minor_unit_digits }}
        {%- for digits in range(5) %}
        when {{ digits }}
            then cast(cast({{ amount }} as numeric(38, {{ digits }})) as {{ dbt.type_string() }})
        {%- endfor %}
    end
{%- endmacro %}


{#
    numerator / denominator, rounded half-up to `scale` digits, exactly.
    Both inputs must be decimals with at most `input_scale` digits after the
    point. Null when the denominator is zero or null.
#}
{% macro divide_decimal(numerator, denominator, scale, input_scale=10) -%}
    {{ return(adapter.dispatch('divide_decimal', 'metronome_netsuite')(numerator, denominator, scale, input_scale)) }}
{%- endmacro %}

{% macro default__divide_decimal(numerator, denominator, scale, input_scale) -%}
    case
        when {{ denominator }} <> 0
            then cast(round({{ numerator }} / {{ denominator }}, {{ scale }}) as numeric(38, {{ scale }}))
    end
{%- endmacro %}

{% macro duckdb__divide_decimal(numerator, denominator, scale, input_scale) -%}
    {%- set shift = "1" ~ "0" * input_scale -%}
    {%- set result_shift = "1" ~ "0" * scale -%}
    {%- set result_unit = "0." ~ "0" * (scale - 1) ~ "1" if scale > 0 else "1" -%}
    {%- set n = "cast(abs(" ~ numerator ~ ") * " ~ shift ~ " as hugeint)" -%}
    {%- set d = "cast(abs(" ~ denominator ~ ") * " ~ shift ~ " as hugeint)" -%}
    case
        when {{ denominator }} <> 0
            then cast(
                sign({{ numerator }}) * sign({{ denominator }})
                * ((2 * {{ n }} * {{ result_shift }} + {{ d }}) // (2 * {{ d }}))
                as numeric(38, 0)
            ) * cast('{{ result_unit }}' as numeric(38, {{ scale }}))
    end
{%- endmacro %}


{% macro round_to_rate(amount) -%}
    cast(round({{ amount }}, 8) as {{ rate_type() }})
{%- endmacro %}
