-- One row per credit type id seen in the export, with the currency it
-- converts to (null when the seed has no row for it: not money we can send).

with

credit_types as (

    select * from {{ ref('stg_metronome__credit_types') }}

),

invoices as (

    select * from {{ ref('stg_metronome__invoices') }}

),

line_items as (

    select * from {{ ref('stg_metronome__line_items') }}

),

currencies as (

    select * from {{ ref('credit_type_currencies') }}

),

referenced as (

    select
        credit_type_id,
        credit_type_name
    from invoices

    union all

    select
        credit_type_id,
        credit_type_name
    from line_items

),

referenced_names as (

    select
        credit_type_id,
        max(credit_type_name) as credit_type_name

    from referenced
    where credit_type_id is not null
    group by credit_type_id

),

all_credit_types as (

    select
        coalesce(
            credit_types.credit_type_id, referenced_names.credit_type_id
        ) as credit_type_id,
        coalesce(
            credit_types.credit_type_name, referenced_names.credit_type_name
        ) as credit_type_name,
        credit_types.is_currency

    from credit_types
    full outer join referenced_names
        on credit_types.credit_type_id = referenced_names.credit_type_id

),

resolved as (

    select
        all_credit_types.credit_type_id,
        all_credit_types.credit_type_name,
        all_credit_types.is_currency,
        coalesce(by_id.currency_code, by_name.currency_code) as currency_code,
        coalesce(by_id.divisor, by_name.divisor) as divisor,
        coalesce(
            by_id.currency_minor_unit_digits, by_name.currency_minor_unit_digits
        ) as currency_minor_unit_digits

    from all_credit_types
    left join currencies as by_id
        on all_credit_types.credit_type_id = by_id.credit_type_id
    left join currencies as by_name
        on
            by_name.credit_type_id is null
            and all_credit_types.credit_type_name = by_name.credit_type_name

),

final as (

    select
        credit_type_id,
        credit_type_name,
        is_currency,
        currency_code,
        divisor,
        currency_minor_unit_digits,
        -- Multiplying by an exact reciprocal keeps the conversion decimal
        -- (division would turn into floating point on DuckDB). The
        -- reciprocal is exact for any power-of-ten divisor; a test guards it.
        cast(1.0 / divisor as {{ credit_units_type() }})
            as major_units_per_credit_unit,
        currency_code is not null as is_supported

    from resolved

)

select * from final
