{#
    Conversion multiplies by 1 / divisor kept as a decimal. That is exact only
    when the reciprocal terminates within ten digits (100, 1000, ...); any
    other divisor would silently shift amounts, so it fails the build.
#}
{% test divisors_have_exact_reciprocals(model) %}

select
    credit_type_id,
    credit_type_name,
    divisor,
    major_units_per_credit_unit

from {{ model }}
where divisor is not null
    and divisor * major_units_per_credit_unit <> 1

{% endtest %}
