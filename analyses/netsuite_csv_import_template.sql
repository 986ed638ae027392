-- The NetSuite CSV invoice import template (Import Assistant: Transactions >
-- Invoice), one row per line. External ID repeats on every line of an invoice:
-- that is how the Import Assistant groups lines into one invoice, and it makes
-- a re-import an update instead of a duplicate.
-- Dates are ISO (YYYY-MM-DD): set the import's date format to match, or
-- reformat here to your account's preference.
-- `netsuite-sync export-csv PATH` writes the same file from the warehouse.
-- The template's own column names need quoting.
-- noqa: disable=RF05,RF06

with

lines as (

    select * from {{ ref('netsuite_invoice_lines') }}

),

invoices as (

    select * from {{ ref('netsuite_invoices') }}

),

final as (

    select
        lines.external_id as "External ID",
        lines.netsuite_customer_id as "Customer",
        lines.tran_date as "Date",
        lines.start_date as "Start Date",
        lines.end_date as "End Date",
        invoices.netsuite_currency_id as "Currency",
        lines.netsuite_item_id as "Item",
        lines.quantity as "Quantity",
        lines.rate as "Rate",
        lines.amount as "Amount",
        lines.description as "Description",
        lines.line_external_id as "Line ID",
        invoices.netsuite_custom_form_id as "Form",
        invoices.netsuite_subsidiary_id as "Subsidiary",
        lines.line_number

    from lines
    inner join invoices
        on lines.external_id = invoices.external_id

)

select * exclude (line_number) from final
order by "External ID", line_number
