-- NetSuite invoices that carry an external id, with their item-line totals,
-- the ISO currency, and which one represents the external id when NetSuite
-- holds several (the oldest: the one the others duplicate).

with

transactions as (

    select * from {{ ref('stg_netsuite__transactions') }}
    where external_id is not null

),

lines as (

    select * from {{ ref('stg_netsuite__transaction_lines') }}
    where line_kind = 'item'

),

netsuite_currencies as (

    select * from {{ ref('netsuite_currencies') }}

),

line_totals as (

    select
        netsuite_transaction_id,
        cast(count(*) as integer) as item_line_count,
        sum(amount) as sum_of_item_line_amounts,
        count(line_external_id) = count(*) as has_line_external_ids

    from lines
    group by netsuite_transaction_id

),

joined as (

    select
        transactions.*,
        netsuite_currencies.currency_code,
        coalesce(line_totals.item_line_count, 0) as item_line_count,
        line_totals.sum_of_item_line_amounts,
        coalesce(line_totals.has_line_external_ids, false)
            as has_line_external_ids,
        cast(count(*) over (partition by transactions.external_id) as integer)
            as invoices_with_external_id,
        row_number() over (
            partition by transactions.external_id
            order by
                {{ dbt.safe_cast('transactions.netsuite_transaction_id', 'bigint') }},
                transactions.netsuite_transaction_id
        ) = 1 as is_first_with_external_id

    from transactions
    left join line_totals
        on transactions.netsuite_transaction_id = line_totals.netsuite_transaction_id
    left join netsuite_currencies
        on transactions.netsuite_currency_id = netsuite_currencies.netsuite_currency_id

)

select * from joined
