{{ config(severity='warn') }}

{#
    Ingest strips web/editor noise ("##paidbegin##", "[bookmark: _GoBack]") before parsing; a token
    still present in a text cell means a cleaning rule is missing (domain.md mess #18).
#}

with

texts as (

    select 'investment' as ledger, load_id, source_row, project_name as text_value from {{ ref('stg_ledgers__investment_lines') }}
    union all
    select 'investment', load_id, source_row, delay_reason from {{ ref('stg_ledgers__investment_lines') }}
    union all
    select 'investment', load_id, source_row, remarks from {{ ref('stg_ledgers__investment_lines') }}
    union all
    select 'funding', load_id, source_row, fund_program from {{ ref('stg_ledgers__funding_lines') }}
    union all
    select 'funding', load_id, source_row, project_name from {{ ref('stg_ledgers__funding_lines') }}
    union all
    select 'indicator', load_id, source_row, indicator_name from {{ ref('stg_ledgers__indicator_values') }}
    union all
    select 'indicator', load_id, source_row, actual_value_text from {{ ref('stg_ledgers__indicator_values') }}
    union all
    select 'patrol', load_id, source_row, remarks from {{ ref('stg_ledgers__patrols') }}
    union all
    select 'approval', load_id, source_row, item from {{ ref('stg_ledgers__approval_items') }}

)

select *
from texts
where {{ regex_like('text_value', '##\\w+##|\\[bookmark:[^\\]]*\\]') }}
