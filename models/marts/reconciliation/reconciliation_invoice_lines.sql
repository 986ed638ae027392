-- Line by line: each line Metronome expects in NetSuite beside the NetSuite
-- line it corresponds to. Lines pair on the Metronome line item id when every
-- item line of the NetSuite invoice carries it (the custom column named by var
-- netsuite_line_external_id_column, which the sync tool fills), else on
-- position (line_number against NetSuite's line order).

{%- set tolerance = var('reconciliation_amount_tolerance') %}

with

metronome_lines as (

    select * from {{ ref('netsuite_invoice_lines') }}

),

netsuite_invoices as (

    select * from {{ ref('int_netsuite_invoices_aggregated') }}
    where is_first_with_external_id

),

netsuite_item_lines as (

    select * from {{ ref('stg_netsuite__transaction_lines') }}
    where line_kind = 'item'

),

netsuite_lines as (

    select
        netsuite_invoices.external_id,
        netsuite_invoices.has_line_external_ids,
        netsuite_item_lines.netsuite_transaction_id,
        netsuite_item_lines.netsuite_line_id,
        netsuite_item_lines.line_external_id,
        netsuite_item_lines.netsuite_item_id,
        netsuite_item_lines.quantity,
        netsuite_item_lines.rate,
        netsuite_item_lines.amount,
        netsuite_item_lines.description,
        row_number() over (
            partition by netsuite_item_lines.netsuite_transaction_id
            order by
                netsuite_item_lines.line_sequence_number,
                netsuite_item_lines.netsuite_line_id
        ) as line_position

    from netsuite_item_lines
    inner join netsuite_invoices
        on
            netsuite_item_lines.netsuite_transaction_id
            = netsuite_invoices.netsuite_transaction_id

),

netsuite_keyed as (

    select
        *,
        case
            when has_line_external_ids then line_external_id
            else cast(line_position as {{ dbt.type_string() }})
        end as match_key

    from netsuite_lines

),

metronome_keyed as (

    select
        metronome_lines.*,
        coalesce(netsuite_invoices.has_line_external_ids, true)
            as pairs_on_line_external_id,
        case
            when coalesce(netsuite_invoices.has_line_external_ids, true)
                then metronome_lines.line_external_id
            else cast(metronome_lines.line_number as {{ dbt.type_string() }})
        end as match_key

    from metronome_lines
    left join netsuite_invoices
        on metronome_lines.external_id = netsuite_invoices.external_id

),

paired as (

    select
        coalesce(metronome_keyed.external_id, netsuite_keyed.external_id)
            as external_id,
        coalesce(metronome_keyed.line_external_id, netsuite_keyed.line_external_id)
            as line_external_id,
        metronome_keyed.line_number,
        cast(netsuite_keyed.line_position as integer) as netsuite_line_position,
        netsuite_keyed.netsuite_transaction_id,
        netsuite_keyed.netsuite_line_id,
        coalesce(
            metronome_keyed.pairs_on_line_external_id,
            netsuite_keyed.has_line_external_ids
        ) as pairs_on_line_external_id,
        metronome_keyed.netsuite_item_id as expected_netsuite_item_id,
        netsuite_keyed.netsuite_item_id,
        metronome_keyed.quantity as expected_quantity,
        netsuite_keyed.quantity,
        metronome_keyed.amount as expected_amount,
        netsuite_keyed.amount,
        metronome_keyed.rate as expected_rate,
        netsuite_keyed.rate,
        metronome_keyed.description as expected_description,
        netsuite_keyed.description,
        metronome_keyed.currency,
        metronome_keyed.external_id is not null as is_in_metronome,
        netsuite_keyed.external_id is not null as is_in_netsuite

    from metronome_keyed
    full outer join netsuite_keyed
        on
            metronome_keyed.external_id = netsuite_keyed.external_id
            and metronome_keyed.match_key = netsuite_keyed.match_key

),

compared as (

    select
        *,
        case
            when pairs_on_line_external_id then 'line_external_id'
            else 'line_order'
        end as matched_on,
        coalesce(expected_netsuite_item_id = netsuite_item_id, false)
            as is_item_match,
        coalesce(expected_quantity = quantity, false) as is_quantity_match,
        coalesce(
            abs(expected_amount - amount) <= {{ tolerance }}, false
        ) as is_amount_match,
        is_in_metronome and is_in_netsuite as is_paired

    from paired

),

final as (

    select
        *,
        case
            when not is_in_netsuite then 'missing_in_netsuite'
            when not is_in_metronome then 'missing_in_metronome'
            when is_item_match and is_quantity_match and is_amount_match
                then 'matched'
            else 'mismatch'
        end as line_status,
        trim(
            case when is_paired and not is_item_match then 'item ' else '' end
            || case
                when is_paired and not is_quantity_match then 'quantity ' else ''
            end
            || case when is_paired and not is_amount_match then 'amount' else '' end
        ) as differing_fields,
        amount - expected_amount as amount_difference

    from compared

)

select * from final
