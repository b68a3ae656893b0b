{{ config(severity='warn') }}

{#
    Raw rows whose load never reached audit.ledger_versions (ingest stopped between writing rows
    and registering the version). They are never used; this warns so someone cleans them up.
#}

with

versions as (

    select distinct load_id, ledger_key from {{ ref('stg_audit__ledger_versions') }}

),

raw_loads as (

    select distinct 'investment' as ledger, load_id, ledger_key from {{ ref('stg_ledgers__investment_lines') }}
    union all
    select distinct 'funding', load_id, ledger_key from {{ ref('stg_ledgers__funding_lines') }}
    union all
    select distinct 'indicator', load_id, ledger_key from {{ ref('stg_ledgers__indicator_values') }}
    union all
    select distinct 'patrol', load_id, ledger_key from {{ ref('stg_ledgers__patrols') }}
    union all
    select distinct 'river_issue', load_id, ledger_key from {{ ref('stg_ledgers__river_issues') }}
    union all
    select distinct 'enforcement', load_id, ledger_key from {{ ref('stg_ledgers__enforcement_cases') }}
    union all
    select distinct 'approval', load_id, ledger_key from {{ ref('stg_ledgers__approval_items') }}

)

select raw_loads.*
from raw_loads
anti join versions
    on raw_loads.load_id = versions.load_id
    and raw_loads.ledger_key = versions.ledger_key
