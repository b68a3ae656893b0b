{{ config(severity='warn') }}

{#
    Ingest's side of the no-double-counting rule: a row of a raw data table should never also be a
    stated total (raw.reported_totals, same load, sheet and row) nor carry a 合计/小计 label. The
    facts drop such rows anyway; this warns that ingest let one through.
#}

with

totals as (

    select load_id, source_sheet, source_row from {{ ref('stg_ledgers__reported_totals') }}

),

data_rows as (

    select 'investment' as ledger, load_id, source_sheet, source_row, is_total_label_row
    from {{ ref('stg_ledgers__investment_lines') }}
    union all
    select 'funding', load_id, source_sheet, source_row, is_total_label_row
    from {{ ref('stg_ledgers__funding_lines') }}
    union all
    select 'indicator', load_id, source_sheet, source_row, is_total_label_row
    from {{ ref('stg_ledgers__indicator_values') }}
    union all
    select 'patrol', load_id, source_sheet, source_row, is_total_label_row
    from {{ ref('stg_ledgers__patrols') }}
    union all
    select 'river_issue', load_id, source_sheet, source_row, is_total_label_row
    from {{ ref('stg_ledgers__river_issues') }}
    union all
    select 'enforcement', load_id, source_sheet, source_row, is_total_label_row
    from {{ ref('stg_ledgers__enforcement_cases') }}
    union all
    select 'approval', load_id, source_sheet, source_row, is_total_label_row
    from {{ ref('stg_ledgers__approval_items') }}

)

select data_rows.*
from data_rows
left join totals
    on data_rows.load_id = totals.load_id
    and data_rows.source_sheet is not distinct from totals.source_sheet
    and data_rows.source_row = totals.source_row
where data_rows.is_total_label_row
   or totals.load_id is not null
